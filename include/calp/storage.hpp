#pragma once
/// \file
/// The storage seam (DESIGN.md §5): everything calp remembers between two calls lives
/// behind `calp::storage`. calp ships three implementations (`storage/memory.hpp`,
/// `storage/sqlite.hpp`, `storage/postgres.hpp`); a host may write its own and prove it
/// with the conformance suite (`calp/testing/storage_conformance.hpp`).
///
/// The shape is small on purpose: keyed reads that return `std::optional` when the
/// record is absent, and one write, `commit`, that applies a `write_batch` all or
/// nothing. Every mutable record carries a version; each write names the version it
/// was computed from (0: the record must not exist yet) and fails with
/// `errc::storage_conflict` when another writer got there first. That is how limits
/// (R12b, R13), the one délégation per household (R7) and uniqueness (NIR, provisional
/// identifier, e-mail within a household, R14) hold when several application servers
/// share one database: a stale write never silently wins; the caller reads again and
/// decides again.
///
/// Records are plain values; the storage never interprets them beyond the keys and the
/// uniqueness rules listed on `commit`. Secrets never reach it in clear: passwords,
/// codes and session tokens arrive as hashes computed by the services.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/household.hpp"
#include "calp/ids.hpp"
#include "calp/nir.hpp"
#include "calp/time.hpp"

namespace calp {

// ---------------------------------------------------------------------------------
// Records

/// Civilité as the Caf and FranceConnect record it.
enum class gender : std::uint8_t { female, male };

/// `"female"`, `"male"` (FranceConnect's spelling).
[[nodiscard]] std::string_view to_string(calp::gender g) noexcept;

/// Birth names of a parent, required when a person born abroad gets a provisional
/// identifier (R4).
struct parent_names {
  std::string family_name;
  std::string given_names;

  friend bool operator==(const parent_names&, const parent_names&) = default;
};

/// What a person declares about themselves (primo-demandeur, R4) or what the Caf knows;
/// also the FranceConnect pivot fields (R18). Strings are stored as given (UTF-8); the
/// services validate and normalise them before they get here.
struct civil_status {
  std::string family_name;  ///< nom de naissance
  std::string given_names;  ///< every given name, separated by single spaces
  calp::gender gender = calp::gender::female;
  date birth_date;
  std::string birth_country;  ///< INSEE COG code, `99100` for France
  std::string birth_place;    ///< INSEE COG commune code when born in France, else empty
  std::string birth_city;     ///< free text when born abroad (R4), else empty
  std::vector<parent_names> parents;  ///< both parents when born abroad (R4)
  std::string postal_code;            ///< place of residence, 5 digits, or empty

  friend bool operator==(const civil_status&, const civil_status&) = default;
};

/// A person calp knows: how they log in (R1) and who they are. Household members need
/// no person record; accounts do.
struct person_record {
  person_id id;
  /// Unique across the storage when present.
  std::optional<calp::nir> nir;
  /// Unique across the storage when present (R3).
  std::optional<calp::provisional_id> provisional_id;
  /// When a certified NIR replaced the provisional identifier: the provisional
  /// identifier still opens the account until this instant, then no longer.
  std::optional<timestamp> provisional_valid_until;
  std::optional<calp::civil_status> civil_status;

  friend bool operator==(const person_record&, const person_record&) = default;
};

/// Where an account is in its life (R11).
enum class account_state : std::uint8_t {
  awaiting_first_connection,  ///< imported or created; nobody has logged in yet
  first_connection,           ///< la bascule started; only its required steps are open
  active,                     ///< every required step done
  disabled,                   ///< closed by the Caf; nothing opens it
};
[[nodiscard]] std::string_view to_string(account_state s) noexcept;

enum class contact_kind : std::uint8_t { mobile, email };
[[nodiscard]] std::string_view to_string(contact_kind k) noexcept;

/// A mobile number or an e-mail address, and when the person proved it with a code.
struct contact_point {
  contact_kind kind = contact_kind::email;
  std::string value;  ///< as the services normalised it (E.164 number, e-mail address)
  std::optional<timestamp> verified_at;

