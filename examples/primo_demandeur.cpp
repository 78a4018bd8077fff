// A primo-demandeur (R3, R4, R15, R17): Daniel MORVAN, born in Oran (Algeria), has no
// NIR and no dossier. He declares his civil status, forgets his parents' names (R4,
// refused field by field), completes it and gets a provisional identifier P + 8 digits;
// he then does his first connection (CGU, password, e-mail proved by a code), reads the
// seed's "récapitulatif", and later asks "Identifiant provisoire oublié ?".
//
// The storage is a SQLite file in a temporary folder, removed at the end; the e-mails
// are printed by calp::console_notifier; a manual clock fixes the day (28/11/2026).

#include <calp/accounts.hpp>
#include <calp/calp.hpp>
#include <calp/storage/sqlite.hpp>
#include <calp/testing/manual_clock.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>

namespace {

// The demo's mailbox: prints each notice (calp::console_notifier), counts them, keeps the last
// code for the program to type. A real gateway never keeps or prints one (calp/notifier.hpp).
class demo_mailbox final : public calp::notifier {
 public:
  void send_sms(const calp::sms_notice& n) override { console_.send_sms(n); remember(n.text); }
  void send_email(const calp::email_notice& n) override { console_.send_email(n); remember(n.text); }
  [[nodiscard]] const std::string& last_code() const { return last_code_; }
  [[nodiscard]] const std::string& last_text() const { return last_text_; }
  [[nodiscard]] int count() const { return count_; }

