// libFuzzer target: any bytes as a household document. A household that is accepted
// must write back to itself and be decidable for every member.
#include <calp/calp.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto h = calp::household::from_json(text);
  if (!h) return 0;
  const auto again = calp::household::from_json(h->to_json());
  if (!again || !(*again == *h)) std::abort();
  for (const auto& m : h->members()) {
    for (const auto a : calp::all_actions) {
      const auto d = calp::decide(*h, {m.id.str(), a, m.birth_date});
      if (d.reason.empty() || d.message.empty()) std::abort();
    }
  }
  return 0;
}