  friend bool operator==(const contact_point&, const contact_point&) = default;
};

/// A person's own account.
struct account_record {
  person_id person;
  account_state state = account_state::awaiting_first_connection;
  /// `crypto_pwhash_str` output (self-describing Argon2id hash); empty: no password yet.
  std::string password_hash;
  /// The hash of the legacy 8-digit dossier password, as the host imported it; emptied
  /// by la bascule, after which it opens nothing.
  std::string legacy_password_hash;
  /// The CGU version last accepted (R16), and when.
  std::optional<std::string> terms_version;
  std::optional<timestamp> terms_accepted_at;
  /// E-mail addresses must not be shared with another current member of one of the
  /// person's households (R14): `commit` refuses it.
  std::vector<contact_point> contacts;
  /// FranceConnect subject; unique across the storage when present (R18).
  std::optional<std::string> franceconnect_sub;
  /// The allocataire's answer to the délégation offer of the first connection (R11).
  std::optional<bool> delegation_offer_accepted;
  /// After a FranceConnect login the pivot fields are no longer the person's to edit.
  bool civil_status_locked = false;
  timestamp created_at{};
  std::optional<timestamp> password_changed_at;

  friend bool operator==(const account_record&, const account_record&) = default;
};

/// A one-time secret in flight: a verification code (R13), an activation code, a
/// recovery code, a FranceConnect `state`/`nonce`. The key is chosen by the service
/// (`"contact:p1:email"`) and names what the secret proves; there is one record per
/// key, and a new secret for the same key replaces the previous one.
struct challenge_record {
  std::string key;  ///< 1 to 256 bytes, opaque
  std::optional<person_id> person;
  /// Keyed hash of the secret (never the secret).
  std::string secret_hash;
  timestamp issued_at{};
  timestamp expires_at{};
  /// Secrets issued under this key so far (R13: at most 3).
  std::uint32_t issued_count = 0;
  /// Wrong entries against the current secret (R13: at most 5, then void).
  std::uint32_t failed_attempts = 0;
  /// Single use: set when the secret was accepted.
  bool consumed = false;
  /// Non-secret context the service needs back (the contact point, the nonce's login
  /// attempt); at most 4096 bytes.
  std::string payload;

  friend bool operator==(const challenge_record&, const challenge_record&) = default;
};

/// The most instants a `throttle_record` may hold (`write_batch::validate`).
inline constexpr std::size_t max_throttle_instants = 1024;

/// Failure counters for one identifier or one code (R12b), whether or not an account
/// exists behind it. The key is chosen by the service and is never a NIR in clear.
struct throttle_record {
  std::string key;  ///< 1 to 256 bytes, opaque
  std::uint32_t consecutive_failures = 0;
  /// The instants of the failures still inside the rolling window, oldest first: a
  /// sliding window ("at most 25 in any 24 hours") needs the instants, not a count. At
  /// most `max_throttle_instants`.
  std::vector<timestamp> recent_failures;
  std::optional<timestamp> blocked_until;

  friend bool operator==(const throttle_record&, const throttle_record&) = default;
};

enum class session_kind : std::uint8_t {
  first_connection,  ///< opens only the required steps of R11
  full,
};
[[nodiscard]] std::string_view to_string(session_kind k) noexcept;

/// A logged-in session. Keyed by a hash of its token; the token itself is never stored.
struct session_record {
  std::string token_hash;  ///< 1 to 256 bytes
  person_id person;
  session_kind kind = session_kind::full;
  std::string method;  ///< how it was opened: `password`, `legacy`, `franceconnect`, …
  timestamp created_at{};
  timestamp last_seen_at{};
  timestamp expires_at{};  ///< absolute expiry

