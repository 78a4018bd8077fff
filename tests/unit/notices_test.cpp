#include <doctest/doctest.h>

#include <stdlib.h>  // setenv, unsetenv
#include <time.h>    // localtime_r, tzset

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "calp/notices.hpp"
#include "calp/notifier.hpp"
#include "calp/notifiers.hpp"

using namespace std::chrono;
using namespace std::string_view_literals;
namespace notices = calp::notices;
using calp::notice_kind;

namespace {

calp::timestamp utc(year_month_day day, hours h, minutes m = 0min, seconds s = 0s) {
  return sys_days{day} + h + m + s;
}

calp::provisional_id pid(std::string_view text) {
  return calp::provisional_id::parse(text).value();
}

// Strict UTF-8 (no overlong form, no surrogate, nothing above U+10FFFF), decoded to
// code points; nullopt when `text` is not valid UTF-8.
std::optional<std::u32string> decode_utf8(std::string_view text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      n = 1, cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      n = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      n = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      n = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + n > text.size()) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out += cp;
    i += n;
  }
  return out;
}

bool valid_utf8(std::string_view text) { return decode_utf8(text).has_value(); }

// The GSM 03.38 default alphabet (basic table, no escape): a text made of these goes
// in one SMS segment up to 160 characters.
bool fits_one_gsm7_segment(std::string_view text) {
  static const std::u32string alphabet =
      decode_utf8(
          "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
          .value();
  const auto cps = decode_utf8(text);
  if (!cps || cps->size() > 160) return false;
  for (const char32_t c : *cps) {
    if (alphabet.find(c) == std::u32string::npos) return false;
  }
  return true;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool ends_with_footer(const calp::email_notice& e) {
  return e.text.ends_with(
      std::string("\n\nVotre caisse d'Allocations familiales\n\n") +
      std::string(notices::email_footer));
}

const calp::secret& code() {
  static const calp::secret c{"482913"};
  return c;
}

// 28/11/2026 12:27 in Paris (winter, UTC+1), and 14/07/2026 9:05 (summer, UTC+2).
const calp::timestamp winter = utc(2026y / November / 28, 11h, 27min);
const calp::timestamp summer = utc(2026y / July / 14, 7h, 5min);

struct rendered {
  std::vector<calp::sms_notice> sms;
  std::vector<calp::email_notice> emails;
  std::vector<std::string> letters;
};

rendered every_notice() {
  rendered r;
  r.sms.push_back(notices::verification_code_sms("+33612151545", code(), 10min));
  r.sms.push_back(notices::recovery_code_sms("+33612151545", code(), 10min));
  r.sms.push_back(notices::provisional_id_reminder_sms("+33612151545", pid("P50575506")));
  r.sms.push_back(notices::password_changed_sms("+33612151545", winter));
  r.sms.push_back(notices::franceconnect_login_sms("+33612151545", summer));
  r.sms.push_back(notices::activation_code_sms("+33612151545", code(), winter));
  r.emails.push_back(notices::verification_code_email("d@test.fr", code(), 15min));
  r.emails.push_back(notices::recovery_code_email("d@test.fr", code(), 15min));
  r.emails.push_back(notices::provisional_id_reminder_email("d@test.fr", pid("P17917680")));
  r.emails.push_back(notices::password_changed_email("d@test.fr", winter));
  r.emails.push_back(notices::franceconnect_login_email("d@test.fr", summer));
  r.emails.push_back(notices::activation_code_email("d@test.fr", code(), winter));
  r.letters.push_back(notices::activation_letter_text(code(), winter));
  return r;
}

}  // namespace

TEST_CASE("notice kinds have stable snake_case names and the code kinds carry a secret") {
  CHECK(calp::to_string(notice_kind::verification_code) == "verification_code");
  CHECK(calp::to_string(notice_kind::recovery_code) == "recovery_code");
  CHECK(calp::to_string(notice_kind::provisional_id_reminder) == "provisional_id_reminder");
  CHECK(calp::to_string(notice_kind::password_changed) == "password_changed");
  CHECK(calp::to_string(notice_kind::franceconnect_login) == "franceconnect_login");
  CHECK(calp::to_string(notice_kind::activation_code) == "activation_code");
  CHECK(calp::carries_secret(notice_kind::verification_code));
  CHECK(calp::carries_secret(notice_kind::recovery_code));
  CHECK(calp::carries_secret(notice_kind::activation_code));
  CHECK_FALSE(calp::carries_secret(notice_kind::provisional_id_reminder));
  CHECK_FALSE(calp::carries_secret(notice_kind::password_changed));
  CHECK_FALSE(calp::carries_secret(notice_kind::franceconnect_login));
}

TEST_CASE("Paris time is UTC+1 in winter and UTC+2 in summer") {
  const auto local = [](calp::timestamp t) { return calp::paris_local_time(t).time_since_epoch(); };
  CHECK(local(winter) == (winter + 1h).time_since_epoch());
  CHECK(local(summer) == (summer + 2h).time_since_epoch());
  CHECK(notices::format_paris_time(winter) == "28/11/2026 à 12 h 27 (heure de Paris)");
  CHECK(notices::format_paris_time(summer) == "14/07/2026 à 9 h 05 (heure de Paris)");
  // New year: the local day and year move on an hour before UTC.
  CHECK(notices::format_paris_time(utc(2026y / December / 31, 23h, 30min)) ==
        "01/01/2027 à 0 h 30 (heure de Paris)");
}

TEST_CASE("Paris summer time starts on the last Sunday of March at 01:00 UTC") {
  // 2026-03-29 is the last Sunday of March: 2:00 local jumps to 3:00.
  const calp::timestamp switch_at = utc(2026y / March / 29, 1h);
  CHECK(calp::paris_local_time(switch_at - 1s).time_since_epoch() ==
        (switch_at - 1s + 1h).time_since_epoch());
  CHECK(calp::paris_local_time(switch_at).time_since_epoch() ==
        (switch_at + 2h).time_since_epoch());
  CHECK(notices::format_paris_time(switch_at - 1s) == "29/03/2026 à 1 h 59 (heure de Paris)");
  CHECK(notices::format_paris_time(switch_at) == "29/03/2026 à 3 h 00 (heure de Paris)");
  // A Sunday earlier in March is not the switch.
  CHECK(calp::paris_local_time(utc(2026y / March / 22, 1h)).time_since_epoch() ==
        (utc(2026y / March / 22, 1h) + 1h).time_since_epoch());
  // 2024: the last Sunday is the 31st.
  const calp::timestamp switch_2024 = utc(2024y / March / 31, 1h);
  CHECK(calp::paris_local_time(switch_2024 - 1s).time_since_epoch() ==
        (switch_2024 - 1s + 1h).time_since_epoch());
  CHECK(calp::paris_local_time(switch_2024).time_since_epoch() ==
        (switch_2024 + 2h).time_since_epoch());
}

TEST_CASE("Paris summer time ends on the last Sunday of October at 01:00 UTC") {
  // 2026-10-25 is the last Sunday of October: 3:00 local goes back to 2:00.
  const calp::timestamp switch_at = utc(2026y / October / 25, 1h);
  CHECK(calp::paris_local_time(switch_at - 1s).time_since_epoch() ==
        (switch_at - 1s + 2h).time_since_epoch());
  CHECK(calp::paris_local_time(switch_at).time_since_epoch() ==
        (switch_at + 1h).time_since_epoch());
  CHECK(notices::format_paris_time(switch_at - 1s) == "25/10/2026 à 2 h 59 (heure de Paris)");
  CHECK(notices::format_paris_time(switch_at) == "25/10/2026 à 2 h 00 (heure de Paris)");
  // 2025: the last Sunday is the 26th.
  const calp::timestamp switch_2025 = utc(2025y / October / 26, 1h);
  CHECK(calp::paris_local_time(switch_2025 - 1s).time_since_epoch() ==
        (switch_2025 - 1s + 2h).time_since_epoch());
  CHECK(calp::paris_local_time(switch_2025).time_since_epoch() ==
        (switch_2025 + 1h).time_since_epoch());
}

TEST_CASE("Paris time agrees with the system's Europe/Paris zone from 2000 to 2037") {
  // The library must not need the zone database; the test uses it, when the machine
  // has it, as an independent oracle.
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Paris")) {
    MESSAGE("no /usr/share/zoneinfo/Europe/Paris: cross-check skipped");
    return;
  }
  const char* old_tz = getenv("TZ");
  const std::optional<std::string> saved = old_tz ? std::optional<std::string>(old_tz) : std::nullopt;
  REQUIRE(setenv("TZ", "Europe/Paris", 1) == 0);
  tzset();
  const auto system_local = [](calp::timestamp t) {
    const time_t raw = static_cast<time_t>(t.time_since_epoch().count());
    tm fields{};
    // Thrown rather than REQUIREd: one assertion per probe would count in the
    // hundreds of thousands.
    if (localtime_r(&raw, &fields) == nullptr) throw std::runtime_error("localtime_r failed");
    const sys_days day{year{fields.tm_year + 1900} / (fields.tm_mon + 1) / fields.tm_mday};
    return day.time_since_epoch() + hours{fields.tm_hour} + minutes{fields.tm_min} +
           seconds{fields.tm_sec};
  };
  std::size_t mismatches = 0;
  for (calp::timestamp t = utc(2000y / January / 1, 0h); t < utc(2038y / January / 1, 0h);
       t += 1h) {
    // Every hour, and the second before each hour, which covers both switches.
    for (const calp::timestamp probe : {t - 1s, t}) {
      if (calp::paris_local_time(probe).time_since_epoch() != system_local(probe)) {
        if (++mismatches <= 5) FAIL_CHECK("differs at " << calp::format_timestamp(probe));
      }
    }
  }
  CHECK(mismatches == 0);
  if (saved) {
    setenv("TZ", saved->c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST_CASE("R13 a verification SMS gives the code, 10 minutes, and says to tell no one") {
  const auto sms = notices::verification_code_sms("+33612151545", code(), 10min);
  CHECK(sms.kind == notice_kind::verification_code);
  CHECK(sms.to == "+33612151545");
  CHECK(sms.text ==
        "Votre code de vérification Caf : 482913.\n"
        "Il est valable 10 minutes. Ne le communiquez à personne.");
}

TEST_CASE("R13 a verification e-mail gives the code, 15 minutes, signature and footer") {
  const auto mail = notices::verification_code_email("d@test.fr", code(), 15min);
  CHECK(mail.kind == notice_kind::verification_code);
  CHECK(mail.to == "d@test.fr");
  CHECK(mail.subject == "Votre code de vérification");
  CHECK(mail.text.starts_with("Bonjour,\n\n"));
  CHECK(contains(mail.text, "482913"));
  CHECK(contains(mail.text, "Il est valable 15 minutes. Ne le communiquez à personne."));
  CHECK(ends_with_footer(mail));
}

TEST_CASE("a validity is shown in whole minutes rounded down, and must be a minute at least") {
  CHECK(contains(notices::verification_code_sms("x", code(), 10min + 59s).text, "10 minutes"));
  CHECK(contains(notices::verification_code_sms("x", code(), 60s).text, "valable 1 minute."));
  CHECK(contains(notices::recovery_code_email("x", code(), 24h).text, "1440 minutes"));
  CHECK_THROWS_AS((void)notices::verification_code_sms("x", code(), 59s), std::invalid_argument);
  CHECK_THROWS_AS((void)notices::recovery_code_email("x", code(), 0s), std::invalid_argument);
  CHECK_THROWS_AS((void)notices::verification_code_email("x", code(), -10min),
                  std::invalid_argument);
}

TEST_CASE("a recovery code SMS and e-mail give the code and validity and reassure who did not ask") {
  const auto sms = notices::recovery_code_sms("+33612151545", code(), 10min);
  CHECK(sms.kind == notice_kind::recovery_code);
  CHECK(contains(sms.text, "Mot de passe oublié"));
  CHECK(contains(sms.text, "482913"));
  CHECK(contains(sms.text, "10 minutes"));
  CHECK(contains(sms.text, "Ne le communiquez à personne."));
  const auto mail = notices::recovery_code_email("d@test.fr", code(), 15min);
  CHECK(mail.kind == notice_kind::recovery_code);
  CHECK(contains(mail.text, "Votre code\u00a0: 482913."));
  CHECK(contains(mail.text, "15 minutes"));
  CHECK(contains(mail.text, "votre mot de passe reste inchangé"));
  CHECK(ends_with_footer(mail));
}

TEST_CASE("R3 the provisional identifier reminders are the Caf's texts with Veuillez") {
  const auto sms = notices::provisional_id_reminder_sms("+33612151545", pid("P50575506"));
  CHECK(sms.kind == notice_kind::provisional_id_reminder);
  CHECK(sms.text ==
        "Vous venez de demander votre identifiant de connexion.\n"
        "Veuillez le conserver :\n"
        "P50575506. À bientôt sur caf.fr.");
  const auto mail = notices::provisional_id_reminder_email("daniel.morvan@test.fr", pid("p 1791 7680"));
  CHECK(mail.kind == notice_kind::provisional_id_reminder);
  CHECK(mail.to == "daniel.morvan@test.fr");
  CHECK(mail.subject == "Votre identifiant provisoire");
  CHECK(mail.text ==
        "Bonjour,\n\n"
        "Vous venez de réaliser une demande d'envoi de votre identifiant de connexion à votre "
        "Espace Mon Compte.\n\n"
        "Rappel de celui-ci\u00a0: P17917680.\n\n"
        "Veuillez le conserver.\n\n"
        "À bientôt sur caf.fr ou sur l'application mobile Caf - Mon Compte.\n\n"
        "Votre caisse d'Allocations familiales\n\n"
        "Votre Caf vous recommande de ne pas cliquer sur les liens contenus dans les courriels. "
        "Ils peuvent diriger vers des sites frauduleux. Il est préférable de saisir directement "
        "l'adresse du site dans votre navigateur.");
}

TEST_CASE("a password change alert gives the Paris date and time and says to contact the Caf") {
  const auto sms = notices::password_changed_sms("+33612151545", winter);
  CHECK(sms.kind == notice_kind::password_changed);
  CHECK(contains(sms.text, "le 28/11/2026 à 12 h 27 (heure de Paris)"));
  CHECK(contains(sms.text, "Si vous n'êtes pas à l'origine de ce changement, contactez votre Caf."));
  const auto mail = notices::password_changed_email("d@test.fr", summer);
  CHECK(mail.kind == notice_kind::password_changed);
  CHECK(mail.subject == "Modification de votre mot de passe");
  CHECK(contains(mail.text, "le 14/07/2026 à 9 h 05 (heure de Paris)"));
  CHECK(contains(mail.text, "Si vous n'êtes pas à l'origine de ce changement, contactez votre Caf."));
  CHECK(ends_with_footer(mail));
}

TEST_CASE("a FranceConnect login alert gives the Paris date and time and says to contact the Caf") {
  const auto sms = notices::franceconnect_login_sms("+33612151545", summer);
  CHECK(sms.kind == notice_kind::franceconnect_login);
  CHECK(contains(sms.text, "FranceConnect le 14/07/2026 à 9 h 05 (heure de Paris)"));
  CHECK(contains(sms.text, "Si vous n'êtes pas à l'origine de cette connexion, contactez votre Caf."));
  const auto mail = notices::franceconnect_login_email("d@test.fr", winter);
  CHECK(mail.kind == notice_kind::franceconnect_login);
  CHECK(contains(mail.subject, "FranceConnect"));
  CHECK(contains(mail.text, "le 28/11/2026 à 12 h 27 (heure de Paris)"));
  CHECK(contains(mail.text, "Si vous n'êtes pas à l'origine de cette connexion, contactez votre Caf"));
  CHECK(ends_with_footer(mail));
}

TEST_CASE("an activation code goes by SMS, e-mail or letter with its expiry") {
  const calp::secret activation{"K7PX-92QD"};
  const calp::timestamp expires = utc(2026y / December / 12, 22h, 59min);
  const std::string_view expiry = "jusqu'au 12/12/2026 à 23 h 59 (heure de Paris)";
  const auto sms = notices::activation_code_sms("+33612151545", activation, expires);
  CHECK(sms.kind == notice_kind::activation_code);
  CHECK(contains(sms.text, "K7PX-92QD"));
  CHECK(contains(sms.text, expiry));
  const auto mail = notices::activation_code_email("d@test.fr", activation, expires);
  CHECK(mail.kind == notice_kind::activation_code);
  CHECK(mail.subject == "Votre code d'activation");
  CHECK(contains(mail.text, "K7PX-92QD"));
  CHECK(contains(mail.text, expiry));
  CHECK(ends_with_footer(mail));
  const std::string letter = notices::activation_letter_text(activation, expires);
  CHECK(letter.starts_with("Madame, Monsieur,\n\n"));
  CHECK(contains(letter, "Code d'activation\u00a0: K7PX-92QD\n"));
  CHECK(contains(letter, expiry));
  CHECK(letter.ends_with("Votre caisse d'Allocations familiales"));
  // The footer is about links in e-mails; a letter has none.
  CHECK_FALSE(contains(letter, notices::email_footer));
}

TEST_CASE("every notice is valid UTF-8, says Veuillez never Veillez, and no e-mail has a link") {
  const rendered all = every_notice();
  std::vector<std::string_view> texts;
  for (const auto& s : all.sms) texts.push_back(s.text);
  for (const auto& e : all.emails) {
    texts.push_back(e.text);
    texts.push_back(e.subject);
    CHECK(e.text.starts_with("Bonjour,\n\n"));
    CHECK(ends_with_footer(e));
    CHECK_FALSE(contains(e.text, "http"));
    CHECK_FALSE(contains(e.text, "www."));
  }
  for (const auto& l : all.letters) texts.push_back(l);
  for (const std::string_view text : texts) {
    CAPTURE(text);
    CHECK(valid_utf8(text));
    CHECK_FALSE(contains(text, "Veillez"));
    CHECK_FALSE(contains(text, "A bientôt"));
    CHECK_FALSE(text.ends_with("\n"));
  }
  // The test's own checker rejects what it must.
  CHECK_FALSE(valid_utf8("\xC3"));
  CHECK_FALSE(valid_utf8("\xC0\xAF"));
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));
  CHECK(valid_utf8("À bientôt"));
}

TEST_CASE("an SMS carrying a code fits one GSM 7-bit segment") {
  for (const auto& sms : {notices::verification_code_sms("x", code(), 10min),
                          notices::recovery_code_sms("x", code(), 10min),
                          notices::recovery_code_sms("x", code(), 1440min),
                          notices::activation_code_sms("x", calp::secret{"K7PX-92QD"}, winter)}) {
    CAPTURE(sms.text);
    CHECK(fits_one_gsm7_segment(sms.text));
  }
  CHECK_FALSE(fits_one_gsm7_segment("À bientôt"));
}

TEST_CASE("the recording notifier keeps SMS and e-mails in the order sent") {
  calp::recording_notifier rec;
  CHECK(rec.sms().empty());
  CHECK(rec.emails().empty());
  CHECK_FALSE(rec.last_sms_to("+33600000001").has_value());
  rec.send_sms({notice_kind::verification_code, "+33600000001", "un"});
  rec.send_sms({notice_kind::verification_code, "+33600000002", "deux"});
  rec.send_email({notice_kind::password_changed, "a@test.fr", "s1", "t1"});
  rec.send_sms({notice_kind::recovery_code, "+33600000001", "trois"});
  rec.send_email({notice_kind::franceconnect_login, "a@test.fr", "s2", "t2"});
  rec.send_email({notice_kind::activation_code, "b@test.fr", "s3", "t3"});

  const auto sms = rec.sms();
  REQUIRE(sms.size() == 3);
  CHECK(sms[0].text == "un");
  CHECK(sms[1].text == "deux");
  CHECK(sms[2].text == "trois");
  const auto emails = rec.emails();
  REQUIRE(emails.size() == 3);
  CHECK(emails[0].subject == "s1");
  CHECK(emails[2].subject == "s3");

  CHECK(rec.last_sms_to("+33600000001")->text == "trois");
  CHECK(rec.last_sms_to("+33600000001")->kind == notice_kind::recovery_code);
  CHECK(rec.last_sms_to("+33600000002")->text == "deux");
  CHECK_FALSE(rec.last_sms_to("+33600000003").has_value());
  CHECK(rec.last_email_to("a@test.fr")->subject == "s2");
  CHECK(rec.last_email_to("b@test.fr")->text == "t3");
  CHECK_FALSE(rec.last_email_to("c@test.fr").has_value());

  rec.clear();
  CHECK(rec.sms().empty());
  CHECK(rec.emails().empty());
}

TEST_CASE("the recording notifier fails the next N sends with notifier_error, then delivers") {
  calp::recording_notifier rec;
  rec.fail_next(2);
  CHECK_THROWS_AS(rec.send_sms({notice_kind::verification_code, "+33600000001", "482913"}),
                  calp::notifier_error);
  try {
    rec.send_email({notice_kind::verification_code, "a@test.fr", "s", "482913"});
    FAIL("the second send should fail");
  } catch (const calp::notifier_error& e) {
    // A delivery failure names no text: it may hold a code.
    CHECK_FALSE(contains(e.what(), "482913"));
    CHECK(contains(e.what(), "verification_code"));
  }
  rec.send_sms({notice_kind::verification_code, "+33600000001", "ok"});
  CHECK(rec.failures() == 2);
  REQUIRE(rec.sms().size() == 1);
  CHECK(rec.sms()[0].text == "ok");
  CHECK(rec.emails().empty());

  // Any exception counts as "not delivered"; notifier_error is one, a runtime_error.
  const calp::notifier_error err("gateway down");
  const std::runtime_error& as_runtime = err;
  CHECK(std::string_view(as_runtime.what()) == "gateway down");

  rec.fail_next(5);
  rec.fail_next(0);  // cancels
  CHECK_NOTHROW(rec.send_sms({notice_kind::password_changed, "+33600000001", "x"}));
  rec.fail_next(1);
  rec.clear();  // forgets the pending failure and the count
  CHECK(rec.failures() == 0);
  CHECK_NOTHROW(rec.send_email({notice_kind::password_changed, "a@test.fr", "s", "x"}));
}

TEST_CASE("the recording notifier is safe to use from several threads") {
  calp::recording_notifier rec;
  constexpr int threads = 4;
  constexpr int per_thread = 300;
  std::atomic<int> thrown{0};
  rec.fail_next(10);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&rec, &thrown, t] {
      const std::string phone = "+3360000000" + std::to_string(t);
      const std::string mail = "p" + std::to_string(t) + "@test.fr";
      for (int i = 0; i < per_thread; ++i) {
        try {
          rec.send_sms({notice_kind::verification_code, phone, std::to_string(i)});
        } catch (const calp::notifier_error&) {
          ++thrown;
        }
        try {
          rec.send_email({notice_kind::verification_code, mail, "s", std::to_string(i)});
        } catch (const calp::notifier_error&) {
          ++thrown;
        }
        if (i % 50 == 0) {
          (void)rec.sms();
          (void)rec.last_email_to(mail);
        }
      }
    });
  }
  for (auto& th : pool) th.join();

  CHECK(thrown.load() == 10);
  CHECK(rec.failures() == 10);
  const auto sms = rec.sms();
  const auto emails = rec.emails();
  CHECK(sms.size() + emails.size() == 2 * threads * per_thread - 10);
  // Each thread's notices appear in the order that thread sent them.
  for (int t = 0; t < threads; ++t) {
    const std::string phone = "+3360000000" + std::to_string(t);
    int last = -1;
    for (const auto& s : sms) {
      if (s.to != phone) continue;
      const int i = std::stoi(s.text);
      CHECK(i > last);
      last = i;
    }
  }
}

