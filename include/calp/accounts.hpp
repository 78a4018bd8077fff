#pragma once
/// \file
/// The account service: what a person meets (DESIGN.md §4, R11–R17, R19). One object per
/// process, built from a storage, a notifier, a clock and a configuration, with one
/// method per screen of the seed: login, the first connection (la bascule) step by step,
/// the contact-point code and its "Vous n'avez rien reçu ?", password change, forgotten
/// password and forgotten provisional identifier, and the activation codes of the other
/// members aged 15 and over.
///
/// Every method that a person's input reaches returns a typed outcome (what happened,
/// what to do next, or why not); none throws for a person's mistake. They throw only for
/// the infrastructure: `calp::storage_error` from the storage, `std::runtime_error`
/// when libsodium cannot allocate a hash's memory. Each step is one storage commit, so
/// a failure in the middle of a flow leaves the previous state whole, and the flow
/// resumes at the first step not done.
///
/// Every limit (login throttling, codes per contact point, attempts per code, single
/// use) is a compare-and-set on a stored record: it holds however many processes share
/// the storage. A commit that loses a race is computed again from a fresh read.
///
/// Secrets come in as `calp::secret` and go out as `calp::secret` (session tokens,
/// activation codes); the storage sees only their hashes, the audit trail and the
/// messages returned here never see them.
///
/// Audit events (R19) appended by this service, by `audit_event::kind`:
///
/// | kind                          | actor        | subject | outcome / detail                      |
/// |-------------------------------|--------------|---------|---------------------------------------|
/// | `login.succeeded`             | person       | person  | `ok`; method                          |
/// | `login.failed`                | person or "" | same    | `refused`; reason, masked identifier  |
/// | `session.closed`              | person       | person  | `ok`                                  |
/// | `terms.accepted`              | person       | person  | `ok`; version                         |
/// | `password.created`            | person       | person  | `ok`                                  |
/// | `password.changed`            | person       | person  | `ok` or `refused` (wrong current)     |
/// | `password.reset`              | person       | person  | `ok`                                  |
/// | `contact.code_sent`           | person       | person  | `ok`, `limit`, `not_delivered`; masked contact |
/// | `contact.code_failed`         | person       | person  | code outcome (`wrong`, `expired`, …)  |
/// | `contact.verified`            | person       | person  | `ok`; masked contact                  |
/// | `contact.refused`             | person       | person  | `email_not_personal` (R14)            |
/// | `delegation_offer.answered`   | person       | person  | `accepted` or `declined`; dossier     |
/// | `first_connection.completed`  | person       | person  | `ok`                                  |
/// | `activation.issued`           | agent:<id>   | person  | `ok`                                  |
/// | `recovery.requested`          | "" or person | same    | `sent`, `no_contact`, `unknown`, `limit`, `not_delivered` |
/// | `recovery.code_failed`        | "" or person | same    | code outcome, or `unknown`            |
/// | `provisional_id.reminded`     | ""           | person or "" | `sent`, `limit`, `no_match`      |
/// | `person.registered`           | person       | person  | `nir` or `provisional_id`; NIR mismatches |
/// | `person.registration_refused` | ""           | ""      | `already_registered`                  |
/// | `person.nir_certified`        | agent:<id>   | person  | `ok`; end of the transition           |
/// | `civil_status.updated`        | person       | person  | `ok` or `locked`                      |
/// | `franceconnect.login`         | person       | person  | `ok`; acr                             |
/// | `franceconnect.linked`        | person       | person  | `ok` (first link of a `sub`)          |
/// | `franceconnect.unlinked`      | person       | person  | `ok`                                  |
/// | `franceconnect.refused`       | "" or person | same    | claims problem, `no_match`, `ambiguous`, `malformed`, `linked_to_another_sub`, `disabled` |
///
/// Identifiers in events are person ids; a NIR appears only masked (`1 97 06 ** *** *** 89`).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calp/authorizer.hpp"
#include "calp/civil_status.hpp"
#include "calp/clock.hpp"
#include "calp/contact.hpp"
#include "calp/error.hpp"
#include "calp/franceconnect.hpp"
#include "calp/ids.hpp"
#include "calp/login_throttle.hpp"
#include "calp/notifier.hpp"
#include "calp/password_hasher.hpp"
#include "calp/password_policy.hpp"
#include "calp/secret.hpp"
#include "calp/storage.hpp"
#include "calp/time.hpp"
#include "calp/verification_code.hpp"

