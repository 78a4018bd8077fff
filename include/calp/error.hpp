#pragma once
/// \file
/// Errors for expected failures (bad input, limits) and `calp::result<T>`, a small
/// stand-in for C++23 `std::expected<T, calp::error>` with the same member names.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace calp {

/// Stable error codes. Their string form (`to_string`) never changes once released:
/// hosts, logs and the Python bindings match on it.
enum class errc : std::uint16_t {
  // identifiers (R1–R3)
  nir_length,          ///< "calp.nir.length"
  nir_character,       ///< "calp.nir.character"
  nir_sex,             ///< "calp.nir.sex"
  nir_month,           ///< "calp.nir.month"
  nir_department,      ///< "calp.nir.department"
  nir_order,           ///< "calp.nir.order"
  nir_key,             ///< "calp.nir.key"
  provisional_id_format,  ///< "calp.provisional_id.format"
  dossier_number_format,  ///< "calp.dossier_number.format"
  person_id_format,       ///< "calp.person_id.format"
  date_format,            ///< "calp.date.format": not `YYYY-MM-DD`, or no such day
  // JSON documents (households, policies, requests)
  json_too_large,      ///< "calp.json.too_large"
  json_too_deep,       ///< "calp.json.too_deep"
  json_syntax,         ///< "calp.json.syntax": malformed JSON or invalid UTF-8
  json_type,           ///< "calp.json.type": a field has the wrong JSON type
  json_missing_field,  ///< "calp.json.missing_field"
  json_unknown_field,  ///< "calp.json.unknown_field"
  json_too_long,       ///< "calp.json.too_long": a string or array over its bound
  // household facts (R5–R10)
  household_role,            ///< "calp.household.role": unknown role name
  household_duplicate_id,    ///< "calp.household.duplicate_id"
  household_allocataire,     ///< "calp.household.allocataire": none, or more than one
  household_conjoint,        ///< "calp.household.conjoint": more than one
  household_delegation,      ///< "calp.household.delegation": not to the conjoint
  household_date_order,      ///< "calp.household.date_order": an end before its start
  household_benefit_code,    ///< "calp.household.benefit_code"
  // policy and requests
  action_unknown,       ///< "calp.action.unknown"
  channel_unknown,      ///< "calp.channel.unknown"
  policy_invalid,       ///< "calp.policy.invalid": a policy document breaks its schema
  request_invalid,      ///< "calp.request.invalid": a decision request is incomplete
  // storage (DESIGN.md §5): returned by `storage::commit`
  storage_conflict,   ///< "calp.storage.conflict": a stale or clashing version; read again
  storage_duplicate,  ///< "calp.storage.duplicate": a NIR, provisional id, e-mail (R14), FranceConnect sub already used
  storage_invalid,    ///< "calp.storage.invalid": a malformed write batch
  // storage: thrown in a `storage_error`
  storage_location,     ///< "calp.storage.location": a location or URI that names no storage
  storage_unavailable,  ///< "calp.storage.unavailable": cannot connect, open or lock
  storage_corrupt,      ///< "calp.storage.corrupt": not a calp database, or damaged
  storage_schema,       ///< "calp.storage.schema": written by a newer calp; left untouched
  storage_failure,      ///< "calp.storage.failure": any other failure of the database
  // verification codes (R13)
  code_limit,  ///< "calp.code.limit": the codes allowed under one contact point were all issued
  code_key,    ///< "calp.code.key": a server code key that is not 32 bytes (64 hex digits)
  // audit trail (R19)
  audit_key,  ///< "calp.audit.key": an audit key that is not 32 bytes (64 hex digits)
  audit_invalid,  ///< "calp.audit.invalid": a purge date or query the trail cannot take
  // contact points (R13, R14)
  contact_mobile,  ///< "calp.contact.mobile": not a French mobile number (06/07, +33 6/7)
  contact_email,   ///< "calp.contact.email": not an e-mail address calp can send to
  // accounts: mistakes of the host or the front desk, never of the person
  account_unknown,  ///< "calp.account.unknown": no such person or account
  account_state,    ///< "calp.account.state": the account is not in a state that allows this
  // civil status of a primo-demandeur (R4, R15)
  civil_status_name,         ///< "calp.civil_status.name": a name breaks the name rule
  civil_status_date,         ///< "calp.civil_status.date": no such day, in the future, or before 1900
  civil_status_birth_place,  ///< "calp.civil_status.birth_place": country, commune or city of birth
  civil_status_parents,      ///< "calp.civil_status.parents": born abroad without both parents' names (R4)
  civil_status_postal_code,  ///< "calp.civil_status.postal_code": not 5 digits
};

