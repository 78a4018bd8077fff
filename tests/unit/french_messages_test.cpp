// Every French text calp shows or returns to a person or an agent, held to one set of
// conventions (issue 6: "the French messages for every reason code reviewed for spelling
// and tone"). The tone is the seed's (DESIGN.md, seed/000_…): vouvoiement, "Veuillez …",
// short sentences.
//
// Conventions (apply them to any new text; this test enforces them):
// - Apostrophe: the straight `'` (U+0027) everywhere, as the seed writes it ("l'appli",
//   "d'allocataire", "Qu'est-ce que": 60 straight apostrophes, no curly one). It is also in
//   the GSM 7-bit alphabet of SMS and in Latin-1, which legacy Caf backends may use.
// - French spacing: a no-break space U+00A0 before `:` `;` `!` `?` `»` and after `«`,
//   written `\u00a0` in C++ literals and in the policy JSON (never a literal invisible
//   character). U+00A0 rather than the narrow U+202F: it exists in Latin-1 and
//   Windows-1252 and every font draws it. Exception, SMS bodies: an ordinary space before
//   `:` (no `« »` and no `; ! ?`), because U+00A0 is outside the GSM 7-bit alphabet and one
//   such character sends the whole SMS in UCS-2 (70 characters a segment), which would
//   split the code SMS kept in one segment (src/notices.cpp).
// - Capitals keep their accents ("À bientôt", "À tout moment", "État"), where the seed's
//   "A bientôt", like its "Veillez", is a typing slip.
// - "mail" / "adresse mail" as the seed's screens say it ("Adresse mail", "par mail"),
//   never "e-mail" or "email" in a French text; "courriels" only in the Caf's verbatim
//   anti-phishing footer; "SMS" in capitals.
// - Sentences start with a capital and end with a period (a line may also end with `:`
//   before a list or a value); no double space, no space before `.` or `,`, no space at
//   the start or end of a line, "…" rather than "...", « » rather than `"`, an en dash
//   `–` rather than " - " (but for the seed's application name "Caf - Mon Compte" and
//   "- " list items).
// - Vouvoiement, no English word; gender-neutral like the seed's "conjoint(e)": an
//   adjective or participle about the reader takes "(e)" ("vous êtes seul(e)",
//   "autorisé(e)", "né(e)").
// Labels (`libelle` of actions and roles) are lower-case fragments: only the typography
// rules apply to them. Stable codes (`conjoint_without_delegation`…) are not texts.

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "calp/accounts.hpp"
#include "calp/action.hpp"
#include "calp/civil_status.hpp"
#include "calp/delegation.hpp"
#include "calp/error.hpp"
#include "calp/household.hpp"
#include "calp/ids.hpp"
#include "calp/notices.hpp"
#include "calp/notifiers.hpp"
#include "calp/password_hasher.hpp"
#include "calp/password_policy.hpp"
#include "calp/policy.hpp"
#include "calp/roles.hpp"
#include "calp/secret.hpp"
#include "calp/storage/memory.hpp"
#include "calp/storage_authorizer.hpp"
#include "calp/testing/manual_clock.hpp"
#include "calp/verification_code.hpp"

namespace {

using namespace std::chrono_literals;

// What kind of text: decides which rules apply.
enum class medium {
  sentence,  // one line, one or more sentences: capital first, period last
  text,      // several lines (e-mail body, letter, screen text); each line checked
  sms,       // like text, with the SMS spacing (ordinary space before ":")
  heading,   // e-mail subject: one line, capital first, no final period
  label,     // lower-case fragment (libellé): typography only
};

constexpr char32_t nbsp = U'\u00A0';
constexpr char32_t narrow_nbsp = U'\u202F';

// Strict UTF-8 decoding: no overlong form, no surrogate, nothing above U+10FFFF.
std::optional<std::u32string> decode(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      n = 1, cp = b;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 2, cp = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 3, cp = b & 0x0Fu;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 4, cp = b & 0x07u;
    } else {
      return std::nullopt;
    }
    if (i + n > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0u) != 0x80u) return std::nullopt;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