namespace calp {

/// The steps of a first connection (R11), in the order they must be done. `done` means
/// the account may do everything its role allows.
enum class first_connection_step : std::uint8_t {
  accept_terms,             ///< accept the current CGU version (also again after a new one, R16)
  create_password,          ///< choose the personal password, typed twice
  prove_contact,            ///< give or confirm a mobile or an e-mail, and type the code sent
  answer_delegation_offer,  ///< allocataire in a couple: délégation to the conjoint, yes or no
  done,
};
/// `"accept_terms"`, `"create_password"`, `"prove_contact"`, `"answer_delegation_offer"`,
/// `"done"`.
[[nodiscard]] std::string_view to_string(first_connection_step s) noexcept;

/// How long sessions live.
struct session_rules {
  /// A session unused this long is closed.
  std::chrono::seconds idle = std::chrono::minutes{30};
  /// A full session is closed this long after it opened, used or not.
  std::chrono::seconds absolute = std::chrono::hours{12};
  /// A first-connection session (only the steps of R11) lives at most this long.
  std::chrono::seconds first_connection = std::chrono::hours{1};
  /// `session()` records the last use at most this often, so a busy page does not
  /// write on every request; the idle limit is therefore exact to this much.
  std::chrono::seconds touch_interval = std::chrono::minutes{1};
};

/// Checks a legacy 8-digit dossier password against the host's own system, for hosts
/// that cannot export those passwords as hashes. Called only for an account that has no
/// imported legacy hash and has not done its bascule. Must be thread-safe; must not
/// keep or log the secret. When the host's own system cannot answer, return `false`:
/// the person gets the one refusal of R12b. An exception leaves `login` as it is thrown,
/// the attempt already counted against the identifier's throttle and nothing else
/// written (no session, no audit event).
using legacy_password_verifier = std::function<bool(const person_record& person, const secret& typed)>;

/// Everything the service needs besides its three seams.
struct account_config {
  /// The current CGU version (R16). Required: an account whose accepted version differs
  /// is asked to accept it at its next login.
  std::string terms_version;
  password_hash_params password_hashing = password_hash_params::interactive();
  password_policy passwords = {};
  verification_code_rules codes = {};
  login_throttle_rules throttle = {};
  session_rules sessions = {};
  /// How long an activation code issued by the Caf stays valid (it travels by post).
  std::chrono::seconds activation_validity = std::chrono::days{30};
  /// Codes sent to one person per 24 hours, all contact points together: "Modifier vos
  /// coordonnées" starts the count of R13 over for each new point, and this bounds how
  /// many messages a person (or someone who stole their session) can have sent.
  std::uint32_t max_codes_per_day = 10;
  /// Provisional identifier reminders sent to one person per 24 hours (R17).
  std::uint32_t max_reminders_per_day = 3;
  /// Optional; see `legacy_password_verifier`.
  legacy_password_verifier legacy_verifier = {};
  /// How long a provisional identifier still opens the account after a certified NIR
  /// replaced it (R3), so that a person who kept the letter is not locked out at once.
  std::chrono::seconds provisional_transition = std::chrono::days{90};
  /// Where new provisional identifiers come from. Empty (the default): `P` and 8 digits
  /// from libsodium's CSPRNG, never a counter (R3). Tests set it to force collisions.
  /// An exception it throws leaves `register_primo_demandeur` before anything of that
  /// registration is written.
  std::function<provisional_id()> provisional_id_source = {};
  /// FranceConnect (R18): the provider pinned, this service's client id. Empty issuer:
  /// FranceConnect is off: `begin_franceconnect` throws (a host bug) and
  /// `complete_franceconnect` answers `disabled`.
  franceconnect_config franceconnect = {};
};

/// Throws `std::invalid_argument` naming the first setting of `config` no flow can work
/// with: an empty `terms_version`; hashing parameters outside Argon2id's limits; a
/// password policy no password satisfies (`min_length` 0 or above `max_length`); a
/// duration that is zero where it must not be (code, session and activation validity,
/// the throttle window) or longer than 100 years (the instants computed from it would
/// leave calp's years); code or failure counts of 0 or over 1,000; a throttle whose
/// `max_delay` is below `first_delay`; no code allowed per day; a FranceConnect issuer
/// without a client id. `account_service` calls it; a host may call it first to report
/// a bad configuration file before anything else starts.
void validate_account_config(const account_config& config);

/// What a login or an activation came to.
enum class login_outcome : std::uint8_t {
  signed_in,             ///< a session is open: see `next_step`
  refused,               ///< unknown identifier, wrong secret, throttled, locked, disabled: one answer (R12b)
  malformed_identifier,  ///< not a NIR nor a provisional identifier (a form error; reveals nothing)
};
[[nodiscard]] std::string_view to_string(login_outcome o) noexcept;

struct login_result {
  login_outcome outcome = login_outcome::refused;
  /// When signed in: the session token to hand to the browser (an opaque 64-character
  /// string). Only its hash is stored.
  secret token;
  std::optional<person_id> person;
  /// When signed in: `done` for a full session, else the step the person must do now.
  first_connection_step next_step = first_connection_step::done;
  /// When the identifier was malformed: why.
  std::optional<error> identifier_error;
};

/// A valid session, as `account_service::session` reads it.
struct session_info {
  person_id person;
  session_kind kind = session_kind::full;
  std::string method;
  /// `done` for a full session; for a first-connection session, the step to do now.
  first_connection_step next_step = first_connection_step::done;
  timestamp expires_at{};
};

/// What a step of a flow came to. One enumeration for every step, so a web layer maps
/// each to a screen once.
enum class step_outcome : std::uint8_t {
  done,                ///< recorded; see `next_step`
  not_signed_in,       ///< the token is unknown, expired or revoked: back to the login page
  out_of_order,        ///< another step comes first: see `next_step`
  stale_terms,         ///< accept_terms with a version that is not the current one
  password_rejected,   ///< see `password` for the ✓ list and the refusals
  wrong_password,      ///< change_password: the current password is wrong, or throttled
  invalid_contact,     ///< not a mobile number / e-mail address: see `contact_error`
  email_not_personal,  ///< R14: the conjoint or a parent of the household has this address
  code_sent,           ///< a code is on its way to `sent_to`
  code_not_delivered,  ///< the notifier failed; the code counts, the person may ask again
  too_many_codes,      ///< R13: every code allowed for this contact point (or today) was sent
  no_code_pending,     ///< resend or confirm before any code was sent
  wrong_code,          ///< see `attempts_left`
  expired_code,        ///< ask for a new code
  void_code,           ///< too many wrong entries: ask for a new code
  malformed_code,      ///< not 6 digits; nothing counted
  not_applicable,      ///< this step does not concern this person (délégation offer when single…)
  password_required,   ///< unlinking FranceConnect from an account that has no password
};
[[nodiscard]] std::string_view to_string(step_outcome o) noexcept;

struct step_result {
  step_outcome outcome = step_outcome::not_signed_in;
  /// What the person must do next (`done` when nothing).
  first_connection_step next_step = first_connection_step::done;
  /// For the password steps: the ✓ list and the refusals.
  std::optional<password_check> password;
  /// For `invalid_contact`: why.
  std::optional<error> contact_error;
  /// For `wrong_code`: wrong entries still allowed against this code.
  std::uint32_t attempts_left = 0;
  /// For `code_sent`: new codes the person may still ask for at this contact point.
  std::uint32_t new_codes_left = 0;
  /// For `code_sent`: where the code went, as the screen shows it (`06 12 15 45 45`,
  /// the e-mail address): the person typed it; it is never put in a log by calp.
  std::string sent_to;
  /// For a password change: the token of the new session (every other one is closed).
  secret token;
};

/// The answer to a recovery request (R17): the same whether or not an account exists.
enum class recovery_outcome : std::uint8_t {
  accepted,             ///< "if an account matches, a message is on its way"
  malformed_identifier, ///< a form error, like at login
  invalid_contact,      ///< provisional identifier reminder: the typed contact is malformed
};
[[nodiscard]] std::string_view to_string(recovery_outcome o) noexcept;

/// What a person who forgot their provisional identifier types: enough to find them
/// among the persons born that day, and the verified contact point to send it to.
struct provisional_id_reminder_request {
  std::string family_name;  ///< nom de naissance, compared without regard to case
  date birth_date;
  contact_kind via = contact_kind::email;
  std::string contact;  ///< must be a verified contact point of that person
};

/// A one-time activation code for a member aged 15+ who is not allocataire nor conjoint
/// (R11), for the host to print on a letter or hand over at the front desk.
struct activation_code {
  /// 12 characters in 3 groups, `7KQM-4TZP-X2RC` (no 0/O, 1/I/L), about 58 bits: it
  /// travels by post and lives weeks, so it must resist guessing far longer than a
  /// 10-minute SMS code. Typed case-insensitively, hyphens and spaces ignored.
  secret code;
  timestamp expires_at{};
};

/// What a primo-demandeur declares to create their personal space (R15, R4).
struct primo_declaration {
  /// Civilité, nom de naissance, prénoms, date, pays and ville de naissance, parents
  /// when born abroad, postal code of residence. Names are normalised by the service
  /// (`normalize_name`) before they are checked and stored.
  civil_status civil;
  /// The NIR as typed, if the person has one; empty otherwise.
  std::string nir;
};

enum class registration_outcome : std::uint8_t {
  registered,          ///< the personal space exists; a first-connection session is open
  invalid,             ///< see `errors`, one per field (nothing was stored)
  already_registered,  ///< this NIR already has an account: log in, or recover the password
};
[[nodiscard]] std::string_view to_string(registration_outcome o) noexcept;

struct registration_result {
  registration_outcome outcome = registration_outcome::invalid;
  /// For `invalid`: field-level errors (`family_name`, `parents[1].given_names`, `nir`…).
  std::vector<error> errors;
  std::optional<person_id> person;
  /// The provisional identifier issued (R3): no NIR, or a NIR inconsistent with the
  /// civil status (`nir_mismatches` says why; the person is not blocked).
  std::optional<provisional_id> provisional;
  std::vector<nir_mismatch> nir_mismatches;
  /// A first-connection session: CGU, password, contact point, then the account is
  /// complete.
  secret token;
  first_connection_step next_step = first_connection_step::accept_terms;
};

/// The seed's "Récapitulatif de ma création de compte", as data for the screen.
struct registration_recap {
  /// The provisional identifier, or the NIR masked: what the person logs in with.
  std::string identifier;
  bool provisional = false;
  calp::civil_status civil;
  std::vector<contact_point> contacts;
};

/// Whether a benefit request may be filed (R15): from a full session only, and not by
/// a conjoint the policy denies.
struct benefit_request_check {
  bool allowed = false;
  /// `not_signed_in`, `first_connection_incomplete`, or the policy's reason
  /// (`conjoint_without_delegation`…) and its French message.
  std::string reason;
  std::string message;
};

enum class franceconnect_outcome : std::uint8_t {
  signed_in,            ///< see `login_result`-like fields
  refused,              ///< the claims failed a check: see `problem`
  malformed_claims,     ///< the claims document could not be read
  identity_unknown,     ///< no person matches the six pivot fields: no login
  identity_ambiguous,   ///< several persons match: no login, the Caf must sort it out
  disabled,             ///< the matched account is disabled, or FranceConnect is off
};
[[nodiscard]] std::string_view to_string(franceconnect_outcome o) noexcept;

struct franceconnect_start {
  /// For the authorization request; only their keyed hashes are stored.
  secret state;
  secret nonce;
  eidas_level acr = eidas_level::eidas1;
};

struct franceconnect_result {
  franceconnect_outcome outcome = franceconnect_outcome::refused;
  std::optional<claims_problem> problem;
  std::optional<error> claims_error;
  secret token;
  std::optional<person_id> person;
  first_connection_step next_step = first_connection_step::done;
  /// True when this login linked the FranceConnect identity to the account.
  bool linked = false;
};

/// The account service. Thread-safe: one object may serve every thread of a process;
/// several processes may share one storage. The storage, notifier and clock must
/// outlive it.
class account_service {
 public:
  /// `server_key` keys every stored hash of a code and every throttle key: every
  /// process sharing the storage needs the same key. Throws `std::invalid_argument` when
  /// `validate_account_config(config)` does.
  account_service(storage& store, notifier& notify, calp::clock& clock, account_config config,
                  code_key server_key);
  ~account_service();
  account_service(const account_service&) = delete;
  account_service& operator=(const account_service&) = delete;

