#include "calp/franceconnect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "crypto/digest.hpp"
#include "detail/input_text.hpp"
#include "detail/json_input.hpp"
#include "detail/unicode_text.hpp"

namespace calp {

namespace {

// Bumped if a hash input ever changes, so an old hash can never verify a new way; the
// two domains keep a state's hash from ever passing for a nonce's.
constexpr std::string_view state_domain = "calp.franceconnect.state.v1";
constexpr std::string_view nonce_domain = "calp.franceconnect.nonce.v1";
constexpr std::string_view key_prefix = "fc:";
// 32 bytes: as much entropy as the server key, so neither value can be guessed.
constexpr std::size_t random_bytes = 32;

// A merged ID token and userinfo is well under 4 KiB; 16 KiB leaves room for claims
// calp ignores without letting a hostile document cost anything.
constexpr detail::json_bounds claims_bounds{16 * 1024, 8, 1024};

// JWT times are seconds since 1970; beyond year 9999 no `timestamp` formats, and no
// real token gets near it.
constexpr double latest_time = 253402300799.0;

std::string nonce_hash(const code_key& server_key, std::string_view challenge_key,
                       std::string_view nonce) {
  // The record's key goes into the hash, so a nonce hash copied onto another attempt
  // does not verify there.
  return detail::keyed_digest(server_key, nonce_domain, {challenge_key, nonce});
}

std::string attempt_payload(eidas_level acr) {
  return nlohmann::json{{"acr", to_string(acr)}}.dump();
}

// The level stored by `start_franceconnect_login`, or nullopt when the payload is not
// one it wrote.
std::optional<eidas_level> requested_acr(std::string_view payload) {
  const auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find("acr");
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return parse_eidas_level(it->get_ref<const std::string&>());
}

timestamp time_value(const nlohmann::json& j, const std::string& path) {
  double seconds = 0;
  if (j.is_number_unsigned()) {
    seconds = static_cast<double>(j.get<std::uint64_t>());
  } else if (j.is_number_integer()) {
    seconds = static_cast<double>(j.get<std::int64_t>());
  } else if (j.is_number_float()) {
    // RFC 7519 allows a fraction; a second is calp's grain.
    seconds = std::floor(j.get<double>());
  } else {
    detail::throw_input_error(
        errc::json_type,
        fmt::format("{} must be a number of seconds, not {}", path, detail::type_name(j)), path);
  }
  if (!(seconds >= 0 && seconds <= latest_time)) {
    detail::throw_input_error(errc::json_type,
                              fmt::format("{} is not a time between 1970 and 9999", path), path);
  }
  return timestamp{std::chrono::seconds{static_cast<std::int64_t>(seconds)}};
}

std::string audience(const nlohmann::json& j, std::size_t max_length) {
  if (j.is_string()) return detail::string_value(j, "aud", max_length);
  if (!j.is_array()) {
    detail::throw_input_error(
        errc::json_type,
        fmt::format("aud must be a string or an array of strings, not {}", detail::type_name(j)),
        "aud");
  }
  std::vector<std::string> all;
  for (std::size_t i = 0; i < j.size(); ++i) {
    all.push_back(detail::string_value(j[i], detail::index_path("aud", i), max_length));
  }
  // Several audiences (or none) cannot be calp's own alone: the empty string makes
  // `check_claims` refuse them as `wrong_audience`.
  return all.size() == 1 ? std::move(all.front()) : std::string();
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// `99` and 3 digits: INSEE's code of a country, `99100` for France.
bool is_country_code(std::string_view s) noexcept {
  return s.size() == 5 && s[0] == '9' && s[1] == '9' && is_digit(s[2]) && is_digit(s[3]) &&
         is_digit(s[4]);
}

// A COG commune code, FranceConnect's pattern `([0-8][0-9AB]|9[0-8AB])[0-9]{3}`: the
// department (2A, 2B for Corsica; 97x, 98x overseas) then the commune.
bool is_commune_code(std::string_view s) noexcept {
  if (s.size() != 5) return false;
  const bool second_ok = is_digit(s[1]) || s[1] == 'A' || s[1] == 'B';
  const bool department_ok = (s[0] >= '0' && s[0] <= '8' && second_ok) ||
                             (s[0] == '9' && second_ok && s[1] != '9');
  return department_ok && is_digit(s[2]) && is_digit(s[3]) && is_digit(s[4]);
}

constexpr std::string_view france = "99100";

bool same_name(std::string_view a, std::string_view b) {
  const auto na = detail::normalized_upper(a);
  const auto nb = detail::normalized_upper(b);
  return na && nb && !na->empty() && *na == *nb;
}

}  // namespace

std::string_view to_string(eidas_level l) noexcept {
  switch (l) {
    case eidas_level::eidas1: return "eidas1";
    case eidas_level::eidas2: return "eidas2";
    case eidas_level::eidas3: return "eidas3";
  }
  return "unknown";
}

std::optional<eidas_level> parse_eidas_level(std::string_view text) noexcept {
  if (text == "eidas1") return eidas_level::eidas1;
  if (text == "eidas2") return eidas_level::eidas2;
  if (text == "eidas3") return eidas_level::eidas3;
  return std::nullopt;
}

std::string_view to_string(claims_problem p) noexcept {
  switch (p) {
    case claims_problem::wrong_issuer: return "wrong_issuer";
    case claims_problem::wrong_audience: return "wrong_audience";
    case claims_problem::expired: return "expired";
    case claims_problem::issued_in_future: return "issued_in_future";
    case claims_problem::nonce_mismatch: return "nonce_mismatch";
    case claims_problem::acr_too_low: return "acr_too_low";
    case claims_problem::unknown_acr: return "unknown_acr";
    case claims_problem::state_unknown: return "state_unknown";
    case claims_problem::state_expired: return "state_expired";
    case claims_problem::state_used: return "state_used";
  }
  return "unknown";
}

std::string franceconnect_challenge_key(std::string_view state, const code_key& server_key) {
  return std::string(key_prefix) + detail::keyed_digest(server_key, state_domain, {state});
}

franceconnect_attempt start_franceconnect_login(timestamp now, const code_key& server_key,
                                                const franceconnect_config& config,
                                                std::optional<eidas_level> acr) {
  franceconnect_attempt a;
  a.state = detail::random_hex(random_bytes);
  a.nonce = detail::random_hex(random_bytes);
  a.acr = std::max(acr.value_or(config.min_acr), config.min_acr);
  a.record.key = franceconnect_challenge_key(a.state.view(), server_key);
  a.record.secret_hash = nonce_hash(server_key, a.record.key, a.nonce.view());
  a.record.issued_at = now;
  a.record.expires_at = now + config.login_validity;
  a.record.issued_count = 1;
  a.record.payload = attempt_payload(a.acr);
  return a;
}

result<franceconnect_claims> parse_franceconnect_claims(std::string_view json) {
  auto parsed = detail::parse_json(json, claims_bounds);
  if (!parsed) return unexpected<calp::error>(std::move(parsed).error());
  return detail::read_document([&]() {
    // No `finish()`: a token carries claims calp has no use for (`amr`, `sid`, …).
    detail::object_reader r(*parsed, "", claims_bounds.max_string_length);
    franceconnect_claims c;
    c.iss = r.required_string("iss");
    c.sub = r.required_string("sub");
    c.aud = audience(r.required("aud"), claims_bounds.max_string_length);
    c.nonce = r.required_string("nonce");
    c.acr = r.required_string("acr");
    c.exp = time_value(r.required("exp"), "exp");
    c.iat = time_value(r.required("iat"), "iat");
    c.given_name = r.required_string("given_name");
    c.family_name = r.required_string("family_name");
    c.birthdate = r.required_string("birthdate");
    c.gender = r.required_string("gender");
    c.birthplace = r.optional_string("birthplace").value_or("");
    c.birthcountry = r.required_string("birthcountry");
    c.email = r.optional_string("email");
    return c;
  });
}

std::optional<claims_problem> check_claims(const franceconnect_claims& claims,
                                           const challenge_record& attempt, timestamp now,
                                           const code_key& server_key,
                                           const franceconnect_config& config) {
  if (config.issuer.empty() || config.client_id.empty()) {
    throw std::invalid_argument("franceconnect_config needs an issuer and a client id");
  }
  // The attempt first: without a live attempt of ours, nothing in the token matters.
  const auto asked = requested_acr(attempt.payload);
  if (!attempt.key.starts_with(key_prefix) || attempt.secret_hash.empty() || !asked) {
    return claims_problem::state_unknown;
  }
  if (attempt.consumed) return claims_problem::state_used;
  if (now >= attempt.expires_at) return claims_problem::state_expired;

  if (claims.iss != config.issuer) return claims_problem::wrong_issuer;
  if (claims.aud != config.client_id) return claims_problem::wrong_audience;
  if (claims.exp <= now - config.clock_skew) return claims_problem::expired;
  if (claims.iat > now + config.clock_skew) return claims_problem::issued_in_future;
  if (!constant_time_equal(nonce_hash(server_key, attempt.key, claims.nonce), attempt.secret_hash)) {
    return claims_problem::nonce_mismatch;
  }
  const auto reached = parse_eidas_level(claims.acr);
  if (!reached) return claims_problem::unknown_acr;
  if (*reached < *asked || *reached < config.min_acr) return claims_problem::acr_too_low;
  return std::nullopt;
}

result<pivot_identity> pivot_from_claims(const franceconnect_claims& claims) {
  pivot_identity p;
  const auto name = [](const std::string& value, std::string_view field) -> std::optional<error> {
    const auto normalized = detail::normalized_upper(value);
    if (!normalized) {
      return error{errc::json_syntax,
                   fmt::format("{} is not valid UTF-8 or holds a control character", field),
                   std::string(field)};
    }
    if (normalized->empty()) {
      return error{errc::json_missing_field, fmt::format("{} is empty", field), std::string(field)};
    }
    return std::nullopt;
  };
  if (auto e = name(claims.family_name, "family_name")) return unexpected<error>(std::move(*e));
  if (auto e = name(claims.given_name, "given_name")) return unexpected<error>(std::move(*e));
  p.family_name = claims.family_name;
  p.given_names = claims.given_name;

  auto birth = parse_date(claims.birthdate);
  if (!birth) return fail(errc::date_format, "birthdate: " + birth.error().message, "birthdate");
  p.birth_date = *birth;
  // FranceConnect's convention for a date INSEE does not know in full.
  p.birth_day_presumed = p.birth_date.day() == std::chrono::day{1};
  p.birth_month_presumed = p.birth_day_presumed && p.birth_date.month() == std::chrono::January;

  if (claims.gender == "female") {
    p.g = gender::female;
  } else if (claims.gender == "male") {
    p.g = gender::male;
  } else {
    return fail(errc::json_type,
                fmt::format("gender `{}` is neither `female` nor `male`", detail::echo(claims.gender)),
                "gender");
  }

  if (claims.birthcountry.empty()) return fail(errc::json_missing_field, "birthcountry is empty", "birthcountry");
  if (!is_country_code(claims.birthcountry)) {
    return fail(errc::json_type,
                fmt::format("birthcountry `{}` is not an INSEE country code (99 and 3 digits)",
                            detail::echo(claims.birthcountry)),
                "birthcountry");
  }
  p.birthcountry = claims.birthcountry;
  if (p.birthcountry == france) {
    if (claims.birthplace.empty()) {
      return fail(errc::json_missing_field, "birthplace is empty for a birth in France", "birthplace");
    }
    if (!is_commune_code(claims.birthplace)) {
      return fail(errc::json_type,
                  fmt::format("birthplace `{}` is not an INSEE commune code",
                              detail::echo(claims.birthplace)),
                  "birthplace");
    }
    p.birthplace = claims.birthplace;
  }
  return p;
}

bool pivot_matches(const pivot_identity& pivot, const civil_status& person) {
  if (!same_name(pivot.family_name, person.family_name)) return false;
  if (!same_name(pivot.given_names, person.given_names)) return false;
  if (pivot.birth_date != person.birth_date) return false;
  if (pivot.g != person.gender) return false;
  if (pivot.birthcountry.empty() || pivot.birthcountry != person.birth_country) return false;
  if (pivot.birthcountry == france &&
      (pivot.birthplace.empty() || pivot.birthplace != person.birth_place)) {
    return false;
  }
  return true;
}

}  // namespace calp
