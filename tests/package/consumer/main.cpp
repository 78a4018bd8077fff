// A host program that knows calp only through its installed package.
#include <calp/calp.hpp>
#include <iostream>

int main() {
  const auto h = calp::household::from_json(R"({"dossier": "7654321", "members": [
      {"id": "x", "role": "allocataire", "birth_date": "1980-01-01"},
      {"id": "y", "role": "conjoint", "birth_date": "1980-01-01"}]})");
  const auto at = calp::parse_date("2026-01-01");
  if (!h || !at) return 1;
  const auto d = calp::decide(*h, {.person = "y", .action = calp::action::dossier_read, .at = *at});
  std::cout << calp::to_string(calp::action::dossier_read) << (d.allowed ? " allowed: " : " denied: ")
            << d.reason << '\n';
  return calp::nir::parse("2 84 05 2a 321 025 52").has_value() ? 0 : 1;
}