  // -- host side ------------------------------------------------------------------------

  /// Records a person and their account before la bascule, with the hash of the legacy
  /// dossier password (`legacy_password_hash`, from `hash_legacy_password` or a
  /// `password_hasher`; empty when the host uses `legacy_verifier` or activation codes).
  /// Errors: `errc::storage_conflict` when the person or account exists,
  /// `errc::storage_duplicate` when the NIR or provisional identifier is taken.
  [[nodiscard]] result<void> import_account(const person_record& person,
                                            std::string legacy_password_hash = {});

  /// The hash to import for a legacy dossier password, with this service's parameters.
  [[nodiscard]] std::string hash_legacy_password(const secret& password) const;

  /// Issues a one-time activation code for `person` (R11), replacing any earlier one;
  /// `agent` (the front-desk agent or the batch that prints letters) is recorded as the
  /// actor. Creates the account if the person has none. Errors: `errc::account_unknown`
  /// (no such person), `errc::account_state` (the account is past its first connection,
  /// disabled, or the person is under 15 in every household calp knows).
  [[nodiscard]] result<activation_code> issue_activation_code(const person_id& person,
                                                              std::string_view agent);

  // -- login and sessions ---------------------------------------------------------------

  /// Logs in with a NIR or a provisional identifier and a password: the personal one,
  /// or before la bascule the legacy dossier password. Throttled per identifier (R12b);
  /// every refusal looks and takes the same. Rehashes the password when the hashing
  /// parameters changed. A first connection, or a new CGU version, opens a
  /// first-connection session limited to `next_step`.
  [[nodiscard]] login_result login(std::string_view identifier, secret password);

