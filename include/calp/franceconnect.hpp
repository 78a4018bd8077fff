#pragma once
/// \file
/// FranceConnect (R18) as pure rules: calp never speaks HTTP. The host runs the OpenID
/// Connect authorization code flow with FranceConnect v2 and hands calp what it
/// received; calp makes the login attempt, checks the claims, and says whether the
/// identity FranceConnect vouches for is the one of a person calp knows.
///
/// ```cpp
/// // 1. Before redirecting to FranceConnect's authorization endpoint:
/// auto attempt = calp::start_franceconnect_login(now, server_key, fc_config);
/// store.commit(calp::write_batch{}.put(attempt.record, 0));
/// redirect(authorize_url, attempt.state.view(), attempt.nonce.view(),
///          calp::to_string(attempt.acr));  // acr_values
///
/// // 2. Back on the redirect URI, with `state` and `code` from the query string: the
/// //    host exchanges the code, verifies the ID token's signature (see below), fetches
/// //    userinfo, and passes calp one JSON object with the claims of both.
/// auto read = store.find_challenge(calp::franceconnect_challenge_key(state, server_key));
/// if (!read) return calp::claims_problem::state_unknown;
/// auto claims = calp::parse_franceconnect_claims(merged_claims_json);
/// if (!claims) return claims.error();
/// auto problem = calp::check_claims(*claims, read->value, now, server_key, fc_config);
/// auto used = read->value;
/// used.consumed = true;  // one ID token per attempt, whatever the outcome
/// store.commit(calp::write_batch{}.put(used, read->version));  // conflict: someone else used it
/// if (problem) return *problem;
/// // 3. Link: by a known `sub`, else by `pivot_matches` on exactly one person.
/// ```
///
/// WARNING: what the host MUST do itself, because calp never sees the token's bytes:
/// - Verify the ID token's JWS signature against FranceConnect's JWKS, accepting only
///   the algorithms FranceConnect v2 signs with: `ES256` and `RS256`. Never accept
///   `alg: none`, and never `HS256` on v2 (v1 signed with the client secret; a v2 token
///   claiming HS256 is forged or misrouted). Pin the allow-list in code; never take the
///   algorithm from the token header alone.
/// - Check `state` by looking up `franceconnect_challenge_key(state, server_key)`; no
///   record means `claims_problem::state_unknown`, and the response must be refused.
/// - Commit the attempt record with `consumed = true` at the version read before acting
///   on the outcome: the storage's versions make the attempt single use across servers.
///
/// The identity claims (FranceConnect v2 puts them in userinfo, not in the ID token) and
/// the ID token's claims are passed together as one JSON object; userinfo's `sub` must
/// equal the ID token's (OIDC Core §5.3.2), which the host checks when it merges them.
///
/// Nothing in this file reads the clock or the storage; every function is safe to call
/// from any number of threads.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/secret.hpp"
#include "calp/storage.hpp"
#include "calp/time.hpp"
#include "calp/verification_code.hpp"