  friend bool operator==(const session_record&, const session_record&) = default;
};

/// One entry of the append-only audit trail (R19): who acted, for whom, what, when,
/// with what outcome. Never a secret, never a full NIR.
struct audit_event {
  /// Assigned by the storage when appended: increasing in commit order, never reused
  /// (a failed commit may leave a gap).
  std::uint64_t seq = 0;
  timestamp at{};
  std::string kind;     ///< stable event name, `login.failed`
  std::string actor;    ///< who acted: a person id, or `agent:<id>` at the front desk
  std::string subject;  ///< whose data or account it concerns (a person id), or empty
  std::string dossier;  ///< the dossier concerned, or empty
  std::string outcome;  ///< stable outcome name, `denied`, `ok`
  std::string detail;   ///< small JSON object with no secret, or empty
  /// Integrity link to the previous event: set by a storage opened with an audit key
  /// (`calp::audit_link`, `calp/audit.hpp`), which ignores the batch's; kept as the
  /// batch gave it otherwise.
  std::string link;

  friend bool operator==(const audit_event&, const audit_event&) = default;
};

/// Which audit events to read: every condition set must hold. Results come in `seq`
/// order, at most `limit` of them.
struct audit_query {
  std::optional<std::string> subject;
  std::optional<std::string> actor;
  std::uint64_t after_seq = 0;
  std::size_t limit = 1000;
};

/// A record as stored, with the version to name when writing it back.
template <class T>
struct versioned {
  T value;
  std::uint64_t version = 0;
};

// ---------------------------------------------------------------------------------
// Writes

/// Writes applied together by `storage::commit`. Each `put` names the version the
/// record was read at, or 0 to create it; after a successful commit its version is
/// `expected_version + 1`. A batch is a plain value: building one touches nothing.
class write_batch {
 public:
  template <class Record>
  struct put_op {
    Record record;
    std::uint64_t expected_version = 0;
  };
  /// An erase names the version it read; erasing an absent record is a conflict.
  struct erase_challenge_op {
    std::string key;
    std::uint64_t expected_version = 0;
  };
  struct erase_session_op {
    std::string token_hash;
    std::uint64_t expected_version = 0;
  };
  /// Every session of a person (password changed or reset); no version: revoking what
  /// was already revoked is not a conflict.
  struct erase_sessions_of_op {
    person_id person;
  };
  /// `event.seq` is ignored: the storage assigns it. With `after_seq`, the commit
  /// fails with a conflict unless the trail's last event is `*after_seq` (0: empty),
  /// so a writer that chains events to the previous one never forks the chain.
  struct append_audit_op {
    audit_event event;
    std::optional<std::uint64_t> after_seq;
  };
  /// Removes the audit events with `seq < before_seq` (retention); the others keep
  /// their numbers.
  struct purge_audit_op {
    std::uint64_t before_seq = 0;
  };

  using operation =
      std::variant<put_op<person_record>, put_op<household>, put_op<account_record>,
                   put_op<challenge_record>, put_op<throttle_record>, put_op<session_record>,
                   erase_challenge_op, erase_session_op, erase_sessions_of_op, append_audit_op,
                   purge_audit_op>;

  write_batch& put(person_record r, std::uint64_t expected_version);
  write_batch& put(household h, std::uint64_t expected_version);
  write_batch& put(account_record r, std::uint64_t expected_version);
  write_batch& put(challenge_record r, std::uint64_t expected_version);
  write_batch& put(throttle_record r, std::uint64_t expected_version);
  write_batch& put(session_record r, std::uint64_t expected_version);
  write_batch& erase_challenge(std::string key, std::uint64_t expected_version);
  write_batch& erase_session(std::string token_hash, std::uint64_t expected_version);
  write_batch& erase_sessions_of(person_id person);
  write_batch& append(audit_event event, std::optional<std::uint64_t> after_seq = std::nullopt);
  write_batch& purge_audit(std::uint64_t before_seq);

