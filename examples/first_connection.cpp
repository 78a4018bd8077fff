// La bascule (R11–R13): an allocataire in a couple logs in for the first time with their
// NIR and the 8-digit dossier password, then accepts the CGU, chooses a personal
// password, proves a mobile number with a code sent by SMS and answers the délégation
// offer. From then on the dossier password opens nothing for them.
//
// usage: first_connection [HOUSEHOLD.json]   (default: examples/data/couple-sans-delegation.json)
// The storage is a SQLite file in a temporary folder, removed at the end; the "SMS" are
// printed by calp::console_notifier.

#include <calp/accounts.hpp>
#include <calp/calp.hpp>
#include <calp/storage/sqlite.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

// The demo's SMS gateway: prints each notice as calp::console_notifier does, and keeps
// the code of the last one so that the program can type it, as the person reads it off
// their phone. A real gateway must never keep or print a code (calp/notifier.hpp).
class demo_phone final : public calp::notifier {
 public:
  void send_sms(const calp::sms_notice& n) override {
    console_.send_sms(n);
    remember(n.text);
  }
  void send_email(const calp::email_notice& n) override {
    console_.send_email(n);
    remember(n.text);
  }
  [[nodiscard]] const std::string& last_code() const { return last_code_; }

 private:
  void remember(const std::string& text) {  // the first run of 6 digits
    for (std::size_t i = 0; i + 6 <= text.size(); ++i) {
      std::size_t n = 0;
      while (n < 6 && std::isdigit(static_cast<unsigned char>(text[i + n]))) ++n;
      if (n == 6) {
        last_code_ = text.substr(i, 6);
        return;
      }
    }
  }
  calp::console_notifier console_{std::cout};
  std::string last_code_;
};

void print_checklist(const calp::password_check& c) {  // the seed's ✓ list
  const auto tick = [](bool ok) { return ok ? "  ✓ " : "  ✗ "; };
  std::cout << tick(c.length) << "8 à 24 caractères\n" << tick(c.digit) << "1 chiffre\n"
            << tick(c.lower) << "1 lettre minuscule\n" << tick(c.upper) << "1 lettre majuscule\n"
            << tick(c.confirmation) << "confirmation identique\n";
  for (const auto r : c.refusals) std::cout << "  ✗ " << calp::french_message(r) << '\n';
}

// A step that did not go as R11–R13 say stops the program (through main's catch, so
// that the temporary folder is removed).
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

calp::person_record person(const calp::member& m, const char* nir, std::string family,
                           std::string given, calp::gender g, std::string birth_place) {
  calp::civil_status cs{std::move(family), std::move(given), g, m.birth_date, "99100",
                        std::move(birth_place), {}, {}, {}};
  return {m.id, calp::nir::parse(nir).value(), std::nullopt, std::nullopt, std::move(cs)};
}

}  // namespace