/// The stable string id of a code, e.g. `"calp.nir.key"`.
[[nodiscard]] std::string_view to_string(errc code) noexcept;

/// An expected failure: a stable code, a message for a developer or an agent
/// (lower-case, no final period, user input in backticks, never a full NIR nor a
/// secret), and, for documents, the path of the offending field (`members[1].role`).
struct error {
  errc code;
  std::string message;
  std::string field = {};
};

/// Thrown by `result::value()` when the result holds an error; carries that error.
class bad_result_access : public std::runtime_error {
 public:
  explicit bad_result_access(calp::error e);
  [[nodiscard]] const calp::error& error() const noexcept { return error_; }

 private:
  calp::error error_;
};

/// Wraps an error to build a failed `result`, as `std::unexpected` does.
template <class E>
class unexpected {
 public:
  explicit unexpected(E e) : error_(std::move(e)) {}
  [[nodiscard]] const E& error() const& noexcept { return error_; }
  [[nodiscard]] E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

/// Shorthand for `unexpected<error>{error{code, message, field}}`.
[[nodiscard]] inline unexpected<error> fail(errc code, std::string message,
                                            std::string field = {}) {
  return unexpected<error>{error{code, std::move(message), std::move(field)}};
}

/// Either a value or a `calp::error`. Member names follow `std::expected`, so this
/// can become an alias once the toolchain allows.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, calp::error>);

 public:
  using value_type = T;
  using error_type = calp::error;

  result(const T& v) : state_(std::in_place_index<0>, v) {}
  result(T&& v) : state_(std::in_place_index<0>, std::move(v)) {}
  result(unexpected<calp::error> e) : state_(std::in_place_index<1>, std::move(e).error()) {}

  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] T& value() & { check(); return std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { check(); return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { check(); return std::get<0>(std::move(state_)); }

  /// Precondition: `!has_value()` (checked: a misuse terminates).
  [[nodiscard]] const calp::error& error() const& noexcept { return std::get<1>(state_); }
  [[nodiscard]] calp::error&& error() && noexcept { return std::get<1>(std::move(state_)); }

  /// Precondition: `has_value()` (checked: a misuse terminates).
  [[nodiscard]] T& operator*() & noexcept { return std::get<0>(state_); }
  [[nodiscard]] const T& operator*() const& noexcept { return std::get<0>(state_); }
  [[nodiscard]] T&& operator*() && noexcept { return std::get<0>(std::move(state_)); }
  [[nodiscard]] T* operator->() noexcept { return &std::get<0>(state_); }
  [[nodiscard]] const T* operator->() const noexcept { return &std::get<0>(state_); }

  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const {
    if (!has_value()) throw bad_result_access(*std::get_if<1>(&state_));
  }
  std::variant<T, calp::error> state_;
};

/// A result that carries no value on success.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  using error_type = calp::error;

  result() = default;
  result(unexpected<calp::error> e) : error_(std::move(e).error()), failed_(true) {}

  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (failed_) throw bad_result_access(error_);
  }
  /// Precondition: `!has_value()`.
  [[nodiscard]] const calp::error& error() const& noexcept { return error_; }

 private:
  calp::error error_{};
  bool failed_ = false;
};

}  // namespace calp
