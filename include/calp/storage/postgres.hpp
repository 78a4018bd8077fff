#pragma once
/// \file
/// `calp::postgres_storage`: the storage contract (`calp/storage.hpp`) in a PostgreSQL
/// database, for deployments where several application servers share one database.
/// Target `calp::storage_postgres` (links libpq).
///
/// ```cpp
/// calp::postgres_storage store({.uri = "postgresql://calp@db.example/caf"});
/// auto household = store.find_household(dossier);  // always what was last committed
/// ```
///
/// Everything lives in one PostgreSQL schema (`calp` by default), created on first open
/// and migrated forward on later opens. Several processes may open the same schema at
/// once: migrations are serialised by an advisory lock. Nothing is cached between calls
/// (R10): every read is one statement that sees the last committed state.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calp/audit_key.hpp"
#include "calp/storage.hpp"

namespace calp {

/// Where and how `postgres_storage` connects.
struct postgres_options {
  /// A libpq connection URI, `postgresql://user[:password]@host[:port]/dbname[?…]` (or
  /// `postgres://…`). Key/value connection strings are refused: a URI is what the `calp`
  /// tool and the bindings pass around. The password, if any, never appears in a
  /// message.
  std::string uri;
  /// Connections kept open, at most; a call waits for a free one when all are busy.
  /// Must be at least 1.
  std::size_t pool_size = 4;
  /// The schema that holds calp's tables: `[a-z_][a-z0-9_]{0,62}`, not `pg_…`.
  std::string schema = "calp";
  /// Limit on establishing one connection (libpq counts whole seconds, at least 2).
  std::chrono::milliseconds connect_timeout{10'000};
  /// Chains every appended audit event (`calp/audit.hpp`); without it events keep the
  /// link their batch gave, none, and `verify_audit_trail` reports them. Every process
  /// writing the schema should use the same key.
  std::shared_ptr<const calp::audit_key> audit_key{};
};

/// A storage in a PostgreSQL schema, over a pool of libpq connections.
///
/// Thread safety: every method may be called concurrently; each call borrows one
/// connection from the pool for its duration. Any number of processes may share the
/// schema.
///
/// Reads are single statements in autocommit, so they see every transaction committed
/// before they start (R10). `commit` runs the batch as one READ COMMITTED transaction of
/// conditional writes (`UPDATE … WHERE version = $n`, `INSERT … ON CONFLICT DO
/// NOTHING`): a write that affects no row is a conflict and the whole transaction is
/// rolled back. Uniqueness of NIR, provisional identifier and FranceConnect subject is
/// checked on the state the batch leaves, under a transaction-scoped advisory lock on
/// each value written (and backed by unique indexes); R14 by locking the persons and
/// households involved before checking; audit numbers by a lock on one tail row. A
/// deadlock or serialisation failure detected by the server is reported as
/// `errc::storage_conflict`: read again and retry.
///
/// A pooled connection the server closed (restart, idle timeout) is replaced: a read is
/// retried once on a new connection, and so is a commit whose transaction had not yet
/// reached `COMMIT`. A connection lost during `COMMIT` itself throws
/// `storage_error(errc::storage_unavailable)`: the outcome is unknown, read the versions
/// again before retrying (see `storage::commit`).
class postgres_storage final : public storage {
 public:
  /// The schema version this calp writes.
  static constexpr int schema_version = 1;

  /// Connects, then creates the schema or migrates it forward, all in one transaction.
  /// Throws `storage_error`:
  /// - `errc::storage_location`: not a `postgresql://` URI, a URI libpq cannot parse, an
  ///   invalid schema name, a pool size of 0, or a database that does not exist;
  /// - `errc::storage_unavailable`: the server cannot be reached or refuses the login;
  /// - `errc::storage_schema`: the schema was written by a newer calp (left untouched);
  /// - `errc::storage_corrupt`: the schema exists, holds tables, and is not calp's;
  /// - `errc::storage_failure`: any other error of the server.
  explicit postgres_storage(postgres_options options);
  ~postgres_storage() override;
  postgres_storage(const postgres_storage&) = delete;
  postgres_storage& operator=(const postgres_storage&) = delete;

  /// The schema name in use.
  [[nodiscard]] const std::string& schema() const noexcept;

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

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace calp
