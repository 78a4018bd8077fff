#pragma once
// Storages written in Python (`class MyStorage(calp.Storage)`) and wrappers around a
// storage with some methods written in Python (`class Logged(calp.StorageWrapper)`).
//
// calp calls a storage from any thread, usually with the GIL released, so every call
// into Python takes the GIL itself. What Python answers is converted back here, once,
// and whatever goes wrong on the Python side (an exception, an answer of the wrong
// shape) becomes a `calp::storage_error` carrying the Python message: the services
// then fail the way they fail on a database error, having written nothing.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "calp/storage.hpp"
#include "common.hpp"

namespace calp::python {

/// The C++ side of a Python subclass of `calp.Storage`: every method calls the Python
/// method of the same name. `commit` validates the batch first (as every storage must)
/// so that Python only ever sees well-formed text.
class py_storage : public calp::storage {
 public:
  std::optional<versioned<person_record>> find_person(const person_id& id) override;
  std::optional<versioned<person_record>> find_person_by_nir(const nir& n) override;
  std::optional<versioned<person_record>> find_person_by_provisional_id(const provisional_id& p) override;
  std::vector<versioned<person_record>> find_persons_born_on(date birth_date, std::size_t limit) override;
  std::optional<versioned<household>> find_household(const dossier_number& dossier) override;
  std::vector<dossier_number> households_of(const person_id& person) override;
  std::vector<versioned<household>> find_households_of(const person_id& person) override;
  std::optional<versioned<account_record>> find_account(const person_id& person) override;
  std::optional<versioned<account_record>> find_account_by_franceconnect_sub(std::string_view sub) override;
  std::optional<versioned<challenge_record>> find_challenge(std::string_view key) override;
  std::optional<versioned<throttle_record>> find_throttle(std::string_view key) override;
  std::optional<versioned<session_record>> find_session(std::string_view token_hash) override;
  std::vector<versioned<session_record>> sessions_of(const person_id& person) override;
  std::vector<audit_event> audit_events(const audit_query& q) override;
  std::optional<audit_event> audit_tail() override;
  result<commit_receipt> commit(const write_batch& batch) override;
};

/// The C++ side of a Python subclass of `calp.StorageWrapper`: a method the subclass
/// defines is called instead of the target's; the others go to the target directly,
/// without taking the GIL. Keeps the target alive.
class py_storage_wrapper : public calp::storage_wrapper {
 public:
  explicit py_storage_wrapper(std::shared_ptr<calp::storage> target)
      : storage_wrapper(*target), target_(std::move(target)) {}

  std::optional<versioned<person_record>> find_person(const person_id& id) override;
  std::optional<versioned<person_record>> find_person_by_nir(const nir& n) override;
  std::optional<versioned<person_record>> find_person_by_provisional_id(const provisional_id& p) override;
  std::vector<versioned<person_record>> find_persons_born_on(date birth_date, std::size_t limit) override;
  std::optional<versioned<household>> find_household(const dossier_number& dossier) override;
  std::vector<dossier_number> households_of(const person_id& person) override;
  std::vector<versioned<household>> find_households_of(const person_id& person) override;
  std::optional<versioned<account_record>> find_account(const person_id& person) override;
  std::optional<versioned<account_record>> find_account_by_franceconnect_sub(std::string_view sub) override;
  std::optional<versioned<challenge_record>> find_challenge(std::string_view key) override;
  std::optional<versioned<throttle_record>> find_throttle(std::string_view key) override;
  std::optional<versioned<session_record>> find_session(std::string_view token_hash) override;
  std::vector<versioned<session_record>> sessions_of(const person_id& person) override;
  std::vector<audit_event> audit_events(const audit_query& q) override;
  std::optional<audit_event> audit_tail() override;
  result<commit_receipt> commit(const write_batch& batch) override;

  [[nodiscard]] const std::shared_ptr<calp::storage>& wrapped() const noexcept { return target_; }

 private:
  std::shared_ptr<calp::storage> target_;
};

}  // namespace calp::python
