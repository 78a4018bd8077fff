#pragma once
/// \file
/// The embedded default storage: one SQLite file (DESIGN.md §5).
///
/// ```cpp
/// calp::sqlite_storage store({.path = "/var/lib/calp/calp.db"});
/// calp::authorizer az(calp::policy::caf_default());
/// if (auto h = store.find_household(dossier)) { auto d = az.decide(h->value, …); }
/// ```
///
/// Several `sqlite_storage` objects, in one process or in several, may open the same
/// file at once; each sees every commit of the others on its next read (R10). Commits
/// are durable once `commit` returns, even against power loss (`synchronous=FULL`).
/// Link `calp::storage_sqlite`.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "calp/audit_key.hpp"
#include "calp/storage.hpp"

namespace calp {

/// How to open a SQLite storage.
/// What a commit survives once `commit` returned.
enum class sqlite_durability : std::uint8_t {
  /// Power loss and kernel crash too: every commit syncs the WAL to disk (`PRAGMA
  /// synchronous=FULL`). The default: a lost commit could be a revoked délégation back
  /// in force, or a throttle counter (R12b) or code count (R13) rolled back.
  power_loss,
  /// The death of the process (kill -9, a crash), not a power loss: the WAL is synced
  /// only at checkpoints (`synchronous=NORMAL`), so the last commits before a power cut
  /// may be lost, never corrupted. Several times faster where a disk sync is slow; for a
  /// host whose disk or virtualisation layer already protects against power loss.
  process_crash,
};

struct sqlite_options {
  /// The database file; created with the current schema when missing (its folder must
  /// exist). Not `:memory:`: the storage opens the file once per concurrent caller.
  std::string path;
  /// How long a call waits for another writer (this process or another) to finish
  /// before it throws `storage_error` with `errc::storage_unavailable`.
  std::chrono::milliseconds busy_timeout{5000};
  /// Connections kept open for the next callers; more are opened while more threads
  /// call at once, and closed when they return over this number.
  std::size_t max_idle_connections = 8;
  /// Bytes of the file each connection maps in memory for reading (`PRAGMA
  /// mmap_size`): reads of a mapped page make no system call, which is what keeps
  /// `find_household` in a few microseconds on a large file. 0 turns mapping off.
  ///
  /// Mapping pays only while the file rarely changes: after any commit (by any
  /// connection, in any process) SQLite unmaps the whole file in every other connection
  /// on its next read, and the pages fault in again. A host that commits many times a
  /// second while it decides (logins, an `audit_writer` flushing every 20 ms) measured
  /// 7 times slower decisions with mapping than without (bench/RESULTS.md, issue 6):
  /// set 0 there.
  std::int64_t mmap_bytes = std::int64_t{1} << 30;
  /// Page cache of each connection, in KiB (`PRAGMA cache_size=-N`).
  std::int64_t cache_kib = 16 * 1024;
  /// See `sqlite_durability`; every process sharing the file should use the same.
  sqlite_durability durability = sqlite_durability::power_loss;
  /// Chains every appended audit event (`calp/audit.hpp`); without it events keep the
  /// link their batch gave, none, and `verify_audit_trail` reports them. Every process
  /// writing the file should use the same key.
  std::shared_ptr<const calp::audit_key> audit_key{};
};

/// `calp::storage` over one SQLite file. Thread-safe: every method may be called from
/// any number of threads at once (each concurrent caller gets a connection of its own
/// from a small pool). Reads never cache anything across calls.
class sqlite_storage final : public storage {
 public:
  /// `PRAGMA application_id` of a calp database: "CALP" in ASCII.
  static constexpr std::int32_t application_id = 0x43414C50;
  /// `PRAGMA user_version` this calp writes; older files are migrated when opened.
  static constexpr std::int32_t schema_version = 1;

  /// Opens `options.path`, creating it or applying the forward migrations it lacks
  /// (in one transaction). Throws `storage_error`:
  /// - `errc::storage_location`: an empty path or `:memory:`;
  /// - `errc::storage_unavailable`: the folder does not exist, or the file cannot be
  ///   opened or stays locked longer than `busy_timeout`;
  /// - `errc::storage_corrupt`: not a SQLite database, another application's database,
  ///   or a damaged one;
  /// - `errc::storage_schema`: written by a newer calp.
  /// In each of these cases the file is left exactly as it was.
  explicit sqlite_storage(sqlite_options options);
  ~sqlite_storage() override;
  sqlite_storage(const sqlite_storage&) = delete;
  sqlite_storage& operator=(const sqlite_storage&) = delete;

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
  /// One `BEGIN IMMEDIATE` transaction; waits up to `busy_timeout` for other writers.
  /// Batches committed at the same time by threads of this object share one transaction
  /// and one sync (group commit), each under its own savepoint: each gets its own
  /// outcome, exactly as if committed alone.
  result<commit_receipt> commit(const write_batch& batch) override;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace calp
