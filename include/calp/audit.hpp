#pragma once
/// \file
/// The audit trail (R19) once stored: its chain, its verification, its retention and
/// the two questions people ask of it (what happened about me, what did this agent do).
///
/// The chain. A storage opened with an audit key (`sqlite_options::audit_key`,
/// `postgres_options::audit_key`, `memory_storage(key)`, `open_storage(…, key)`) sets
/// the `link` of every event it appends to `audit_link(key, link of the event before,
/// event)`, inside the transaction that assigns the event's `seq`: concurrent writers
/// never fork the chain and never wait for each other more than the storage already
/// makes them. `verify_audit_trail` then finds the first event that was edited,
/// removed or moved. What a chain alone cannot see: the removal of the newest events
/// together with the stored tail, by someone who also rewrites the tail. Record the
/// `tail_link` that `verify_audit_trail` reports somewhere the database's
/// administrators cannot write (a signed e-mail, a ticket), and compare.
///
/// ```cpp
/// auto key = std::make_shared<const calp::audit_key>(calp::audit_key::from_hex(hex).value());
/// calp::sqlite_storage store({.path = "calp.db", .audit_key = key});
/// // … services write the trail …
/// auto check = calp::verify_audit_trail(store, *key);
/// if (!check.intact) alert(check.broken_at, check.problem);
/// ```
///
/// The catalogue: every `audit_event::kind` calp writes is in `audit_event_kinds()`,
/// described where it is written — the account service (`calp/accounts.hpp`), the
/// household service (`calp/delegation.hpp`), the authorizer (`decision`,
/// `calp/storage_authorizer.hpp`) and retention here (`audit.purged`). Events carry
/// person ids and dossier numbers, never a full NIR, a secret or a contact point.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calp/audit_key.hpp"
#include "calp/error.hpp"
#include "calp/ids.hpp"
#include "calp/storage.hpp"
#include "calp/time.hpp"

namespace calp {

/// The kind of the event a purge leaves: actor the operator, detail
/// `{"before":"2025-01-01T00:00:00Z","removed":1234,"first_kept_seq":1240,"anchor":"…"}`.
inline constexpr std::string_view audit_purged_kind = "audit.purged";

/// Every event kind calp writes, in alphabetical order.
[[nodiscard]] std::span<const std::string_view> audit_event_kinds() noexcept;

/// The `link` of `e` when the event before it in the trail has the link `previous`
/// (empty for the first event ever appended): keyed BLAKE2b-256 over a versioned domain,
/// `previous` and every other field of `e`, `seq` included, each framed by its length.
/// 64 lower-case hex digits. Storages call it; a host's own storage must too.
[[nodiscard]] std::string audit_link(const audit_key& key, std::string_view previous,
                                     const audit_event& e);

/// What `verify_audit_trail` found.
struct audit_verification {
  /// Every link follows from the one before, from the first event (or the anchor a
  /// purge recorded) to the stored tail.
  bool intact = false;
  /// Events read.
  std::uint64_t events = 0;
  /// The `seq` of the first and last events read (0 when the trail is empty).
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  /// The link of the trail's last event: keep it outside the database to detect the
  /// removal of newer events later (file comment).
  std::string tail_link;
  /// The `seq` of the first event whose link does not follow, or 0 when the fault is
  /// not at one event (events missing after the last, an empty trail with a tail).
  std::uint64_t broken_at = 0;
  /// What is wrong, in English for the operator; empty when intact.
  std::string problem;
};

/// Reads the whole trail in `seq` order, a page at a time, and recomputes every link
/// with `key`. A trail that starts after `seq` 1 must start where the `audit.purged`
/// event of its last purge says, from the anchor that event recorded; that event is
/// itself chained. An event with an empty link was appended by a storage opened without
/// the key and breaks the chain. Throws `storage_error` when the storage fails.
[[nodiscard]] audit_verification verify_audit_trail(storage& store, const audit_key& key);

/// What `purge_audit_trail` did.
struct audit_purge {
  /// Events removed.
  std::uint64_t removed = 0;
  /// The `seq` of the oldest event kept (the `audit.purged` event's when none was).
  std::uint64_t first_kept_seq = 0;
  /// The `seq` of the `audit.purged` event recorded.
  std::uint64_t event_seq = 0;
};

/// Retention: removes, in one commit, the events at the start of the trail stamped
/// before `before`, up to the first one stamped at or after it, and appends an
/// `audit.purged` event by `actor` that anchors the chain where the kept events start.
/// The storage must be opened with the audit key for that event to be chained.
/// Errors: `errc::audit_invalid` when `before` is after `now` (a purge removes the past
/// only) or `actor` is empty or longer than 256 bytes; `commit`'s errors. Throws
/// `storage_error` when the storage fails; then nothing was removed.
[[nodiscard]] result<audit_purge> purge_audit_trail(storage& store, timestamp before,
                                                    std::string_view actor, timestamp now);

/// The events about one person, for their own access (GDPR Art. 15): those whose
/// subject or actor is `person`, in `seq` order, after `after_seq`, at most `limit`.
/// Page with the last `seq` returned.
[[nodiscard]] std::vector<audit_event> audit_events_about(storage& store, const person_id& person,
                                                          std::uint64_t after_seq = 0,
                                                          std::size_t limit = 1000);

/// The events of one front-desk agent, for control: actor `agent:<agent>`, in `seq`
/// order, after `after_seq`, at most `limit`.
[[nodiscard]] std::vector<audit_event> audit_events_of_agent(storage& store, std::string_view agent,
                                                             std::uint64_t after_seq = 0,
                                                             std::size_t limit = 1000);

}  // namespace calp