int main(int argc, char** argv) try {
  // -- The Caf's side: a storage, the household, the persons and their accounts ---------
  std::ifstream file(argc > 1 ? argv[1] : CALP_EXAMPLE_HOUSEHOLD);
  std::stringstream json;
  json << file.rdbuf();
  auto household = calp::household::from_json(json.str());
  if (!household) fail("dossier illisible\u00a0: " + household.error().message);
  const calp::member& alloc = household->allocataire();
  const calp::member* conj = household->conjoint();
  if (conj == nullptr) fail("il faut un dossier avec un conjoint");
  const calp::dossier_number dossier = household->dossier();

  // mkdtemp: a folder no other user can have prepared, removed with everything in it.
  std::string dir = (std::filesystem::temp_directory_path() / "calp-bascule-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) fail("dossier temporaire impossible à créer");
  struct cleanup { std::string d; ~cleanup() { std::filesystem::remove_all(d); } } guard{dir};
  calp::sqlite_storage store({.path = dir + "/calp.db"});
  if (auto put = store.commit(calp::write_batch{}.put(*household, 0)); !put) {
    fail(put.error().message);
  }

  demo_phone phone;
  calp::system_clock clock;
  // Every server sharing the storage needs the same key: a real host loads it with
  // code_key::from_hex from its configuration. interactive() is the production cost.
  calp::account_config config;  // the defaults are R11–R13's rules
  config.terms_version = "CGU-2026-10";
  calp::account_service service(store, phone, clock, config, calp::code_key::generate());

  // Both members have the dossier's 8-digit password until their own bascule.
  const calp::secret dossier_password{"48213067"};
  const std::string legacy = service.hash_legacy_password(dossier_password);
  const auto karim = person(alloc, "185037510812348", "TADJ", "Karim", calp::gender::male, "75108");
  const auto zohra = person(*conj, "287116912304512", "TADJ", "Zohra", calp::gender::female, "69123");
  for (const auto* p : {&karim, &zohra}) {
    if (auto imported = service.import_account(*p, legacy); !imported) fail(imported.error().message);
  }
  std::cout << "1. La Caf importe le dossier " << dossier.str() << "\u00a0: " << karim.nir->masked()
            << " (allocataire) et " << zohra.nir->masked() << " (conjointe)\n";

  // -- Karim's first connection ---------------------------------------------------------
  const std::string nir_typed = "1 85 03 75 108 123 48";  // as typed, spaces and all (R1)
  auto login = service.login(nir_typed, calp::secret{"48213067"});
  if (login.outcome != calp::login_outcome::signed_in) fail("connexion avec le mot de passe dossier");
  const calp::secret& token = login.token;
  std::cout << "2. Connexion avec le NIR et le mot de passe dossier\u00a0: étape suivante "
            << calp::to_string(login.next_step) << '\n';

  auto step = service.accept_terms(token, "CGU-2026-10");
  std::cout << "3. J'accepte les CGU\u00a0: étape suivante " << calp::to_string(step.next_step) << '\n';

  step = service.create_password(token, calp::secret{"tadj1985"}, calp::secret{"tadj1985"});
  std::cout << "4. Mot de passe «\u00a0tadj1985\u00a0»\u00a0: " << calp::to_string(step.outcome) << '\n';
  if (step.outcome != calp::step_outcome::password_rejected) fail("ce mot de passe devait être refusé");
  print_checklist(*step.password);

  step = service.create_password(token, calp::secret{"Balcon-Fleuri-7"}, calp::secret{"Balcon-Fleuri-7"});
  std::cout << "5. Mot de passe «\u00a0Balcon-Fleuri-7\u00a0»\u00a0: " << calp::to_string(step.outcome) << '\n';
  if (step.outcome != calp::step_outcome::done) fail("ce mot de passe devait être accepté");
  print_checklist(*step.password);

  std::cout << "6. Coordonnées de contact\u00a0: le portable 06 12 15 45 45\n\n";
  step = service.send_contact_code(token, calp::contact_kind::mobile, "06 12 15 45 45");
  if (step.outcome != calp::step_outcome::code_sent) fail(std::string(calp::to_string(step.outcome)));
  std::cout << "   Code envoyé au " << step.sent_to << "\u00a0; nouveaux codes possibles\u00a0: "
            << step.new_codes_left << '\n';

  // A wrong code: the right one with its last digit changed, so it is wrong for sure.
  std::string wrong = phone.last_code();
  wrong.back() = wrong.back() == '9' ? '0' : static_cast<char>(wrong.back() + 1);
  step = service.confirm_contact(token, wrong);
  std::cout << "7. Je tape " << wrong << "\u00a0: " << calp::to_string(step.outcome)
            << ", encore " << step.attempts_left << " essais\n";
  if (step.outcome != calp::step_outcome::wrong_code) fail("le code faux devait être refusé");

  std::cout << "8. «\u00a0Demander l'envoi d'un nouveau code\u00a0»\n\n";
  step = service.resend_contact_code(token);
  if (step.outcome != calp::step_outcome::code_sent) fail(std::string(calp::to_string(step.outcome)));
  std::cout << "   Nouveau code envoyé\u00a0; nouveaux codes encore possibles\u00a0: " << step.new_codes_left
            << '\n';

  step = service.confirm_contact(token, phone.last_code());
  std::cout << "9. Je tape le nouveau code\u00a0: " << calp::to_string(step.outcome)
            << ", étape suivante " << calp::to_string(step.next_step) << '\n';
  if (step.next_step != calp::first_connection_step::answer_delegation_offer) fail("offre attendue");

  // R7: only an allocataire in a couple sees this screen.
  std::cout << "10. «\u00a0J'autorise " << zohra.civil_status->given_names << ' '
            << zohra.civil_status->family_name
            << " à consulter les données du dossier et à réaliser les démarches.\u00a0» Oui\n";
  step = service.answer_delegation_offer(token, true);
  std::cout << "    " << calp::to_string(step.outcome) << ", étape suivante "
            << calp::to_string(step.next_step) << '\n';
  if (step.next_step != calp::first_connection_step::done) fail("la bascule devait être finie");

  // The délégation is in the household now: Zohra may read the dossier (R7, R10).
  const auto stored = store.find_household(dossier).value();
  const calp::date today{std::chrono::floor<std::chrono::days>(clock.now())};
  const auto d = calp::decide(stored.value, {.person = zohra.id.str(),
                                             .action = calp::action::dossier_read, .at = today});
  std::cout << "    Zohra consulte le dossier\u00a0: " << (d.allowed ? "oui" : "non") << " (" << d.reason << ")\n";

  // -- Afterwards: the dossier password no longer opens Karim's account -----------------
  service.logout(token);
  const auto old = service.login(nir_typed, calp::secret{"48213067"});
  std::cout << "11. Connexion avec l'ancien mot de passe dossier\u00a0: " << calp::to_string(old.outcome) << '\n';
  const auto mine = service.login(nir_typed, calp::secret{"Balcon-Fleuri-7"});
  std::cout << "12. Connexion avec le mot de passe personnel\u00a0: " << calp::to_string(mine.outcome)
            << ", étape suivante " << calp::to_string(mine.next_step) << '\n';
  if (old.outcome != calp::login_outcome::refused ||
      mine.outcome != calp::login_outcome::signed_in ||
      mine.next_step != calp::first_connection_step::done) {
    fail("après la bascule");
  }
  std::cout << "La bascule est terminée.\n";
} catch (const std::exception& e) {
  std::cerr << "ÉCHEC\u00a0: " << e.what() << '\n';
  return 1;
}