  /// First access of a member aged 15+ with the activation code the Caf issued:
  /// single use, expiring, throttled like a password. Opens a first-connection session.
  [[nodiscard]] login_result activate(std::string_view identifier, std::string_view code);

  /// The session of this token if it is valid now (not expired, not idle too long, not
  /// revoked); records its use.
  [[nodiscard]] std::optional<session_info> session(const secret& token);

  /// Closes the session; closing an unknown or closed one does nothing.
  void logout(const secret& token);

  // -- first connection (R11), in order --------------------------------------------------

  /// Accepts the CGU `version`, which must be the current one.
  [[nodiscard]] step_result accept_terms(const secret& token, std::string_view version);
  /// Sets the personal password; from then on the legacy dossier password opens nothing.
  [[nodiscard]] step_result create_password(const secret& token, secret password,
                                            secret confirmation);
  /// Gives or confirms a contact point and sends a code to it. Called again with another
  /// point, it is "Modifier vos coordonnées": the previous code is void and the new point
  /// has its own count of new codes.
  [[nodiscard]] step_result send_contact_code(const secret& token, contact_kind kind,
                                              std::string_view contact);
  /// "Demander l'envoi d'un nouveau code": a new code to the same point, voiding the
  /// previous one; at most `codes.max_new_codes` times per point.
  [[nodiscard]] step_result resend_contact_code(const secret& token);
  /// Checks the code typed for the pending contact point.
  [[nodiscard]] step_result confirm_contact(const secret& token, std::string_view code);
  /// The allocataire in a couple answers the délégation offer. Yes grants the délégation
  /// to the conjoint from today, in the household, in the same commit, recorded and
  /// announced to both people as `household_service::grant_delegation` does.
  [[nodiscard]] step_result answer_delegation_offer(const secret& token, bool grant);

