#pragma once
/// \file
/// Small identifier types: provisional identifier (R3), dossier number, person id in a
/// household document, and the login identifier that is one or the other of a NIR and a
/// provisional identifier (R1). Each holds only a valid, normalised value.

#include <array>
#include <compare>
#include <string>
#include <string_view>
#include <variant>

#include "calp/error.hpp"
#include "calp/nir.hpp"

namespace calp {

/// `P` followed by 8 digits (R3), e.g. `P33392250`. Generation belongs to the account
/// services; this type only parses and formats.
class provisional_id {
 public:
  /// Strips ASCII spaces, no-break spaces, `.` and `-`, upper-cases a leading `p`, then
  /// requires `P` + 8 ASCII digits. Errors: `errc::provisional_id_format`.
  [[nodiscard]] static result<provisional_id> parse(std::string_view input);

  /// The 9-character canonical form.
  [[nodiscard]] std::string_view str() const noexcept { return {chars_.data(), chars_.size()}; }

  friend bool operator==(const provisional_id&, const provisional_id&) = default;
  friend auto operator<=>(const provisional_id&, const provisional_id&) = default;

 private:
  provisional_id() = default;
  std::array<char, 9> chars_{};
};

/// A Caf dossier number (numéro d'allocataire, matricule): 7 ASCII digits, e.g.
/// `1234567`. Not secret, but personal: it identifies a household.
class dossier_number {
 public:
  /// Strips ASCII spaces, then requires exactly 7 ASCII digits.
  /// Errors: `errc::dossier_number_format`.
  [[nodiscard]] static result<dossier_number> parse(std::string_view input);

  [[nodiscard]] std::string_view str() const noexcept { return {chars_.data(), chars_.size()}; }

  friend bool operator==(const dossier_number&, const dossier_number&) = default;
  friend auto operator<=>(const dossier_number&, const dossier_number&) = default;

 private:
  dossier_number() = default;
  std::array<char, 7> chars_{};
};

/// The identifier of a person inside a household document: 1 to 64 characters among
/// ASCII letters, digits, `_`, `-`, `.` and `:` (room for UUIDs and host keys; never a
/// NIR, which must not travel in such documents).
class person_id {
 public:
  static constexpr std::size_t max_length = 64;

  /// Errors: `errc::person_id_format` (empty, too long, or another character).
  [[nodiscard]] static result<person_id> parse(std::string_view input);

  [[nodiscard]] std::string_view str() const noexcept { return value_; }

  friend bool operator==(const person_id&, const person_id&) = default;
  friend auto operator<=>(const person_id&, const person_id&) = default;
  friend bool operator==(const person_id& a, std::string_view b) noexcept { return a.value_ == b; }

 private:
  person_id() = default;
  std::string value_;
};

/// What a person types in the login form (R1): a NIR or a provisional identifier.
class login_identifier {
 public:
  /// A value whose first non-separator character is `P` or `p` is read as a
  /// provisional identifier, anything else as a NIR under `profile`; the errors are
  /// those of the chosen parser.
  [[nodiscard]] static result<login_identifier> parse(std::string_view input,
                                                      nir_profile profile = nir_profile::strict);

  [[nodiscard]] bool is_nir() const noexcept { return std::holds_alternative<nir>(value_); }
  [[nodiscard]] bool is_provisional() const noexcept { return !is_nir(); }
  /// Precondition: `is_nir()`.
  [[nodiscard]] const nir& as_nir() const noexcept { return std::get<nir>(value_); }
  /// Precondition: `is_provisional()`.
  [[nodiscard]] const provisional_id& as_provisional() const noexcept {
    return std::get<provisional_id>(value_);
  }
  /// The canonical form (15 characters for a NIR, 9 for a provisional identifier).
  /// WARNING: a NIR is sensitive; use `masked()` for anything a person or a log sees.
  [[nodiscard]] std::string_view str() const noexcept;
  /// A NIR masked as `nir::masked()`, or the provisional identifier as is.
  [[nodiscard]] std::string masked() const;

  friend bool operator==(const login_identifier&, const login_identifier&) = default;

 private:
  explicit login_identifier(std::variant<nir, provisional_id> v) : value_(std::move(v)) {}
  std::variant<nir, provisional_id> value_;
};

}  // namespace calp