  [[nodiscard]] std::span<const operation> operations() const noexcept { return ops_; }
  [[nodiscard]] bool empty() const noexcept { return ops_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return ops_.size(); }

  /// The checks every storage makes before writing anything (key lengths, payload
  /// size, a household put twice in one batch…). Implementations call it first, so a
  /// malformed batch fails the same way everywhere. Errors: `errc::storage_invalid`
  /// naming the operation (`operations[3]`).
  [[nodiscard]] result<void> validate() const;

 private:
  std::vector<operation> ops_;
};

/// What a successful commit assigned.
struct commit_receipt {
  /// The `seq` of each appended audit event, in batch order.
  std::vector<std::uint64_t> audit_seqs;
};

// ---------------------------------------------------------------------------------
// The interface

/// An infrastructure failure: database unreachable or full, corrupt or foreign file,
/// schema newer than this calp, a failure injected by a test. Thrown by every
/// `storage` method; never a person's mistake. The message never holds a password,
/// even one that was part of a connection URI.
class storage_error : public std::runtime_error {
 public:
  storage_error(errc code, const std::string& message);
  /// One of `errc::storage_location`, `storage_unavailable`, `storage_corrupt`,
  /// `storage_schema`, `storage_failure`.
  [[nodiscard]] errc code() const noexcept { return code_; }

 private:
  errc code_;
};

/// The storage every calp service reads and writes through.
///
/// Contract, for every implementation:
/// - Thread safety: every method may be called concurrently from any number of threads;
///   several processes may share the same database (SQLite file, PostgreSQL server).
/// - Freshness (R10): a read returns what was last committed by any process sharing the
///   database, as of the moment of the call. An implementation that caches must prove it
///   cannot return a record older than the last commit.
/// - Absent records are `std::nullopt` or an empty vector, never an exception.
/// - Infrastructure failures throw `calp::storage_error`. A `commit` is atomic: it
///   applies the whole batch or nothing. When it throws, the batch was not applied,
///   except for a connection lost during the final commit of a network database, where
///   the outcome is unknown: read the versions again before retrying.
/// - No method keeps a reference to its arguments after it returns.
class storage {
 public:
  virtual ~storage() = default;

  /// The person with this id.
  [[nodiscard]] virtual std::optional<versioned<person_record>> find_person(const person_id& id) = 0;
  /// The person whose NIR this is.
  [[nodiscard]] virtual std::optional<versioned<person_record>> find_person_by_nir(const nir& n) = 0;
  /// The person whose provisional identifier this is (whatever its validity period:
  /// the service decides).
  [[nodiscard]] virtual std::optional<versioned<person_record>> find_person_by_provisional_id(
      const provisional_id& p) = 0;
  /// Persons whose civil status has this birth date, in id order, at most `limit`: the
  /// candidates a FranceConnect identity is compared with (R18).
  [[nodiscard]] virtual std::vector<versioned<person_record>> find_persons_born_on(
      date birth_date, std::size_t limit) = 0;

  /// The household of this dossier.
  [[nodiscard]] virtual std::optional<versioned<household>> find_household(
      const dossier_number& dossier) = 0;
  /// The dossiers that list this person as a member (also as one who left), in order.
  [[nodiscard]] virtual std::vector<dossier_number> households_of(const person_id& person) = 0;
  /// The households that list this person as a member (also as one who left), in
  /// dossier order, as stored now: `households_of` and `find_household` in one read.
  [[nodiscard]] virtual std::vector<versioned<household>> find_households_of(
      const person_id& person) = 0;

  /// The account of this person.
  [[nodiscard]] virtual std::optional<versioned<account_record>> find_account(
      const person_id& person) = 0;
  /// The account linked to this FranceConnect subject.
  [[nodiscard]] virtual std::optional<versioned<account_record>> find_account_by_franceconnect_sub(
      std::string_view sub) = 0;