  // -- afterwards -------------------------------------------------------------------------

  /// Changes the password of a full session: the current one is required (and throttled
  /// like a login), the new one follows the policy. Closes every session of the person
  /// and opens a new one (`step_result::token`); the person is informed.
  [[nodiscard]] step_result change_password(const secret& token, secret current, secret password,
                                            secret confirmation);

  // -- recovery (R17) -----------------------------------------------------------------------

  /// "Mot de passe oublié ?": sends a code to a verified contact point of that kind (any
  /// verified point when there is none of that kind). The answer is the same whether or
  /// not an account exists.
  [[nodiscard]] recovery_outcome request_password_reset(std::string_view identifier,
                                                        contact_kind via);
  /// Sets a new password with the code sent by `request_password_reset`. Closes every
  /// session of the person and informs them. An unknown identifier gets `wrong_code`.
  [[nodiscard]] step_result reset_password(std::string_view identifier, std::string_view code,
                                           secret password, secret confirmation);
  /// "Identifiant provisoire oublié ?": sends the identifier to the verified contact point
  /// typed, if it belongs to a person with that name and birth date. Same answer either way.
  [[nodiscard]] recovery_outcome remind_provisional_id(const provisional_id_reminder_request& request);

  // -- primo-demandeurs (R3, R4, R15) -------------------------------------------------

