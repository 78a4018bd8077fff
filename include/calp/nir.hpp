#pragma once
/// \file
/// The NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale"): parsing
/// with normalisation (R1), field checks and key (R2), formatting and masking.
///
/// WARNING: the NIR is sensitive (décret n° 2019-341). Never log it, export it or put it
/// in a URL; show `masked()`. The error messages of this file never contain it whole.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "calp/error.hpp"

namespace calp {

/// Which sex digits are accepted. `strict`: `1`, `2` (certified NIR). `lenient` adds
/// `3`, `4`, `7`, `8` (numbers of persons being registered); the key rule is the same.
enum class nir_profile { strict, lenient };

/// What the month field of a NIR says about the birth month (R2).
enum class nir_month_kind {
  calendar,           ///< `01`–`12`: the birth month
  unknown,            ///< `20`–`30`, `50`–`99`: the civil-status record had no month
  pseudo_fictitious,  ///< `31`–`42`: the birth month is `month - 30`
};

/// A NIR that passed every check of its profile: 15 characters, upper case, no
/// separators. Cheap to copy; no heap allocation.
class nir {
 public:
  /// Normalises `input` (strips ASCII spaces, U+00A0 and U+202F no-break spaces, `.`
  /// and `-`; upper-cases `a`/`b`), then checks, in this order and reporting the first failure:
  /// length (`errc::nir_length`), characters (`errc::nir_character`: only ASCII digits,
  /// and `2A`/`2B` at positions 6–7), sex (`errc::nir_sex`), month (`errc::nir_month`),
  /// department (`errc::nir_department`), order (`errc::nir_order`), key
  /// (`errc::nir_key`). Never throws for any input other than on allocation failure.
  [[nodiscard]] static result<nir> parse(std::string_view input,
                                         nir_profile profile = nir_profile::strict);

  /// The key of a 13-character body (digits, `2A`/`2B` allowed at positions 6–7):
  /// `97 - (body mod 97)`, 1 to 97, with `2A` read as `19` and `2B` as `18`. The body is
  /// normalised as by `parse` first, so `2 84 05 2a 321 025` gives 52.
  /// Errors: `errc::nir_length`, `errc::nir_character`.
  [[nodiscard]] static result<int> compute_key(std::string_view body13);

  /// The canonical 15 characters. WARNING: sensitive.
  [[nodiscard]] std::string_view str() const noexcept { return {chars_.data(), chars_.size()}; }
  /// Grouped for reading: `2 84 05 2A 321 025 52`. WARNING: sensitive.
  [[nodiscard]] std::string formatted() const;
  /// Safe to show and log: sex, year, month and key only, `2 84 05 ** *** *** 52`.
  [[nodiscard]] std::string masked() const;

  [[nodiscard]] char sex_digit() const noexcept { return chars_[0]; }
  /// Two-digit year of birth, 0–99; the century is not in the NIR.
  [[nodiscard]] int year_of_birth() const noexcept;
  /// The month field as written, 1–99.
  [[nodiscard]] int month_field() const noexcept;
  [[nodiscard]] nir_month_kind month_kind() const noexcept;
  /// The birth month 1–12 when the NIR states it (`calendar` or `pseudo_fictitious`),
  /// else 0.
  [[nodiscard]] int birth_month() const noexcept;
  /// `01`–`99`, `2A` or `2B`.
  [[nodiscard]] std::string_view department() const noexcept { return {chars_.data() + 5, 2}; }
  [[nodiscard]] bool born_abroad() const noexcept { return department() == "99"; }
  /// Positions 8–10: commune, or overseas digit and commune, or country code when born
  /// abroad.
  [[nodiscard]] std::string_view commune() const noexcept { return {chars_.data() + 7, 3}; }
  [[nodiscard]] int order() const noexcept;
  [[nodiscard]] int key() const noexcept;

  friend bool operator==(const nir&, const nir&) = default;
  friend auto operator<=>(const nir&, const nir&) = default;

 private:
  nir() = default;
  std::array<char, 15> chars_{};
};

}  // namespace calp
