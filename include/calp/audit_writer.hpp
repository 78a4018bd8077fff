#pragma once
/// \file
/// `calp::audit_writer`: appends audit events in groups, on a thread of its own, so a
/// host can audit every decision (R8, R19) at the speed of deciding.
///
/// Writing each event in its own commit costs one durable disk sync per decision: on
/// SQLite that is 25–45 times slower than deciding (bench/RESULTS.md). The writer takes
/// the events, and commits up to `max_batch` of them at once, at most `max_delay` after
/// the oldest arrived; the storage still numbers and chains them (`calp/audit.hpp`).
///
/// The price is a window: `submit` returns before the event is durable, so a crash of
/// the process loses the events of the last `max_delay` (plus the commit in flight).
/// Hosts for which that is not acceptable keep the default of `storage_authorizer`
/// (one commit per audited decision, before the answer), or call `flush()` before
/// acting on an answer that must be on record.
///
/// On SQLite, each commit makes the other connections drop their memory map of the file
/// (`sqlite_options::mmap_bytes`): with frequent commits, turn mapping off, or commit
/// less often (a larger `max_delay` and `max_batch`). bench/RESULTS.md has the figures.
///
/// Never fail open: when the storage refuses commits, events wait and are retried; once
/// `max_pending` are waiting, `submit` refuses, and the authorizer then gives no answer.
///
/// ```cpp
/// calp::audit_writer audit(store, {.max_delay = std::chrono::milliseconds(20)});
/// calp::storage_authorizer authz(store, audit);
/// // … authz.authorize(…) …
/// if (auto done = audit.flush(); !done) alert(done.error().message);
/// ```
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "calp/error.hpp"
#include "calp/storage.hpp"

namespace calp {

struct audit_writer_options {
  /// Events in one commit, at most (at least 1).
  std::size_t max_batch = 1000;
  /// How long an event may wait for its commit to start while the storage answers.
  std::chrono::milliseconds max_delay{20};
  /// Events held at most, waiting or being committed; `submit` refuses beyond.
  std::size_t max_pending = 100'000;
};

/// What the writer did so far.
struct audit_writer_stats {
  std::uint64_t committed = 0;  ///< events committed
  std::uint64_t commits = 0;    ///< commits that succeeded
  std::uint64_t failures = 0;   ///< commits that failed (their events were kept)
  std::size_t pending = 0;      ///< events waiting now
};

/// Thread-safe: any number of threads may `submit` and `flush` at once.
class audit_writer {
 public:
  /// `store` must outlive the writer. Starts the writing thread.
  explicit audit_writer(storage& store, audit_writer_options options = {});
  /// Commits what is waiting, trying once more if the storage fails; events the storage
  /// still refuses are lost. Call `flush()` first to know.
  ~audit_writer();
  audit_writer(const audit_writer&) = delete;
  audit_writer& operator=(const audit_writer&) = delete;

  /// Queues `e` (its `seq` and `link` are the storage's to set). Errors:
  /// `errc::storage_invalid` for an event no storage would take (a field too long: the
  /// same checks as `write_batch::validate`), `errc::storage_unavailable` when
  /// `max_pending` events are waiting (the storage is failing, the message says how).
  [[nodiscard]] result<void> submit(audit_event e);

  /// Waits until every event submitted before the call is committed. Errors:
  /// `errc::storage_unavailable` with the storage's message when a commit failed
  /// meanwhile: the events stay queued and are retried.
  [[nodiscard]] result<void> flush();

  [[nodiscard]] audit_writer_stats stats() const;

 private:
  void run();
  // Commits the first `n` waiting events; false when the storage failed.
  bool commit_front(std::unique_lock<std::mutex>& lock, std::size_t n);

  storage* store_;
  audit_writer_options options_;
  mutable std::mutex mutex_;
  std::condition_variable work_;  // the writer waits for events, a flush or the end
  std::condition_variable done_;  // flushes wait for commits
  struct queued {
    audit_event event;
    std::chrono::steady_clock::time_point since;
  };
  std::deque<queued> pending_;
  std::uint64_t submitted_ = 0;
  audit_writer_stats stats_;
  std::size_t flushes_waiting_ = 0;
  std::string last_failure_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace calp