 private:
  void remember(const std::string& text) {
    ++count_;
    last_text_ = text;
    std::smatch code;  // 6 digits on their own (not those of `P50575506`)
    if (std::regex_search(text, code, std::regex(R"(\b\d{6}\b)"))) last_code_ = code.str();
  }
  calp::console_notifier console_{std::cout};
  std::string last_code_, last_text_;
  int count_ = 0;
};

// A step that did not go as R3–R17 say stops the program (through main's catch, so that
// the temporary folder is removed).
[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

void expect(const calp::step_result& r, calp::step_outcome want, const std::string& what) {
  if (r.outcome != want) fail(what + "\u00a0: " + std::string(calp::to_string(r.outcome)));
}

// calp keeps the INSEE COG code; the screen shows the country's name.
std::string country(const std::string& cog) {
  if (cog == "99352") return "ALGERIE";
  return cog == "99100" ? "FRANCE" : cog;
}

std::string jj_mm_aaaa(calp::date d) {  // format_date writes 1962-09-09
  const std::string iso = calp::format_date(d);
  return iso.substr(8, 2) + '/' + iso.substr(5, 2) + '/' + iso.substr(0, 4);
}

void print_recap(const calp::registration_recap& r) {  // the seed's screen
  const calp::civil_status& c = r.civil;
  std::cout << "6. RÉCAPITULATIF DE MA CRÉATION DE COMPTE\n"
            << "   Mon identifiant\u00a0: " << r.identifier << ". Conservez bien cet identifiant, il vous"
            << " permettra de vous connecter à votre Espace Mon Compte.\n"
            << "   ÉTAT CIVIL\n"
            << "   Civilité\u00a0: " << (c.gender == calp::gender::male ? "MONSIEUR" : "MADAME") << '\n'
            << "   Nom de naissance\u00a0: " << c.family_name << '\n'
            << "   Prénom(s)\u00a0: " << c.given_names << '\n'
            << "   Date de naissance\u00a0: " << jj_mm_aaaa(c.birth_date) << '\n'
            << "   Pays de naissance\u00a0: " << country(c.birth_country) << '\n'
            << "   Ville de naissance\u00a0: " << c.birth_city << '\n';
  for (std::size_t i = 0; i < c.parents.size(); ++i) {
    std::cout << "   Nom de naissance du parent " << i + 1 << "\u00a0: " << c.parents[i].family_name << '\n'
              << "   Prénom(s) du parent " << i + 1 << "\u00a0: " << c.parents[i].given_names << '\n';
  }
  std::cout << "   Lieu de résidence\u00a0: " << c.postal_code << '\n' << "   COORDONNÉES DE CONTACT\n";
  for (const auto& p : r.contacts) {
    std::cout << "   " << (p.kind == calp::contact_kind::email ? "Adresse mail" : "Téléphone portable")
              << "\u00a0: " << p.value << '\n';
  }
}

}  // namespace

int main() try {
  std::string dir = (std::filesystem::temp_directory_path() / "calp-primo-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) fail("dossier temporaire impossible à créer");
  struct cleanup { std::string d; ~cleanup() { std::filesystem::remove_all(d); } } guard{dir};
  calp::sqlite_storage store({.path = dir + "/calp.db"});
  demo_mailbox mailbox;
  calp::testing::manual_clock clock(calp::parse_timestamp("2026-11-28T09:00:00Z").value());
  calp::account_config config;
  config.terms_version = "CGU-2026-10";
  calp::account_service service(store, mailbox, clock, config, calp::code_key::generate());

  // -- "Créer Mon Compte": born abroad, no NIR; the parents forgotten -------------------
  calp::primo_declaration declared;
  declared.civil = {.family_name = "Morvan", .given_names = "Daniel", .gender = calp::gender::male,
                    .birth_date = calp::parse_date("1962-09-09").value(), .birth_country = "99352",
                    .birth_place = {}, .birth_city = "Oran", .parents = {}, .postal_code = "06000"};
  auto reg = service.register_primo_demandeur(declared);
  std::cout << "1. Déclaration sans les parents\u00a0: " << calp::to_string(reg.outcome) << '\n';
  if (reg.outcome != calp::registration_outcome::invalid || reg.errors.empty()) {
    fail("il fallait refuser une naissance à l'étranger sans les parents (R4)");
  }
  for (const auto& e : reg.errors) std::cout << "   ✗ " << calp::french_message(e) << '\n';

  declared.civil.parents = {{"Morvan", "Jean"}, {"Morvan", "Jeanne"}};
  reg = service.register_primo_demandeur(declared);
  if (reg.outcome != calp::registration_outcome::registered || !reg.provisional) {
    fail("la déclaration complète devait créer l'espace personnel");
  }
  const std::string provisional(reg.provisional->str());
  std::cout << "2. Déclaration complète\u00a0: identifiant provisoire " << provisional
            << ", étape suivante " << calp::to_string(reg.next_step) << '\n';
  const calp::secret& token = reg.token;

  // R15: no benefit request before the personal space is complete.
  auto benefit = service.may_request_benefit(token);
  std::cout << "3. Demande de prestation\u00a0? " << (benefit.allowed ? "oui" : "non") << " ("
            << benefit.reason << ") " << benefit.message << '\n';
  if (benefit.allowed) fail("demande de prestation avant la fin de la première connexion");

  // -- First connection: CGU, password, e-mail proved by a code -------------------------
  auto step = service.accept_terms(token, "CGU-2026-10");
  expect(step, calp::step_outcome::done, "CGU");
  const std::string_view password = "Baie-des-Anges-6";
  step = service.create_password(token, calp::secret{password}, calp::secret{password});
  expect(step, calp::step_outcome::done, "mot de passe");
  std::cout << "4. CGU acceptées, mot de passe créé\u00a0; adresse mail daniel.morvan@test.fr\n\n";
  step = service.send_contact_code(token, calp::contact_kind::email, "daniel.morvan@test.fr");
  expect(step, calp::step_outcome::code_sent, "code");
  step = service.confirm_contact(token, mailbox.last_code());
  benefit = service.may_request_benefit(token);
  std::cout << "5. Je tape le code reçu\u00a0: " << calp::to_string(step.outcome) << ", étape suivante "
            << calp::to_string(step.next_step) << "\u00a0; demande de prestation\u00a0? "
            << (benefit.allowed ? "oui" : "non") << '\n';
  if (step.next_step != calp::first_connection_step::done || !benefit.allowed) {
    fail("la première connexion devait être finie, et ouvrir les demandes de prestation");
  }

  // -- The seed's récapitulatif ---------------------------------------------------------
  const auto recap = service.recap(token);
  if (!recap || recap->identifier != provisional || !recap->provisional) fail("récapitulatif");
  print_recap(*recap);
  service.logout(token);

  // -- "Identifiant provisoire oublié ?" (R17): the answer never says whether he exists --
  const int before = mailbox.count();
  // The screen says the same whatever happened: it must not tell who has an account.
  const char* screen =
      "\u00a0: «\u00a0Si ces informations correspondent à un compte, votre identifiant vous a été envoyé.\u00a0»";
  std::cout << "7. Identifiant provisoire oublié\u00a0? morvan, 09/09/1962, daniel.morvan@test.fr\n\n";
  calp::provisional_id_reminder_request forgot{"morvan", declared.civil.birth_date,
                                               calp::contact_kind::email, "daniel.morvan@test.fr"};
  auto answer = service.remind_provisional_id(forgot);
  std::cout << "   Réponse " << calp::to_string(answer) << screen << '\n';
  if (answer != calp::recovery_outcome::accepted || mailbox.count() != before + 1 ||
      mailbox.last_text().find(provisional) == std::string::npos ||
      mailbox.last_text().find("Veuillez le conserver") == std::string::npos) {
    fail("le rappel de l'identifiant devait partir par mail");
  }
  std::cout << "8. Même demande avec le nom MARVIN\n";
  forgot.family_name = "MARVIN";
  answer = service.remind_provisional_id(forgot);
  std::cout << "   Réponse " << calp::to_string(answer) << screen << "\n   Messages envoyés\u00a0: "
            << mailbox.count() - before - 1 << '\n';
  if (answer != calp::recovery_outcome::accepted || mailbox.count() != before + 1) {
    fail("un nom faux ne devait rien envoyer, avec la même réponse");
  }

  const auto again = service.login(provisional, calp::secret{password});
  std::cout << "9. Connexion avec " << provisional << "\u00a0: " << calp::to_string(again.outcome)
            << ", étape suivante " << calp::to_string(again.next_step) << '\n';
  if (again.outcome != calp::login_outcome::signed_in) fail("connexion avec l'identifiant provisoire");
  std::cout << "L'espace personnel du primo-demandeur est prêt.\n";
} catch (const std::exception& e) {
  std::cerr << "ÉCHEC\u00a0: " << e.what() << '\n';
  return 1;
}
