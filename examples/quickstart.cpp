#include <calp/calp.hpp>
#include <iostream>

int main() {
  const auto household = calp::household::from_json(R"({"dossier": "1234567", "members": [
      {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
      {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20"}]})");
  if (!household) return std::cerr << household.error().message << '\n', 2;

  const auto today = calp::parse_date("2026-11-28").value();
  const calp::decision d = calp::decide(
      *household, {.person = "p2", .action = calp::action::dossier_read, .at = today});
  // A conjoint without délégation may not read the dossier (R7).
  std::cout << (d.allowed ? "allowed" : "denied") << " (" << d.reason << "): " << d.message << '\n';
}