TEST_CASE("the console notifier prints one readable block per notice") {
  std::ostringstream out;
  calp::console_notifier console(out);
  console.send_sms(notices::verification_code_sms("+33612151545", code(), 10min));
  CHECK(out.str() ==
        "SMS à +33612151545 (verification_code)\u00a0:\n"
        "  Votre code de vérification Caf : 482913.\n"
        "  Il est valable 10 minutes. Ne le communiquez à personne.\n"
        "\n");
  out.str("");
  console.send_email({notice_kind::password_changed, "d@test.fr", "Objet", "Bonjour,\n\nTexte"});
  CHECK(out.str() ==
        "Mail à d@test.fr, objet «\u00a0Objet\u00a0» (password_changed)\u00a0:\n"
        "  Bonjour,\n"
        "\n"
        "  Texte\n"
        "\n");
}

TEST_CASE("the console notifier writes whole blocks from several threads") {
  std::ostringstream out;
  calp::console_notifier console(out);
  constexpr int threads = 4;
  constexpr int per_thread = 100;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&console, t] {
      for (int i = 0; i < per_thread; ++i) {
        console.send_sms({notice_kind::password_changed, "+3360000000" + std::to_string(t),
                          "ligne 1\nligne 2"});
      }
    });
  }
  for (auto& th : pool) th.join();
  std::istringstream in(out.str());
  std::string heading, l1, l2, blank;
  int blocks = 0;
  while (std::getline(in, heading)) {
    REQUIRE(std::getline(in, l1));
    REQUIRE(std::getline(in, l2));
    REQUIRE(std::getline(in, blank));
    CHECK(heading.starts_with("SMS à +3360000000"));
    CHECK(l1 == "  ligne 1");
    CHECK(l2 == "  ligne 2");
    CHECK(blank.empty());
    ++blocks;
  }
  CHECK(blocks == threads * per_thread);
}