std::string encode(std::u32string_view s) {
  std::string out;
  for (const char32_t cp : s) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

bool is_upper(char32_t c) {
  return (c >= U'A' && c <= U'Z') || std::u32string_view(U"ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ").find(c) !=
                                         std::u32string_view::npos;
}
bool is_letter(char32_t c) {
  return is_upper(c) || (c >= U'a' && c <= U'z') ||
         std::u32string_view(U"àâäçéèêëîïôöùûüÿæœ").find(c) != std::u32string_view::npos;
}

// The words of a line (letters, digits, apostrophes and hyphens inside words split).
std::vector<std::u32string> words(std::u32string_view line) {
  std::vector<std::u32string> out;
  std::u32string w;
  for (const char32_t c : line) {
    if (is_letter(c) || (c >= U'0' && c <= U'9')) {
      w += c;
    } else {
      if (!w.empty()) out.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) out.push_back(w);
  return out;
}

// Words that must not appear: English that leaked, tutoiement, unaccented capitals, and
// the seed's slips.
const std::set<std::u32string>& forbidden_words() {
  static const std::set<std::u32string> words{
      // English
      U"the", U"and", U"is", U"are", U"not", U"of", U"to", U"with", U"you", U"your", U"please",
      U"must", U"cannot", U"password", U"email", U"error", U"invalid", U"unknown", U"denied",
      U"allowed", U"account", U"login", U"member", U"household", U"delegation", U"failed",
      U"TODO", U"FIXME",
      // tutoiement
      U"tu", U"toi", U"ton", U"ta", U"tes", U"te",
      // unaccented capitals and slips
      U"A", U"Etat", U"Etes", U"Etape", U"Echec", U"ECHEC", U"Ecran", U"Etranger", U"Equipe",
      U"Evitez", U"Veillez", U"mn"};
  return words;
}

// Every problem of `text` under the conventions, in plain words (empty: conforms).
std::vector<std::string> problems(std::string_view text, medium m) {
  std::vector<std::string> out;
  const auto say = [&out](std::string what) { out.push_back(std::move(what)); };
  const auto decoded = decode(text);
  if (!decoded) return {"not valid UTF-8"};
  const std::u32string& t = *decoded;
  if (t.empty()) return {"empty"};
  const bool multiline = m == medium::text || m == medium::sms;
  const bool sms = m == medium::sms;

  for (std::size_t i = 0; i < t.size(); ++i) {
    const char32_t c = t[i];
    const char32_t prev = i > 0 ? t[i - 1] : U'\n';
    const char32_t next = i + 1 < t.size() ? t[i + 1] : U'\n';
    const std::string at = fmt::format(" at character {}", i);
    if (c == U'\n') {
      if (!multiline) say("a line break in a one-line text" + at);
    } else if (c < 0x20 || (c >= 0x7F && c < 0xA0)) {
      say("a control character" + at);
    }
    if (c == U'\u2019' || c == U'\u2018' || c == U'\u02BC' || c == U'`' || c == U'\u00B4') {
      say("a typographic apostrophe: write ' as the seed does" + at);
    }
    if (c == U'"' || c == U'\u201C' || c == U'\u201D') say("a quotation mark: write « »" + at);
    if (c == narrow_nbsp) say("a narrow no-break space U+202F: write U+00A0" + at);
    if (c == U' ' && next == U' ') say("a double space" + at);
    if ((c == U' ' || c == nbsp) && (next == U'\n' || i + 1 == t.size())) {
      say("a space at the end of a line" + at);
    }
    if ((c == U' ' || c == nbsp) && prev == U'\n') say("a space at the start of a line" + at);
    if ((c == U'.' || c == U',') && (prev == U' ' || prev == nbsp)) {
      say("a space before a period or a comma" + at);
    }
    if (c == U'.' && next == U'.') say("\"..\": write …" + at);
    const bool high = c == U':' || c == U';' || c == U'!' || c == U'?' || c == U'»';
    if (sms) {
      if (c == nbsp) say("a no-break space in an SMS (not GSM 7-bit): write a space" + at);
      if (c == U'«' || c == U'»' || c == U';' || c == U'!') {
        say("« » ; or ! in an SMS: they need a no-break space" + at);
      }
      if (c == U':' || c == U'?') {
        if (prev != U' ') say("no space before : or ? in an SMS" + at);
      }
    } else {
      if (high && prev != nbsp) say("no U+00A0 before : ; ! ? or »" + at);
      if (c == U'«' && next != nbsp) say("no U+00A0 after «" + at);
      if (c == nbsp && !(next == U':' || next == U';' || next == U'!' || next == U'?' ||
                         next == U'»' || prev == U'«')) {
        say("a no-break space that is not before : ; ! ? » or after «" + at);
      }
    }
  }

  const std::string utf8(text);
  for (std::size_t p = utf8.find(" - "); p != std::string::npos; p = utf8.find(" - ", p + 1)) {
    if (utf8.compare(p >= 3 ? p - 3 : 0, 16, "Caf - Mon Compte") != 0) {
      say(fmt::format("\" - \" used as a dash at byte {}: write –", p));
    }
  }
  if (utf8.find("--") != std::string::npos) say("\"--\"");
  for (const std::string_view bad : {"e-mail", "E-mail", "e-Mail"}) {
    if (utf8.find(bad) != std::string::npos) say(fmt::format("\"{}\": write mail", bad));
  }
  // The reader's gender is not presumed: "vous êtes seul(e)", "autorisé(e)", "né(e)".
  for (std::size_t p = utf8.find("êtes "); p != std::string::npos; p = utf8.find("êtes ", p + 1)) {
    std::size_t w = p + std::string_view("êtes ").size();
    for (const std::string_view skip : {"plus ", "pas ", "bien "}) {
      if (utf8.compare(w, skip.size(), skip) == 0) w += skip.size();
    }
    std::size_t end = w;
    while (end < utf8.size() && utf8[end] != ' ' && utf8[end] != '.' && utf8[end] != ',' &&
           utf8[end] != '(' && utf8[end] != '\n') {
      ++end;
    }
    const std::string_view word(utf8.data() + w, end - w);
    if ((word == "seul" || word.ends_with("é")) && utf8.compare(end, 3, "(e)") != 0) {
      say(fmt::format("\"êtes {}\" presumes the reader's gender: write {}(e)", word, word));
    }
  }

  // Line by line: words, first letter, last character.
  std::size_t start = 0;
  while (start <= t.size()) {
    std::size_t end = t.find(U'\n', start);
    if (end == std::u32string::npos) end = t.size();
    const std::u32string_view line(t.data() + start, end - start);
    const bool last_line = end == t.size();
    for (const auto& w : words(line)) {
      if (forbidden_words().contains(w)) say(fmt::format("the word \"{}\"", encode(w)));
    }
    const bool list_item = line.starts_with(U"- ");
    if (!line.empty() && !list_item && m != medium::label && !is_upper(line.front())) {
      say(fmt::format("the line \"{}\" does not start with a capital", encode(line)));
    }
    const bool signature = line == U"Votre caisse d'Allocations familiales";
    if (m == medium::sentence || (sms && last_line)) {
      if (!line.ends_with(U'.')) say("the text does not end with a period");
    } else if (multiline && last_line) {
      // A text ends a sentence, introduces a list shown after it, or is signed.
      if (!line.ends_with(U'.') && !line.ends_with(U':') && !signature) {
        say("the text does not end with a period");
      }
    } else if (multiline && !line.empty() && !list_item) {
      // Inside a text a line ends a sentence, introduces what follows, greets or signs, or
      // is a "label : value" line.
      const bool ends_well = line.ends_with(U'.') || line.ends_with(U':') || line.ends_with(U',');
      const bool label_value = line.find(U"\u00A0: ") != std::u32string_view::npos;
      if (!ends_well && !label_value && !signature) {
        say(fmt::format("the line \"{}\" does not end with . : or ,", encode(line)));
      }
    }
    if ((m == medium::heading || m == medium::label) && line.ends_with(U'.')) {
      say("a heading or label ends with a period");
    }
    start = end + 1;
  }
  return out;
}

void check_text(std::string_view what, std::string_view text, medium m) {
  const auto found = problems(text, m);
  for (const auto& p : found) {
    ADD_FAIL_CHECK_AT(__FILE__, __LINE__, fmt::format("{}: {}\n  text: {}", what, p, text));
  }
  CHECK_MESSAGE(found.empty(), what);
}

// The problems of a policy document's reasons: each code has a message that conforms.
std::vector<std::string> policy_problems(const nlohmann::json& doc) {
  std::vector<std::string> out;
  const auto& reasons = doc.at("reasons");
  for (const auto& [code, message] : reasons.items()) {
    if (!message.is_string()) {
      out.push_back(code + ": no message");
      continue;
    }
    for (const auto& p : problems(message.get<std::string>(), medium::sentence)) {
      out.push_back(code + ": " + p);
    }
  }
  return out;
}

calp::person_id pid(std::string_view s) { return calp::person_id::parse(s).value(); }
calp::date day(int y, unsigned m, unsigned d) {
  return calp::date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}
calp::timestamp noon(calp::date d) { return calp::timestamp{std::chrono::sys_days{d}} + 12h; }

}  // namespace

TEST_CASE("the conventions checker accepts good French and rejects each fault") {
  CHECK(problems("Le conjoint n'a pas de délégation de gestion.", medium::sentence).empty());
  CHECK(problems("L'allocataire est le responsable du dossier\u00a0: il fait les démarches.",
                 medium::sentence)
            .empty());
  CHECK(problems("Votre code Caf : 482913.\nIl est valable 10 minutes.", medium::sms).empty());
  CHECK(problems("À tout moment, menu «\u00a0Gérer Mon Compte\u00a0».", medium::sentence).empty());
  CHECK(problems("Vous êtes seul(e) à pouvoir le faire.", medium::sentence).empty());
  CHECK(problems("consulter ses données personnelles", medium::label).empty());

  const auto bad = [](std::string_view text, medium m = medium::sentence) {
    CAPTURE(text);
    CHECK_FALSE(problems(text, m).empty());
  };
  bad("");                                                   // empty
  bad("\xC3(");                                              // invalid UTF-8
  bad("\xC0\xAF.");                                          // overlong
  bad("The conjoint has no delegation.");                    // English
  bad("Le conjoint n'a pas de délégation");                  // no period
  bad("le conjoint n'a pas de délégation.");                 // no capital
  bad("Le conjoint n\u2019a pas de délégation.");            // curly apostrophe
  bad("L'allocataire est le responsable : il décide.");      // ordinary space before :
  bad("L'allocataire est le responsable: il décide.");       // no space before :
  bad("L'allocataire est le responsable\u202F: il décide."); // narrow no-break space
  bad("Le menu « Gérer Mon Compte ».");                      // ordinary spaces in « »
  bad("Le conjoint  n'a pas de délégation.");                // double space
  bad("Le conjoint n'a pas de délégation .");                // space before period
  bad("A tout moment, vous pourrez revenir.");               // unaccented capital
  bad("Veillez le conserver.");                              // the seed's slip
  bad("Tu peux revenir sur ton choix.");                     // tutoiement
  bad("Vous êtes seul à pouvoir le faire.");                 // gender presumed
  bad("Vous n'êtes plus autorisé à gérer ce dossier.");      // gender presumed
  bad("Votre adresse e-mail est vérifiée.");                 // e-mail
  bad("Dossier 1234567 - personne p1.");                     // hyphen as a dash
  bad("Le code est \"482913\".");                            // straight quotes
  bad("Votre code Caf\u00a0: 482913.", medium::sms);         // no-break space in an SMS
  bad("Une ligne.\nune autre.", medium::text);               // line without capital
}

TEST_CASE("R9 every reason of the default policy has a French message in the conventions") {
  const auto doc = nlohmann::json::parse(calp::policy::caf_default_json());
  REQUIRE(doc.at("reasons").size() >= 14);
  for (const auto& [code, message] : doc.at("reasons").items()) {
    REQUIRE_MESSAGE(message.is_string(), code);
    check_text("reason " + code, message.get<std::string>(), medium::sentence);
  }
  // The description is French too, for whoever reviews the file.
  check_text("policy description", doc.at("description").get<std::string>(), medium::sentence);

  // Every outcome the compiled default policy can give, for every action and standing.
  const calp::policy& p = calp::policy::caf_default();
  for (const calp::action a : calp::all_actions) {
    for (std::size_t r = 0; r < calp::household_role_count; ++r) {
      for (const bool delegation : {false, true}) {
        for (const bool couple : {false, true}) {
          const calp::standing s{static_cast<calp::household_role>(r), delegation, couple};
          const auto o = p.evaluate(a, s);
          const std::string code(p.reason_code(o.reason));
          CHECK_MESSAGE(doc.at("reasons").contains(code), code);
          check_text("outcome " + code, p.reason_message(o.reason), medium::sentence);
        }
      }
    }
  }
}

TEST_CASE("R9 every engine reason, and the storage authorizer's, has a French message") {
  const calp::policy& p = calp::policy::caf_default();
  for (const std::string_view engine : {calp::reasons::not_allowed, calp::reasons::under_15,
                                        calp::reasons::not_member, calp::reasons::agent_required}) {
    const auto o = p.engine_outcome(engine);
    CHECK_FALSE(o.allowed);
    CHECK(p.reason_code(o.reason) == engine);
    check_text(std::string("engine reason ") + std::string(engine), p.reason_message(o.reason),
               medium::sentence);
  }
  check_text("unknown_dossier", calp::unknown_dossier_message, medium::sentence);
}

TEST_CASE("R9 a policy variant with an English or ill-typed reason is caught") {
  auto doc = nlohmann::json::parse(calp::policy::caf_default_json());
  CHECK(policy_problems(doc).empty());
  doc["reasons"]["new_reason"] = "The conjoint has no delegation";
  doc["reasons"]["other_reason"] = "Le conjoint n'a pas de délégation : il ne peut pas.";
  // Still a loadable policy: only this test stands between it and an agent's screen.
  const auto loaded = calp::policy::from_json(doc.dump());
  CHECK_MESSAGE(loaded.has_value(), (loaded ? std::string() : loaded.error().message));
  doc["reasons"]["empty_reason"] = "";
  const auto found = policy_problems(doc);
  const auto mentions = [&found](std::string_view code) {
    for (const auto& f : found) {
      if (f.starts_with(code)) return true;
    }
    return false;
  };
  CHECK(mentions("new_reason"));
  CHECK(mentions("other_reason"));
  CHECK(mentions("empty_reason"));
}

TEST_CASE("R9 the labels of actions and roles follow the typography") {
  for (const calp::action a : calp::all_actions) {
    check_text(std::string("action ") + std::string(calp::to_string(a)), calp::libelle(a),
               medium::label);
  }
  for (std::size_t r = 0; r < calp::household_role_count; ++r) {
    const auto role = static_cast<calp::household_role>(r);
    check_text(std::string("role ") + std::string(calp::to_string(role)), calp::libelle(role),
               medium::label);
  }
}

TEST_CASE("R12 every password refusal has a French message in the conventions") {
  using calp::password_refusal;
  constexpr std::array all = {password_refusal::invalid_utf8, password_refusal::control_character,
                              password_refusal::common,       password_refusal::contains_nir,
                              password_refusal::contains_birth_date,
                              password_refusal::contains_name};
  // A refusal added to the enumeration must be added above (and given a message).
  CHECK(calp::to_string(static_cast<password_refusal>(all.size())) == "unknown");
  std::set<std::string_view> seen;
  for (const auto r : all) {
    CHECK(calp::to_string(r) != "unknown");
    const auto message = calp::french_message(r);
    check_text(std::string("password refusal ") + std::string(calp::to_string(r)), message,
               medium::sentence);
    CHECK_MESSAGE(seen.insert(message).second, "two refusals share a message");
  }
  check_text("password refusal fallback",
             calp::french_message(static_cast<password_refusal>(all.size())), medium::sentence);
}

TEST_CASE("R4 R15 every civil status and NIR error has a French message in the conventions") {
  // Every error code there is (found by name, so a new one is checked without editing
  // this test), for every field the declaration form names, and one it does not.
  std::vector<calp::errc> codes;
  for (unsigned v = 0; v < 256; ++v) {
    const auto code = static_cast<calp::errc>(v);
    const std::string_view name = calp::to_string(code);
    if (name.starts_with("calp.civil_status.") || name.starts_with("calp.nir.")) {
      codes.push_back(code);
    }
  }
  CHECK(codes.size() >= 12);
  const std::array<std::string, 13> fields = {
      "family_name", "given_names",  "birth_date",           "birth_country",
      "birth_place", "birth_city",   "parents",              "parents[0].family_name",
      "parents[1].given_names", "postal_code", "nir", "", "unheard_of"};
  for (const auto code : codes) {
    for (const auto& field : fields) {
      const auto message = calp::french_message(calp::error{code, "developer message", field});
      check_text(fmt::format("{} on `{}`", calp::to_string(code), field), message,
                 medium::sentence);
      CHECK(message.find("developer message") == std::string::npos);
    }
  }
  using calp::nir_mismatch;
  constexpr std::array mismatches = {nir_mismatch::sex, nir_mismatch::birth_year,
                                     nir_mismatch::birth_month, nir_mismatch::born_abroad,
                                     nir_mismatch::born_in_france};
  CHECK(calp::to_string(static_cast<nir_mismatch>(mismatches.size())) == "unknown");
  for (const auto m : mismatches) {
    check_text(std::string("NIR mismatch ") + std::string(calp::to_string(m)),
               calp::french_reason(m), medium::sentence);
  }
  check_text("NIR mismatch fallback",
             calp::french_reason(static_cast<nir_mismatch>(mismatches.size())), medium::sentence);
}

TEST_CASE("R13 R17 R7 every notice, of every kind, follows the conventions") {
  namespace notices = calp::notices;
  using reader = notices::delegation_reader;
  const calp::secret code{"482913"};
  const calp::secret activation{"K7PX-92QD"};
  const auto provisional = calp::provisional_id::parse("P17917680").value();
  // Winter and summer instants: the time shown differs, not the text's shape.
  const calp::timestamp winter = std::chrono::sys_days{day(2026, 11, 28)} + 11h + 27min;
  const calp::timestamp summer = std::chrono::sys_days{day(2026, 7, 14)} + 7h + 5min;
  const calp::date on = day(2026, 1, 15);

  std::vector<calp::sms_notice> sms;
  std::vector<calp::email_notice> mails;
  for (const std::chrono::seconds validity : std::array<std::chrono::seconds, 3>{60s, 10min, 15min}) {
    sms.push_back(notices::verification_code_sms("+33612151545", code, validity));
    sms.push_back(notices::recovery_code_sms("+33612151545", code, validity));
    mails.push_back(notices::verification_code_email("d@test.fr", code, validity));
    mails.push_back(notices::recovery_code_email("d@test.fr", code, validity));
  }
  sms.push_back(notices::provisional_id_reminder_sms("+33612151545", provisional));
  mails.push_back(notices::provisional_id_reminder_email("d@test.fr", provisional));
  for (const auto when : {winter, summer}) {
    sms.push_back(notices::password_changed_sms("+33612151545", when));
    mails.push_back(notices::password_changed_email("d@test.fr", when));
    sms.push_back(notices::franceconnect_login_sms("+33612151545", when));
    mails.push_back(notices::franceconnect_login_email("d@test.fr", when));
    sms.push_back(notices::activation_code_sms("+33612151545", activation, when));
    mails.push_back(notices::activation_code_email("d@test.fr", activation, when));
  }
  for (const auto who : {reader::allocataire, reader::conjoint}) {
    for (const std::string_view name : {"Zohra TADJ", "Éloïse D'ARC-LÉGER"}) {
      sms.push_back(notices::delegation_granted_sms("+33612151545", who, name, on));
      sms.push_back(notices::delegation_revoked_sms("+33612151545", who, name, on));
      mails.push_back(notices::delegation_granted_email("d@test.fr", who, name, on));
      mails.push_back(notices::delegation_revoked_email("d@test.fr", who, name, on));
    }
  }

  // Every kind rendered: a new kind must be added here (and get its texts).
  std::set<calp::notice_kind> kinds;
  for (const auto& s : sms) kinds.insert(s.kind);
  for (const auto& e : mails) kinds.insert(e.kind);
  for (unsigned k = 0; k < 256; ++k) {
    const auto kind = static_cast<calp::notice_kind>(k);
    if (calp::to_string(kind) == "unknown") continue;
    CHECK_MESSAGE(kinds.contains(kind), calp::to_string(kind));
  }

  for (const auto& s : sms) {
    check_text(fmt::format("SMS {}", calp::to_string(s.kind)), s.text, medium::sms);
  }
  for (const auto& e : mails) {
    check_text(fmt::format("mail {} subject", calp::to_string(e.kind)), e.subject,
               medium::heading);
    check_text(fmt::format("mail {}", calp::to_string(e.kind)), e.text, medium::text);
  }
  for (const auto when : {winter, summer}) {
    check_text("activation letter", notices::activation_letter_text(activation, when),
               medium::text);
  }
  check_text("e-mail footer", notices::email_footer, medium::sentence);
}

TEST_CASE("R7 R15 the délégation screen and the benefit request answers follow the conventions") {
  calp::memory_storage store;
  calp::recording_notifier notes;
  calp::testing::manual_clock clock(noon(day(2026, 1, 15)));
  const auto household = calp::household::from_json(R"({"dossier": "1234567", "members": [
      {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
      {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20"}]})");
  REQUIRE(household);
  REQUIRE(store.commit(calp::write_batch().put(*household, 0)));
  calp::person_record zohra{pid("p2"), std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  zohra.civil_status = calp::civil_status{};
  zohra.civil_status->family_name = "TADJ";
  zohra.civil_status->given_names = "Zohra";
  REQUIRE(store.commit(calp::write_batch().put(zohra, 0)));

  calp::household_service households(store, notes, clock);
  const auto dossier = calp::dossier_number::parse("1234567").value();
  const auto check_screen = [&](std::string_view state) {
    const auto screen = households.delegation_screen(pid("p1"), dossier);
    REQUIRE(screen);
    REQUIRE(screen->applies);
    const std::string what = fmt::format("délégation screen ({})", state);
    check_text(what + " sentence", screen->sentence, medium::sentence);
    check_text(what + " introduction", screen->introduction, medium::text);
    check_text(what + " question", screen->question, medium::sentence);
    check_text(what + " reminder", screen->reminder, medium::sentence);
    for (const auto capability : screen->capabilities) {
      check_text(what + " capability", capability, medium::label);
    }
  };
  check_screen("not granted");
  REQUIRE(households.grant_delegation(pid("p1"), dossier).outcome ==
          calp::household_outcome::done);
  check_screen("granted");

  // The answers of may_request_benefit that are not a policy reason.
  calp::account_config config;
  config.terms_version = "CGU-2026-10";
  config.password_hashing = calp::password_hash_params::for_tests();
  calp::account_service accounts(
      store, notes, clock, config,
      calp::code_key::from_hex("1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100")
          .value());
  const auto anonymous = accounts.may_request_benefit(calp::secret(std::string(64, 'b')));
  CHECK(anonymous.reason == "not_signed_in");
  check_text("benefit request not_signed_in", anonymous.message, medium::sentence);

  calp::primo_declaration d;
  d.civil.family_name = "Morvan";
  d.civil.given_names = "Daniel";
  d.civil.gender = calp::gender::male;
  d.civil.birth_date = day(1962, 9, 9);
  d.civil.birth_country = "99352";
  d.civil.birth_city = "Oran";
  d.civil.parents = {calp::parent_names{"Morvan", "Jean"}, calp::parent_names{"Morvan", "Jeanne"}};
  d.civil.postal_code = "06000";
  const auto registered = accounts.register_primo_demandeur(d);
  REQUIRE(registered.outcome == calp::registration_outcome::registered);
  const auto incomplete = accounts.may_request_benefit(registered.token);
  CHECK(incomplete.reason == "first_connection_incomplete");
  check_text("benefit request first_connection_incomplete", incomplete.message, medium::sentence);
}
