#pragma once
/// \file
/// `calp::testing::failing_storage`: a storage that fails on purpose, to prove that a
/// flow interrupted by an infrastructure failure at any point leaves no half-written
/// state. Header-only; part of `calp::testing`.
///
/// ```cpp
/// calp::memory_storage real;
/// calp::testing::failing_storage store(real);
/// store.fail_on_call(3);          // the third call from now throws
/// run_flow(store);                // throws calp::storage_error (errc::storage_failure)
/// // inspect `real`: it holds the state before or after each commit, never between
/// ```

#include <atomic>
#include <cstdint>
#include <string>

#include "calp/storage.hpp"

namespace calp::testing {

/// Forwards every call to a target storage, counts the calls, and throws
/// `storage_error(errc::storage_failure, …)` instead of forwarding the call chosen with
/// `fail_on_call`. A `commit` that throws here never reaches the target, so it applied
/// nothing, as the contract requires of a failed commit.
///
/// Thread safety: as the target's; the counters are atomic, so the n-th call is well
/// defined even when several threads call at once.
class failing_storage : public storage_wrapper {
 public:
  /// `target` must outlive this object. No failure is armed.
  explicit failing_storage(storage& target) noexcept : storage_wrapper(target) {}

  /// Arms a failure: the `n`-th call counted from now (1: the next one) throws. With
  /// `and_after`, every later call throws too (a database that went away); otherwise
  /// the calls after it are forwarded again (a transient failure). `n == 0` disarms.
  void fail_on_call(std::uint64_t n, bool and_after = false) noexcept {
    fail_at_.store(n == 0 ? 0 : calls_.load() + n);
    and_after_.store(and_after);
  }
  /// No more failures.
  void disarm() noexcept { fail_at_.store(0); }

  /// Calls received since construction, failed ones included.
  [[nodiscard]] std::uint64_t calls() const noexcept { return calls_.load(); }
  /// Calls that threw.
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_.load(); }

  std::optional<versioned<person_record>> find_person(const person_id& id) override {
    tick("find_person");
    return storage_wrapper::find_person(id);
  }
  std::optional<versioned<person_record>> find_person_by_nir(const nir& n) override {
    tick("find_person_by_nir");
    return storage_wrapper::find_person_by_nir(n);
  }
  std::optional<versioned<person_record>> find_person_by_provisional_id(
      const provisional_id& p) override {
    tick("find_person_by_provisional_id");
    return storage_wrapper::find_person_by_provisional_id(p);
  }
  std::vector<versioned<person_record>> find_persons_born_on(date birth_date,
                                                             std::size_t limit) override {
    tick("find_persons_born_on");
    return storage_wrapper::find_persons_born_on(birth_date, limit);
  }
  std::optional<versioned<household>> find_household(const dossier_number& dossier) override {
    tick("find_household");
    return storage_wrapper::find_household(dossier);
  }
  std::vector<dossier_number> households_of(const person_id& person) override {
    tick("households_of");
    return storage_wrapper::households_of(person);
  }
  std::vector<versioned<household>> find_households_of(const person_id& person) override {
    tick("find_households_of");
    return storage_wrapper::find_households_of(person);
  }
  std::optional<versioned<account_record>> find_account(const person_id& person) override {
    tick("find_account");
    return storage_wrapper::find_account(person);
  }
  std::optional<versioned<account_record>> find_account_by_franceconnect_sub(
      std::string_view sub) override {
    tick("find_account_by_franceconnect_sub");
    return storage_wrapper::find_account_by_franceconnect_sub(sub);
  }
  std::optional<versioned<challenge_record>> find_challenge(std::string_view key) override {
    tick("find_challenge");
    return storage_wrapper::find_challenge(key);
  }
  std::optional<versioned<throttle_record>> find_throttle(std::string_view key) override {
    tick("find_throttle");
    return storage_wrapper::find_throttle(key);
  }
  std::optional<versioned<session_record>> find_session(std::string_view token_hash) override {
    tick("find_session");
    return storage_wrapper::find_session(token_hash);
  }
  std::vector<versioned<session_record>> sessions_of(const person_id& person) override {
    tick("sessions_of");
    return storage_wrapper::sessions_of(person);
  }
  std::vector<audit_event> audit_events(const audit_query& q) override {
    tick("audit_events");
    return storage_wrapper::audit_events(q);
  }
  std::optional<audit_event> audit_tail() override {
    tick("audit_tail");
    return storage_wrapper::audit_tail();
  }
  result<commit_receipt> commit(const write_batch& batch) override {
    tick("commit");
    return storage_wrapper::commit(batch);
  }

 private:
  void tick(const char* method) {
    const std::uint64_t n = ++calls_;
    const std::uint64_t at = fail_at_.load();
    if (at != 0 && (n == at || (n > at && and_after_.load()))) {
      ++failures_;
      throw storage_error(errc::storage_failure,
                          std::string("failure injected by the test in call ") +
                              std::to_string(n) + " (" + method + ")");
    }
  }

  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> fail_at_{0};
  std::atomic<bool> and_after_{false};
};

}  // namespace calp::testing
