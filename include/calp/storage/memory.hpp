#pragma once
/// \file
/// `calp::memory_storage`: the whole storage contract (`calp/storage.hpp`) held in the
/// process's memory. For tests, examples and small hosts that run one process; nothing
/// survives the object. It passes the same conformance suite as the SQL storages.
///
/// ```cpp
/// calp::memory_storage store;
/// calp::write_batch batch;
/// batch.put(person, 0);  // 0: create
/// auto receipt = store.commit(batch);
/// ```

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "calp/audit_key.hpp"
#include "calp/storage.hpp"

namespace calp {

/// A storage in memory.
///
/// Thread safety: every method may be called concurrently. Reads share a lock;
/// `commit` takes it exclusively, so a read sees a batch entirely or not at all.
/// Freshness (R10) is immediate: there is no cache, every read sees the last commit.
///
/// `commit` checks every precondition of the batch (versions, `after_seq`, uniqueness,
/// R14) against a staged view before it changes anything, and prepares every allocation
/// before it publishes the result, so a failed or throwing commit leaves the storage as
/// it was. Memory use grows with the records held; purged audit events are freed.
class memory_storage final : public storage {
 public:
  /// With `key`, every appended event is chained (`calp/audit.hpp`); without, events
  /// keep the link their batch gave (none: `verify_audit_trail` reports them).
  explicit memory_storage(std::shared_ptr<const audit_key> key = nullptr);
  ~memory_storage() override;
  memory_storage(const memory_storage&) = delete;
  memory_storage& operator=(const memory_storage&) = delete;

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
  // The tables, indexes and lock live in the source file: nothing of them is part of
  // the interface, and a host including this header needs no <map> nor <shared_mutex>.
  struct state;
  class staging;
  std::unique_ptr<state> state_;
};

}  // namespace calp