namespace calp {

/// eIDAS levels of assurance as FranceConnect names them in `acr`/`acr_values`:
/// FranceConnect gives `eidas1` (low), FranceConnect+ `eidas2` (substantial) and
/// `eidas3` (high). Ordered: a higher level satisfies a lower requirement.
enum class eidas_level : std::uint8_t { eidas1, eidas2, eidas3 };

/// `"eidas1"`, `"eidas2"`, `"eidas3"`.
[[nodiscard]] std::string_view to_string(eidas_level l) noexcept;

/// Exactly `"eidas1"`, `"eidas2"` or `"eidas3"`; anything else (including another case or
/// spaces) is `std::nullopt`.
[[nodiscard]] std::optional<eidas_level> parse_eidas_level(std::string_view text) noexcept;

/// How this deployment uses FranceConnect. `issuer` and `client_id` come from the
/// host's configuration, never from a token: they pin what a token must say.
struct franceconnect_config {
  /// Exactly FranceConnect's issuer (`iss`), as its discovery document states it,
  /// e.g. `https://oidc.franceconnect.gouv.fr/api/v2`.
  std::string issuer;
  /// The client id FranceConnect gave this service; the token's audience.
  std::string client_id;
  /// Tolerated clock difference with FranceConnect on `exp` and `iat`.
  std::chrono::seconds clock_skew = std::chrono::seconds{60};
  /// How long a login attempt (`state`, `nonce`) stays usable.
  std::chrono::seconds login_validity = std::chrono::minutes{10};
  /// The lowest level accepted whatever a login asked for.
  eidas_level min_acr = eidas_level::eidas1;
};

/// A new login attempt: the values for the redirect, and the record that remembers it.
struct franceconnect_attempt {
  /// 32 bytes from libsodium's CSPRNG as 64 lower-case hex digits: the `state` and
  /// `nonce` parameters of the authorization request. Never stored in clear, never
  /// logged (the record holds keyed hashes).
  secret state;
  secret nonce;
  /// The level to send as `acr_values`: the one asked for, raised to `min_acr`.
  eidas_level acr = eidas_level::eidas1;
  /// To put at version 0 under `record.key` (`franceconnect_challenge_key(state)`):
  /// the keyed hash of the nonce in `secret_hash`, the requested level in `payload`,
  /// `expires_at = now + login_validity`, not consumed, no person.
  challenge_record record;
};

/// Starts a login: fresh `state` and `nonce`, and the challenge record to commit before
/// redirecting. `acr` is the level this login asks for (default: `config.min_acr`); a
/// level below `config.min_acr` is raised to it. Throws when libsodium cannot start.
[[nodiscard]] franceconnect_attempt start_franceconnect_login(
    timestamp now, const code_key& server_key, const franceconnect_config& config,
    std::optional<eidas_level> acr = {});

/// The challenge key of the attempt that issued `state`: `"fc:"` and a keyed hash of
/// `state` (67 bytes). Without the server key, neither a state read from the database
/// nor a key guessed from a state seen in a URL lets anyone find or forge an attempt.
[[nodiscard]] std::string franceconnect_challenge_key(std::string_view state,
                                                      const code_key& server_key);

/// The claims calp needs, from the ID token (whose signature the host verified) and
/// from userinfo. Strings are as FranceConnect sent them.
struct franceconnect_claims {
  std::string iss;    ///< issuer
  std::string sub;    ///< FranceConnect's subject for this service
  std::string aud;    ///< audience (see `parse_franceconnect_claims` for arrays)
  std::string nonce;  ///< the attempt's nonce, echoed
  std::string acr;    ///< level of assurance reached, `eidas1`…
  timestamp exp{};    ///< expiry
  timestamp iat{};    ///< issued at
  std::string given_name;    ///< every given name, separated by spaces
  std::string family_name;   ///< nom de naissance
  std::string birthdate;     ///< `YYYY-MM-DD` (see `pivot_from_claims`)
  std::string gender;        ///< `male` or `female`
  std::string birthplace;    ///< COG commune code when born in France, else empty
  std::string birthcountry;  ///< COG country code, `99100` for France
  /// Never used to link an account (R18: household members share mailboxes).
  std::optional<std::string> email;
};

/// Reads the claims from one JSON object (the ID token's payload merged with userinfo).
/// Limits: at most 16 KiB, nested at most 8 deep, each string at most 1024 bytes. Fields
/// calp does not use (`amr`, `sid`, `auth_time`, `preferred_username`…) are ignored.
/// `iss`, `sub`, `aud`, `nonce`, `acr`, `exp`, `iat`, `given_name`, `family_name`,
/// `birthdate`, `gender`, `birthcountry` are required; `birthplace` may be absent or
/// null (read as empty: FranceConnect sends an empty string for a birth abroad);
/// `email` is optional. `exp` and `iat` are JSON numbers of seconds since 1970 (a
/// fraction is dropped). `aud` is a string (FranceConnect's form) or an array of
/// strings: an array of one is read as that one; an array of none or of several is read
/// as the empty string, which `check_claims` refuses as `wrong_audience` (calp trusts no
/// audience besides its own, OIDC Core §3.1.3.7).
///
/// Errors: `json_too_large`, `json_too_deep`, `json_syntax` (not JSON, invalid UTF-8, a
/// key twice), `json_type` (not an object; a field of the wrong type; a time outside
/// years 1970–9999), `json_missing_field`, `json_too_long`; `error::field` names the
/// field. The content is not checked here: `check_claims` and `pivot_from_claims` do.
[[nodiscard]] result<franceconnect_claims> parse_franceconnect_claims(std::string_view json);

/// Why claims are refused. Every value refuses the login; none is a person's mistake to
/// explain to them beyond "try again".
enum class claims_problem : std::uint8_t {
  wrong_issuer,      ///< `iss` is not exactly `config.issuer`
  wrong_audience,    ///< `aud` is not exactly `config.client_id`
  expired,           ///< `exp <= now - clock_skew`
  issued_in_future,  ///< `iat > now + clock_skew`
  nonce_mismatch,    ///< `nonce` is not the attempt's
  acr_too_low,       ///< below the level asked for, or below `config.min_acr`
  unknown_acr,       ///< not `eidas1`, `eidas2` or `eidas3`
  state_unknown,     ///< no attempt under the state's key, or a record that is not one
  state_expired,     ///< the attempt's `expires_at` has passed
  state_used,        ///< the attempt was consumed already
};

/// `"wrong_issuer"`, `"wrong_audience"`, … (the enumerator's name): stable names for the
/// audit trail.
[[nodiscard]] std::string_view to_string(claims_problem p) noexcept;

/// Checks `claims` against the login attempt `attempt` (the record read under
/// `franceconnect_challenge_key(state)`) at `now`. `std::nullopt` means the claims are
/// acceptable; linking is then `pivot_matches`' or the known `sub`'s business.
///
/// In this order, the first failing check answers: the attempt (`state_unknown` when the
/// record was not made by `start_franceconnect_login`, then `state_used`, then
/// `state_expired` at or after `expires_at`); `wrong_issuer` (exact byte equality);
/// `wrong_audience` (exact); `expired` (`exp` must be after `now - clock_skew`);
/// `issued_in_future` (`iat` at most `now + clock_skew`); `nonce_mismatch` (keyed hash,
/// compared in constant time); `unknown_acr`; `acr_too_low` (below the level stored in
/// the attempt or below `config.min_acr`). Does not change the record: see the file
/// comment for consuming it. Throws `std::invalid_argument` when `config.issuer` or
/// `config.client_id` is empty (a host configuration bug, which must not fail open).
[[nodiscard]] std::optional<claims_problem> check_claims(const franceconnect_claims& claims,
                                                         const challenge_record& attempt,
                                                         timestamp now,
                                                         const code_key& server_key,
                                                         const franceconnect_config& config);

/// The identité pivot: the six fields that identify a person (R18).
struct pivot_identity {
  std::string family_name;  ///< as FranceConnect sent it
  std::string given_names;  ///< as FranceConnect sent it: every given name, in order
  date birth_date;
  /// FranceConnect writes a birth date whose month is unknown as `YYYY-01-01`, and one
  /// whose day is unknown as `YYYY-MM-01`; the claim cannot tell these from a real
  /// 1 January or first of the month. So these flags say "may be presumed":
  /// `birth_month_presumed` is set for every `YYYY-01-01` (and then
  /// `birth_day_presumed` too), `birth_day_presumed` for every `YYYY-MM-01`. They are
  /// informational: matching compares the date exactly (see `pivot_matches`).
  bool birth_month_presumed = false;
  bool birth_day_presumed = false;
  gender g = gender::female;
  std::string birthplace;    ///< 5-character COG commune code when born in France, else empty
  std::string birthcountry;  ///< 5-digit COG country code, `99100` for France
};

/// The pivot identity in `claims`. Errors (`error::field` names the claim):
/// `json_missing_field` for an empty `family_name`, `given_name` or `birthcountry`, or an
/// empty `birthplace` with `birthcountry` `99100`; `json_syntax` for a name that is not
/// valid UTF-8 or holds a control character; `date_format` for a `birthdate` that is not
/// a real `YYYY-MM-DD` day; `json_type` for a `gender` other than `male`/`female`, a
/// `birthcountry` that is not `99` and 3 digits, or, for a birth in France, a
/// `birthplace` that is not a COG commune code (`([0-8][0-9AB]|9[0-8AB])[0-9]{3}`,
/// Corsica's `2A`/`2B` included). For a birth abroad `birthplace` is dropped, whatever
/// was sent: calp never compares it then.
[[nodiscard]] result<pivot_identity> pivot_from_claims(const franceconnect_claims& claims);

/// True when all six pivot fields designate `person`:
/// - family name and given names equal once both sides are normalised (Unicode NFC,
///   upper case, white space trimmed and runs collapsed to one space): case and spacing
///   do not matter, accents and hyphens do (`Élodie` is not `Elodie`), and every given
///   name must be there in the same order. No fuzzy matching.
/// - birth date exactly equal, presumed or not: a FranceConnect `1980-01-01` (possibly a
///   presumed date) matches a civil status born on 1980-01-01 and nothing else. Wider
///   matching would let a presumed date designate someone else.
/// - gender equal; birth country equal; birth place equal only when the birth country
///   is France (`99100`), else not compared.
/// A name that cannot be normalised (invalid UTF-8, a control character) or is empty
/// never matches. The e-mail address is never used. The caller links only when exactly
/// one person matches (R18).
[[nodiscard]] bool pivot_matches(const pivot_identity& pivot, const civil_status& person);

}  // namespace calp