TEST_CASE("the console notifier reports a failed stream as notifier_error") {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  calp::console_notifier console(out);
  CHECK_THROWS_AS(console.send_sms({notice_kind::password_changed, "+33600000001", "x"}),
                  calp::notifier_error);
}

TEST_CASE("R7 the délégation notices tell each person, in French, who may manage the dossier") {
  using reader = notices::delegation_reader;
  const calp::date on = year{2026} / January / 15;
  CHECK(notices::format_french_date(on) == "15/01/2026");
  CHECK(notices::format_french_date(year{2027} / November / 3) == "03/11/2027");

  const auto granted_alloc = notices::delegation_granted_sms("+33612154545", reader::allocataire,
                                                             "Zohra TADJ", on);
  CHECK(granted_alloc.kind == notice_kind::delegation_granted);
  CHECK(granted_alloc.to == "+33612154545");
  CHECK(granted_alloc.text ==
        "Depuis le 15/01/2026, vous autorisez Zohra TADJ à gérer votre dossier Caf.\n"
        "Si vous n'êtes pas à l'origine de ce changement, contactez votre Caf.");
  const auto granted_conj =
      notices::delegation_granted_sms("+33700000002", reader::conjoint, "Audrey DESLOT", on);
  CHECK(granted_conj.text ==
        "Depuis le 15/01/2026, Audrey DESLOT vous autorise à gérer son dossier Caf : consulter "
        "les droits et paiements, déclarer des changements, demander une prestation.");
  const auto revoked_alloc =
      notices::delegation_revoked_sms("x", reader::allocataire, "Zohra TADJ", on);
  CHECK(revoked_alloc.kind == notice_kind::delegation_revoked);
  CHECK(contains(revoked_alloc.text, "Depuis le 15/01/2026, Zohra TADJ n'est plus autorisé(e) à "
                                     "gérer votre dossier Caf."));
  const auto revoked_conj =
      notices::delegation_revoked_sms("x", reader::conjoint, "Audrey DESLOT", on);
  CHECK(contains(revoked_conj.text, "vous n'êtes plus autorisé(e) à gérer le dossier Caf de "
                                    "Audrey DESLOT"));
  CHECK(contains(revoked_conj.text, "Vos données personnelles restent accessibles"));

  const auto mail_alloc =
      notices::delegation_granted_email("a@test.fr", reader::allocataire, "Zohra TADJ", on);
  CHECK(mail_alloc.subject == "Délégation de gestion de votre dossier");
  const auto mail_conj =
      notices::delegation_granted_email("b@test.fr", reader::conjoint, "Audrey DESLOT", on);
  for (const auto* mail : {&mail_alloc, &mail_conj}) {
    CHECK(contains(mail->text, "- consulter les droits et paiements\n"
                               "- déclarer des changements\n"
                               "- demander une prestation"));
  }
  CHECK(contains(mail_alloc.text, "«\u00a0Gérer Mon Compte\u00a0»"));
  const auto end_alloc =
      notices::delegation_revoked_email("a@test.fr", reader::allocataire, "Zohra TADJ", on);
  const auto end_conj =
      notices::delegation_revoked_email("b@test.fr", reader::conjoint, "Audrey DESLOT", on);
  CHECK(end_alloc.kind == notice_kind::delegation_revoked);
  CHECK(end_conj.subject == "Fin de la délégation de gestion d'un dossier Caf");

  for (const auto& sms : {granted_alloc, granted_conj, revoked_alloc, revoked_conj}) {
    CAPTURE(sms.text);
    CHECK(valid_utf8(sms.text));
    CHECK_FALSE(sms.text.ends_with("\n"));
    CHECK(decode_utf8(sms.text)->size() <= 200);  // two UCS-2 segments at most
  }
  for (const auto& mail : {mail_alloc, mail_conj, end_alloc, end_conj}) {
    CAPTURE(mail.text);
    CHECK(valid_utf8(mail.text));
    CHECK(valid_utf8(mail.subject));
    CHECK(mail.text.starts_with("Bonjour,\n\n"));
    CHECK(ends_with_footer(mail));
    CHECK_FALSE(contains(mail.text, "http"));
    CHECK_FALSE(carries_secret(mail.kind));
  }
  CHECK(calp::to_string(notice_kind::delegation_granted) == "delegation_granted");
  CHECK(calp::to_string(notice_kind::delegation_revoked) == "delegation_revoked");
}