  /// The challenge under this key, whether or not it expired or was consumed: the
  /// service decides (R13).
  [[nodiscard]] virtual std::optional<versioned<challenge_record>> find_challenge(
      std::string_view key) = 0;
  /// The failure counters under this key (R12b).
  [[nodiscard]] virtual std::optional<versioned<throttle_record>> find_throttle(
      std::string_view key) = 0;
  /// The session whose token hashes to this, whether or not it expired.
  [[nodiscard]] virtual std::optional<versioned<session_record>> find_session(
      std::string_view token_hash) = 0;
  /// The sessions of a person, in token-hash order.
  [[nodiscard]] virtual std::vector<versioned<session_record>> sessions_of(const person_id& person) = 0;

  /// Audit events matching `q`, in `seq` order.
  [[nodiscard]] virtual std::vector<audit_event> audit_events(const audit_query& q) = 0;
  /// The last audit event appended (even if older ones were purged).
  [[nodiscard]] virtual std::optional<audit_event> audit_tail() = 0;

  /// Applies every operation of `batch`, in order, or none. Expected failures:
  /// - `errc::storage_invalid`: `batch.validate()` failed;
  /// - `errc::storage_conflict`: a `put` or `erase` names a version that is not the
  ///   stored one (0 for a record that exists, another number for one that does not or
  ///   changed since; an erase at 0 always), or an `append` whose `after_seq` is not the
  ///   tail;
  /// - `errc::storage_duplicate`: the batch would leave two persons with one NIR or one
  ///   provisional identifier, two accounts with one FranceConnect subject, or an
  ///   e-mail address on two accounts of current members (no `left` date) of one
  ///   household (R14; compared case-insensitively in ASCII). To move a value from one
  ///   record to another in one batch, put the record that releases it first: an
  ///   implementation may check uniqueness as each operation applies (SQLite does) and
  ///   refuse the other order, which never lets a duplicate through.
  /// The error's `field` names the operation (`operations[2]`, `operations[2].nir`), and
  /// nothing was applied. Infrastructure failures throw `storage_error`, having applied
  /// nothing (but for the lost-connection case in the class comment).
  [[nodiscard]] virtual result<commit_receipt> commit(const write_batch& batch) = 0;
};

/// Forwards every call to another storage. Derive from it to change one behaviour
/// (fault injection, counting calls, logging) and inherit the rest.
class storage_wrapper : public storage {
 public:
  /// `target` must outlive the wrapper.
  explicit storage_wrapper(storage& target) noexcept : target_(&target) {}

  std::optional<versioned<person_record>> find_person(const person_id& id) override;
  std::optional<versioned<person_record>> find_person_by_nir(const nir& n) override;
  std::optional<versioned<person_record>> find_person_by_provisional_id(
      const provisional_id& p) override;
  std::vector<versioned<person_record>> find_persons_born_on(date birth_date,
                                                             std::size_t limit) override;
  std::optional<versioned<household>> find_household(const dossier_number& dossier) override;
  std::vector<dossier_number> households_of(const person_id& person) override;
  std::vector<versioned<household>> find_households_of(const person_id& person) override;
  std::optional<versioned<account_record>> find_account(const person_id& person) override;
  std::optional<versioned<account_record>> find_account_by_franceconnect_sub(
      std::string_view sub) override;
  std::optional<versioned<challenge_record>> find_challenge(std::string_view key) override;
  std::optional<versioned<throttle_record>> find_throttle(std::string_view key) override;
  std::optional<versioned<session_record>> find_session(std::string_view token_hash) override;
  std::vector<versioned<session_record>> sessions_of(const person_id& person) override;
  std::vector<audit_event> audit_events(const audit_query& q) override;
  std::optional<audit_event> audit_tail() override;
  result<commit_receipt> commit(const write_batch& batch) override;

 protected:
  [[nodiscard]] storage& target() const noexcept { return *target_; }

 private:
  storage* target_;
};

}  // namespace calp
