#include "calp/notices.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace calp {

std::chrono::local_seconds paris_local_time(timestamp t) noexcept {
  using namespace std::chrono;
  // The UTC year is the right one to look the switches up in: they fall in March and
  // October, far from the new year where UTC and Paris years differ.
  const year y = year_month_day{floor<days>(t)}.year();
  const auto last_sunday = [y](month m) {
    return sys_days{year_month_weekday_last{y, m, weekday_last{Sunday}}};
  };
  const timestamp summer_starts = last_sunday(March) + 1h;
  const timestamp summer_ends = last_sunday(October) + 1h;
  const hours offset = t >= summer_starts && t < summer_ends ? 2h : 1h;
  return local_seconds{(t + offset).time_since_epoch()};
}

namespace notices {

namespace {

// Sentence-initial "À" keeps its accent (Académie française: capitals are accented),
// where the seed's "A bientôt" drops it, as it has "Veillez" for "Veuillez": both are
// typing slips of the original, not the Caf's style. It costs nothing in an SMS: the
// "ô" of "bientôt" is already outside the GSM 7-bit alphabet, so the gateway sends the
// provisional-id SMS in UCS-2 (or transliterates) either way.
constexpr std::string_view see_you = "À bientôt sur caf.fr";
constexpr std::string_view signature = "Votre caisse d'Allocations familiales";
constexpr std::string_view keep_secret = "Ne le communiquez à personne.";

// Rounded down: a person told "10 minutes" for 10 min 30 s is never caught out by an
// expiry earlier than announced.
std::string validity_text(std::chrono::seconds validity) {
  const auto minutes = std::chrono::floor<std::chrono::minutes>(validity).count();
  if (minutes < 1) {
    throw std::invalid_argument(
        fmt::format("a code validity of {} s cannot be shown in minutes", validity.count()));
  }
  return minutes == 1 ? std::string("1 minute") : fmt::format("{} minutes", minutes);
}

// Every e-mail has the seed's shape: greeting, body paragraphs, signature, footer. The
// footer goes in every one, so a person learns that a Caf e-mail never asks them to
// click (and none of these texts has a link).
email_notice make_email(notice_kind kind, std::string to, std::string_view subject,
                        std::string_view body) {
  return email_notice{kind, std::move(to), std::string(subject),
                      fmt::format("Bonjour,\n\n{}\n\n{}\n\n{}", body, signature, email_footer)};
}

}  // namespace

std::string format_paris_time(timestamp t) {
  using namespace std::chrono;
  const local_seconds local = paris_local_time(t);
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> time{local - day};
  // "12 h 27", hour not padded: the French typographic norm for a time of day.
  return fmt::format("{:02}/{:02}/{} à {} h {:02} (heure de Paris)",
                     static_cast<unsigned>(ymd.day()), static_cast<unsigned>(ymd.month()),
                     static_cast<int>(ymd.year()), time.hours().count(),
                     time.minutes().count());
}

// The SMS that carry a code (this one, recovery, activation) use only the GSM 7-bit
// alphabet and stay under 160 characters, so that each travels as one segment: a code
// split over two segments can arrive half, or in the wrong order. That is why every SMS
// has an ordinary space before ":" where the e-mails and letters have a no-break space
// (U+00A0, not in the GSM alphabet): see tests/unit/french_messages_test.cpp.
sms_notice verification_code_sms(std::string to, const secret& code,
                                 std::chrono::seconds validity) {
  return sms_notice{notice_kind::verification_code, std::move(to),
                    fmt::format("Votre code de vérification Caf : {}.\nIl est valable {}. {}",
                                code.view(), validity_text(validity), keep_secret)};
}

email_notice verification_code_email(std::string to, const secret& code,
                                     std::chrono::seconds validity) {
  // No "vous venez de demander": the first login sends this code unasked.
  return make_email(
      notice_kind::verification_code, std::move(to), "Votre code de vérification",
      fmt::format("Pour confirmer cette adresse mail dans votre Espace Mon Compte, saisissez le "
                  "code de vérification suivant\u00a0: {}.\n\n"
                  "Il est valable {}. {}\n\n"
                  "Si vous n'attendiez pas ce code, ignorez ce message.",
                  code.view(), validity_text(validity), keep_secret));
}

sms_notice recovery_code_sms(std::string to, const secret& code, std::chrono::seconds validity) {
  return sms_notice{notice_kind::recovery_code, std::move(to),
                    fmt::format("Mot de passe oublié : votre code Caf est {}.\nIl est valable "
                                "{}. {} Si vous n'avez rien demandé, ignorez ce message.",
                                code.view(), validity_text(validity), keep_secret)};
}

email_notice recovery_code_email(std::string to, const secret& code,
                                 std::chrono::seconds validity) {
  return make_email(
      notice_kind::recovery_code, std::move(to), "Mot de passe oublié\u00a0: votre code",
      fmt::format("Vous venez de demander la réinitialisation du mot de passe de votre Espace "
                  "Mon Compte.\n\n"
                  "Votre code\u00a0: {}.\n\n"
                  "Il est valable {}. {}\n\n"
                  "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message\u00a0: votre "
                  "mot de passe reste inchangé.",
                  code.view(), validity_text(validity), keep_secret));
}

// The two provisional-id texts are the seed's, word for word, but for "Veuillez", "À"
// (see `see_you`) and the final period of the SMS, which the seed's e-mail has.
sms_notice provisional_id_reminder_sms(std::string to, const provisional_id& id) {
  return sms_notice{notice_kind::provisional_id_reminder, std::move(to),
                    fmt::format("Vous venez de demander votre identifiant de connexion.\n"
                                "Veuillez le conserver :\n{}. {}.",
                                id.str(), see_you)};
}

email_notice provisional_id_reminder_email(std::string to, const provisional_id& id) {
  return make_email(
      notice_kind::provisional_id_reminder, std::move(to), "Votre identifiant provisoire",
      fmt::format("Vous venez de réaliser une demande d'envoi de votre identifiant de connexion "
                  "à votre Espace Mon Compte.\n\n"
                  "Rappel de celui-ci\u00a0: {}.\n\n"
                  "Veuillez le conserver.\n\n"
                  "{} ou sur l'application mobile Caf - Mon Compte.",
                  id.str(), see_you));
}

sms_notice password_changed_sms(std::string to, timestamp when) {
  return sms_notice{notice_kind::password_changed, std::move(to),
                    fmt::format("Votre mot de passe Caf a été modifié le {}.\nSi vous n'êtes pas "
                                "à l'origine de ce changement, contactez votre Caf.",
                                format_paris_time(when))};
}

email_notice password_changed_email(std::string to, timestamp when) {
  return make_email(notice_kind::password_changed, std::move(to),
                    "Modification de votre mot de passe",
                    fmt::format("Le mot de passe de votre Espace Mon Compte a été modifié le "
                                "{}.\n\n"
                                "Si vous n'êtes pas à l'origine de ce changement, contactez "
                                "votre Caf.",
                                format_paris_time(when)));
}

sms_notice franceconnect_login_sms(std::string to, timestamp when) {
  return sms_notice{notice_kind::franceconnect_login, std::move(to),
                    fmt::format("Connexion à votre compte Caf avec FranceConnect le {}.\nSi vous "
                                "n'êtes pas à l'origine de cette connexion, contactez votre Caf.",
                                format_paris_time(when))};
}

email_notice franceconnect_login_email(std::string to, timestamp when) {
  // The password that let someone in is the one of the FranceConnect account (impots,
  // ameli...), not a Caf one: changing it is the advice that actually shuts them out.
  return make_email(notice_kind::franceconnect_login, std::move(to),
                    "Nouvelle connexion avec FranceConnect",
                    fmt::format("Une connexion à votre Espace Mon Compte a été réalisée avec "
                                "FranceConnect le {}.\n\n"
                                "Si vous n'êtes pas à l'origine de cette connexion, contactez "
                                "votre Caf et changez le mot de passe du compte que vous "
                                "utilisez avec FranceConnect.",
                                format_paris_time(when)));
}

sms_notice activation_code_sms(std::string to, const secret& code, timestamp expires_at) {
  return sms_notice{notice_kind::activation_code, std::move(to),
                    fmt::format("Votre code d'activation Caf : {}.\nIl est valable jusqu'au {}. "
                                "{}",
                                code.view(), format_paris_time(expires_at), keep_secret)};
}

email_notice activation_code_email(std::string to, const secret& code, timestamp expires_at) {
  return make_email(
      notice_kind::activation_code, std::move(to), "Votre code d'activation",
      fmt::format("Voici le code d'activation de votre Espace Mon Compte\u00a0: {}.\n\n"
                  "Il ne sert qu'une fois et il est valable jusqu'au {}. {}\n\n"
                  "Si vous n'êtes pas à l'origine de cette demande, contactez votre Caf.",
                  code.view(), format_paris_time(expires_at), keep_secret));
}

std::string activation_letter_text(const secret& code, timestamp expires_at) {
  // A letter has no footer: the anti-phishing advice is about links in e-mails.
  return fmt::format(
      "Madame, Monsieur,\n\n"
      "Voici le code d'activation de votre Espace Mon Compte, sur caf.fr ou sur "
      "l'application mobile Caf - Mon Compte\u00a0:\n\n"
      "Code d'activation\u00a0: {}\n\n"
      "Il ne sert qu'une fois et il est valable jusqu'au {}. {}\n\n"
      "Si vous n'êtes pas à l'origine de cette demande, contactez votre Caf.\n\n"
      "{}",
      code.view(), format_paris_time(expires_at), keep_secret, signature);
}

std::string format_french_date(date d) {
  return fmt::format("{:02}/{:02}/{:04}", static_cast<unsigned>(d.day()),
                     static_cast<unsigned>(d.month()), static_cast<int>(d.year()));
}

namespace {

constexpr std::string_view not_you =
    "Si vous n'êtes pas à l'origine de ce changement, contactez votre Caf.";
constexpr std::string_view change_any_time =
    "À tout moment, vous pourrez revenir sur votre choix dans le menu «\u00a0Gérer Mon Compte\u00a0».";
// The seed's three capabilities, as a list in an e-mail.
constexpr std::string_view capabilities_list =
    "- consulter les droits et paiements\n"
    "- déclarer des changements\n"
    "- demander une prestation";

}  // namespace

// The délégation notices name the other person as the screen does: a message about who
// may see a dossier is only useful if it says who. They hold no secret. "(e)" follows the
// seed's "conjoint(e)": calp does not presume the reader's gender.
sms_notice delegation_granted_sms(std::string to, delegation_reader reader,
                                  std::string_view other_name, date on) {
  const std::string day = format_french_date(on);
  if (reader == delegation_reader::allocataire) {
    return sms_notice{notice_kind::delegation_granted, std::move(to),
                      fmt::format("Depuis le {}, vous autorisez {} à gérer votre dossier "
                                  "Caf.\n{}",
                                  day, other_name, not_you)};
  }
  return sms_notice{notice_kind::delegation_granted, std::move(to),
                    fmt::format("Depuis le {}, {} vous autorise à gérer son dossier Caf : "
                                "consulter les droits et paiements, déclarer des changements, "
                                "demander une prestation.",
                                day, other_name)};
}

email_notice delegation_granted_email(std::string to, delegation_reader reader,
                                      std::string_view other_name, date on) {
  const std::string day = format_french_date(on);
  if (reader == delegation_reader::allocataire) {
    return make_email(notice_kind::delegation_granted, std::move(to),
                      "Délégation de gestion de votre dossier",
                      fmt::format("Depuis le {}, vous autorisez {} à consulter les données de "
                                  "votre dossier Caf et à réaliser les démarches\u00a0:\n{}\n\n{}\n\n{}",
                                  day, other_name, capabilities_list, change_any_time, not_you));
  }
  return make_email(notice_kind::delegation_granted, std::move(to),
                    "Délégation de gestion d'un dossier Caf",
                    fmt::format("Depuis le {}, {} vous autorise à consulter les données de son "
                                "dossier Caf et à réaliser les démarches dans votre Espace Mon "
                                "Compte\u00a0:\n{}",
                                day, other_name, capabilities_list));
}

sms_notice delegation_revoked_sms(std::string to, delegation_reader reader,
                                  std::string_view other_name, date on) {
  const std::string day = format_french_date(on);
  if (reader == delegation_reader::allocataire) {
    return sms_notice{notice_kind::delegation_revoked, std::move(to),
                      fmt::format("Depuis le {}, {} n'est plus autorisé(e) à gérer votre dossier "
                                  "Caf.\n{}",
                                  day, other_name, not_you)};
  }
  return sms_notice{notice_kind::delegation_revoked, std::move(to),
                    fmt::format("Depuis le {}, vous n'êtes plus autorisé(e) à gérer le dossier "
                                "Caf de {}. Vos données personnelles restent accessibles dans "
                                "votre Espace Mon Compte.",
                                day, other_name)};
}

email_notice delegation_revoked_email(std::string to, delegation_reader reader,
                                      std::string_view other_name, date on) {
  const std::string day = format_french_date(on);
  if (reader == delegation_reader::allocataire) {
    return make_email(notice_kind::delegation_revoked, std::move(to),
                      "Fin de la délégation de gestion de votre dossier",
                      fmt::format("Depuis le {}, {} n'est plus autorisé(e) à consulter les "
                                  "données de votre dossier Caf ni à réaliser les démarches. "
                                  "Vous êtes seul(e) à pouvoir le faire.\n\n{}\n\n{}",
                                  day, other_name, change_any_time, not_you));
  }
  return make_email(notice_kind::delegation_revoked, std::move(to),
                    "Fin de la délégation de gestion d'un dossier Caf",
                    fmt::format("Depuis le {}, vous n'êtes plus autorisé(e) à consulter les "
                                "données du dossier Caf de {} ni à réaliser les démarches pour "
                                "ce dossier. Vos données personnelles restent accessibles dans "
                                "votre Espace Mon Compte.",
                                day, other_name));
}

}  // namespace notices
}  // namespace calp