  /// Creates the personal space of a person with no dossier: the civil status checked
  /// field by field; with a valid NIR consistent with it, the NIR is the identifier,
  /// otherwise a provisional identifier is issued (unique, from the CSPRNG) and the
  /// mismatches are recorded. Opens a first-connection session (CGU, password, contact).
  [[nodiscard]] registration_result register_primo_demandeur(const primo_declaration& declaration);

  /// The récapitulatif of the seed for the person of `token`.
  [[nodiscard]] std::optional<registration_recap> recap(const secret& token);

  /// R15: may the person of `token` file a benefit request now? Only a full session (first
  /// connection complete), and never a conjoint the policy denies in one of their
  /// households at today's date.
  [[nodiscard]] benefit_request_check may_request_benefit(const secret& token);

  /// The Caf certified a NIR for a person known by a provisional identifier: the person
  /// is re-keyed to the NIR (same person id, same account, history kept), and the
  /// provisional identifier still opens the account for `provisional_transition`.
  /// Errors: `errc::account_unknown`, `errc::account_state` (no provisional identifier,
  /// or already a NIR), `errc::storage_duplicate` (the NIR belongs to another person).
  [[nodiscard]] result<void> certify_nir(const person_id& person, const nir& certified,
                                         std::string_view agent);

  /// The person of a full session corrects their civil status (postal code, names).
  /// After a FranceConnect login the six pivot fields are read-only (`locked`).
  enum class civil_status_update { done, not_signed_in, invalid, locked };
  [[nodiscard]] civil_status_update update_civil_status(const secret& token,
                                                        const civil_status& civil,
                                                        std::vector<error>* errors = nullptr);

  // -- FranceConnect (R18) ------------------------------------------------------------

  /// Starts a login: `state` and `nonce` for the authorization request, bound to a
  /// stored, expiring, single-use attempt. `acr` defaults to the configured minimum.
  /// Throws `std::logic_error` when `account_config::franceconnect` has no issuer: a
  /// host that offers the button without configuring the provider has a bug to fix,
  /// not a person to answer (`complete_franceconnect` then answers `disabled`).
  [[nodiscard]] franceconnect_start begin_franceconnect(std::optional<eidas_level> acr = {});

  /// Ends a login with the `state` returned to the callback and the claims of the ID
  /// token (signature verified by the host: ES256 or RS256 only) merged with userinfo,
  /// as one JSON object. A known `sub` logs its account in; otherwise the six pivot
  /// fields must match exactly one person, whose account is then linked (and created if
  /// the person had none). Every outcome is audited; a login informs the person.
  [[nodiscard]] franceconnect_result complete_franceconnect(std::string_view state,
                                                            std::string_view claims_json);

  /// Removes the link; the account must have a password to log in with afterwards. The
  /// pivot fields stay read-only: they came from FranceConnect.
  [[nodiscard]] step_result unlink_franceconnect(const secret& token);

  /// An account opened by FranceConnect, which has no password, adds one (R12 policy).
  [[nodiscard]] step_result add_password(const secret& token, secret password,
                                         secret confirmation);

  // -- reading --------------------------------------------------------------------------

  /// The step `person` must do next, or `done`; `account_unknown` when they have no
  /// account.
  [[nodiscard]] result<first_connection_step> next_step(const person_id& person);

  [[nodiscard]] const account_config& config() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace calp
