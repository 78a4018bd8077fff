// libFuzzer target: any bytes as a policy document; a policy that loads is complete.
#include <calp/calp.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto p = calp::policy::from_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (p && p->table().empty()) std::abort();
  return 0;
}
