#pragma once
// What the account service's source files share: the seams, the configuration, and the
// read-compute-commit loop every step runs in.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "calp/accounts.hpp"

namespace calp::detail {

// A commit that lost a race is recomputed from a fresh read; this many times at most,
// after which the storage is reported as failing (a hot record that never settles is
// not a person's mistake).
inline constexpr int max_commit_rounds = 32;

// An audit event under construction.
struct audit_entry {
  std::string kind;
  std::string actor;
  std::string subject;
  std::string outcome;
  std::string detail;  // a JSON object, or empty
  std::string dossier = {};
};

// The event, stamped `now`.
inline audit_event make_event(timestamp now, audit_entry e) {
  audit_event ev;
  ev.at = now;
  ev.kind = std::move(e.kind);
  ev.actor = std::move(e.actor);
  ev.subject = std::move(e.subject);
  ev.dossier = std::move(e.dossier);
  ev.outcome = std::move(e.outcome);
  ev.detail = std::move(e.detail);
  return ev;
}

// An account before its first connection, with every field set.
inline account_record new_account(person_id person, std::string legacy_password_hash, timestamp now) {
  return account_record{std::move(person),        account_state::awaiting_first_connection,
                        {},                       std::move(legacy_password_hash),
                        std::nullopt,             std::nullopt,
                        {},                       std::nullopt,
                        std::nullopt,             false,
                        now,                      std::nullopt};
}

// Commits; true on success, false on a conflict (read again); any other refusal is a bug
// of `writer` (named in the message) or a broken storage, and is thrown.
[[nodiscard]] bool commit_or_conflict(storage& store, const write_batch& batch,
                                      std::string_view writer);

// Thrown after max_commit_rounds conflicts writing `what`.
[[noreturn]] void too_many_conflicts(std::string_view what);

// The day of an instant, in UTC.
inline date day_of(timestamp t) { return date{std::chrono::floor<std::chrono::days>(t)}; }

}  // namespace calp::detail

namespace calp {

struct account_service::impl {
  impl(storage& s, notifier& n, calp::clock& c, account_config cfg, code_key key);

  storage& store;
  notifier& notify;
  calp::clock& clock;
  account_config config;
  code_key server_key;
  password_hasher hasher;

  // -- keys: never a NIR in clear in the storage --------------------------------------
  [[nodiscard]] std::string login_throttle_key(const login_identifier& id) const;
  [[nodiscard]] static std::string password_throttle_key(const person_id& person);
  [[nodiscard]] static std::string codes_throttle_key(const person_id& person);
  [[nodiscard]] static std::string contact_challenge_key(const person_id& person,
                                                         const contact_point& point);
  [[nodiscard]] static std::string activation_challenge_key(const person_id& person);
  [[nodiscard]] static std::string recovery_challenge_key(const person_id& person, timestamp now);

  // -- reads ----------------------------------------------------------------------------
  // The person a login identifier names now: a provisional identifier past its
  // transition period names nobody.
  [[nodiscard]] std::optional<versioned<person_record>> find_person(const login_identifier& id,
                                                                    timestamp now);
  // The step `acc` must do next at `now`.
  [[nodiscard]] first_connection_step step_of(const account_record& acc, timestamp now);
  // The household where `person` is allocataire with a current conjoint at `today`.
  [[nodiscard]] std::optional<versioned<household>> couple_household_of(const person_id& person,
                                                                        date today);

  // -- writes ---------------------------------------------------------------------------
  // Appends one event in a commit of its own (an event with nothing else to record).
  void audit(timestamp now, detail::audit_entry e);
  // Counts one attempt under the throttle `key` before a secret is checked
  // (login_throttle.hpp); false when the key is blocked.
  [[nodiscard]] bool reserve(const std::string& key, timestamp now);
  // Commits; true on success, false on a conflict (read again); an error other than a
  // conflict is a bug or a broken storage and is thrown.
  [[nodiscard]] bool try_commit(const write_batch& batch);
  [[noreturn]] static void too_many_conflicts(std::string_view what);

  // A new session for `person`, as a record to put and its token.
  [[nodiscard]] std::pair<session_record, secret> new_session(const person_id& person,
                                                              session_kind kind,
                                                              std::string method, timestamp now) const;

  // The valid session of `token` at `now`, or nothing.
  [[nodiscard]] std::optional<versioned<session_record>> valid_session(const secret& token,
                                                                       timestamp now);

  // -- shared flows ---------------------------------------------------------------------
  // Opens a session after a proved secret: settles the throttle, moves the account to
  // its first connection when it has not started, rehashes when asked, audits.
  [[nodiscard]] login_result open_session(const person_id& person, const std::string& throttle_key,
                                          std::string method, timestamp now,
                                          std::optional<std::string> rehashed,
                                          std::string_view old_hash);
  // Answers a refused login after spending the time of one verification.
  [[nodiscard]] login_result refuse_login(timestamp now, const std::optional<person_id>& person,
                                          const login_identifier& id, std::string_view reason);

  // Sends a notice; false when the notifier failed (the caller reports it).
  bool send(sms_notice notice) noexcept;
  bool send(email_notice notice) noexcept;
  // Sends the "password changed" notice to every verified contact point.
  void notify_password_changed(const account_record& acc, timestamp now) noexcept;

  // -- first connection ----------------------------------------------------------------
  struct step_context {
    versioned<session_record> session;
    versioned<account_record> account;
    first_connection_step step = first_connection_step::done;
    std::string who;  // the person id, for audit events
  };
  // The session of `token`, its account and the step it is at; nothing when the token
  // opens nothing.
  [[nodiscard]] std::optional<step_context> load_step(const secret& token, timestamp now);
  // Puts `next` (and, when it completes the first connection, the account made active and
  // the session made full) into `batch`; returns the step after it.
  first_connection_step finish_step(write_batch& batch, const step_context& ctx,
                                    account_record next, timestamp now);
  // What a password must not contain, from the person's record (R12).
  [[nodiscard]] password_personal_data personal_data(const person_id& person);

  // -- codes ----------------------------------------------------------------------------
  enum class code_delivery { sent, not_delivered };
  // Renders and sends a code (a contact proof, or a recovery when `recovery`).
  [[nodiscard]] code_delivery deliver_code(const contact_point& point, const secret& code,
                                           code_channel channel, bool recovery);
  // The count of messages of the last 24 hours under `key` with one more, or nothing
  // when `per_day` were already sent.
  [[nodiscard]] static std::optional<throttle_record> count_message(
      const std::optional<versioned<throttle_record>>& current, std::string key,
      std::uint32_t per_day, timestamp now);
  // Sends a code to `fresh` (a new point to prove) or to the pending point.
  [[nodiscard]] step_result send_code(const secret& token, std::optional<contact_point> fresh);
};

}  // namespace calp
