// libFuzzer target: any bytes as a NIR, a login identifier, a dossier number, a person
// id or a date. A NIR that parses must format, mask and parse back to itself.
#include <calp/calp.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto profile : {calp::nir_profile::strict, calp::nir_profile::lenient}) {
    const auto n = calp::nir::parse(text, profile);
    if (!n) continue;
    const auto again = calp::nir::parse(n->formatted(), profile);
    if (!again || !(*again == *n) || n->masked().size() != 21) std::abort();
  }
  (void)calp::login_identifier::parse(text);
  (void)calp::dossier_number::parse(text);
  (void)calp::person_id::parse(text);
  (void)calp::parse_date(text);
  (void)calp::parse_action(text);
  return 0;
}
