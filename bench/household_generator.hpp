#pragma once
// Generates households in the interchange format, deterministically from a seed: the
// same data set for every benchmark and on every standard library.

#include <array>
#include <calp/calp.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace calp_bench {

// Deterministic generation. Uniform draws are done by hand (not with
// std::uniform_int_distribution) so the data set is the same with any standard library.

using rng_type = std::mt19937_64;

inline std::uint64_t uniform(rng_type& rng, std::uint64_t lo, std::uint64_t hi) {
  return lo + rng() % (hi - lo + 1);
}

inline bool chance(rng_type& rng, unsigned per_thousand) { return rng() % 1000 < per_thousand; }

constexpr calp::date ymd(int y, unsigned m, unsigned d) {
  return calp::date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

inline calp::date day_between(rng_type& rng, calp::date lo, calp::date hi) {
  const auto first = std::chrono::sys_days{lo};
  const auto span = (std::chrono::sys_days{hi} - first).count();
  return calp::date{first + std::chrono::days{static_cast<int>(
                                uniform(rng, 0, static_cast<std::uint64_t>(span)))}};
}

inline void append_date(std::string& out, calp::date d) {
  char buf[16];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                              static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  out.append(buf, static_cast<std::size_t>(n));
}

inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ptr);
}

struct benefit_spec {
  std::string_view code;
  calp::date from;
  std::optional<calp::date> until;
};

constexpr std::array<std::string_view, 4> personal_codes = {"AAH", "AJPA", "BAFA", "PALA"};
constexpr std::array<std::string_view, 7> family_codes = {"AF",   "APL", "RSA", "ALS",
                                                          "PAJE", "CF",  "ARS"};

inline benefit_spec random_benefit(rng_type& rng, std::string_view code) {
  benefit_spec b{code, day_between(rng, ymd(2012, 1, 1), ymd(2029, 12, 31)), std::nullopt};
  // Half of the benefits have ended or will end, some on the day they started.
  if (chance(rng, 500)) b.until = day_between(rng, b.from, ymd(2031, 12, 31));
  return b;
}

inline void append_member(std::string& out, std::uint64_t household, unsigned index, std::string_view role,
                   calp::date birth, const std::vector<benefit_spec>& benefits,
                   std::optional<calp::date> left) {
  if (index > 1) out += ",\n    ";
  out += R"({"id": "h)";
  append_uint(out, household);
  out += "-p";
  append_uint(out, index);
  out += R"(", "role": ")";
  out += role;
  out += R"(", "birth_date": ")";
  append_date(out, birth);
  out += '"';
  if (!benefits.empty()) {
    out += R"(, "benefits": [)";
    for (std::size_t i = 0; i < benefits.size(); ++i) {
      if (i > 0) out += ", ";
      out += R"({"code": ")";
      out += benefits[i].code;
      out += R"(", "from": ")";
      append_date(out, benefits[i].from);
      out += R"(", "until": )";
      if (benefits[i].until) {
        out += '"';
        append_date(out, *benefits[i].until);
        out += '"';
      } else {
        out += "null";
      }
      out += '}';
    }
    out += ']';
  }
  if (left) {
    out += R"(, "left": ")";
    append_date(out, *left);
    out += '"';
  }
  out += '}';
}

// One household document in the interchange format of DESIGN.md §3. The mix: an
// allocataire alone (45 %) or in a couple (55 %); 0 to 4 children born 1998-2025, 4 %
// of them on a 29 February; a grandparent now and then; family benefits; a quarter of
// the conjoints holding AAH, AJPA, BAFA or PALA over a date range; a délégation in 30 %
// of couples, a third of them revoked; conjoints and children who left.
inline std::string household_json(rng_type& rng, std::uint64_t index) {
  std::string out;
  out.reserve(768);
  out += R"({"dossier": ")";
  char dossier[16];
  std::snprintf(dossier, sizeof dossier, "%07llu",
                static_cast<unsigned long long>(index % 10'000'000));
  out += dossier;
  out += R"(",
  "members": [
    )";
  unsigned next = 1;

  const calp::date allocataire_birth = day_between(rng, ymd(1950, 1, 1), ymd(2003, 12, 31));
  std::vector<benefit_spec> benefits;
  if (chance(rng, 600)) {
    const auto n = uniform(rng, 1, 2);
    for (std::uint64_t i = 0; i < n; ++i) {
      benefits.push_back(
          random_benefit(rng, family_codes[uniform(rng, 0, family_codes.size() - 1)]));
    }
  }
  if (chance(rng, 50)) benefits.push_back(random_benefit(rng, "AAH"));
  append_member(out, index, next++, "allocataire", allocataire_birth, benefits, std::nullopt);

  const bool couple = chance(rng, 550);
  unsigned conjoint_index = 0;
  if (couple) {
    conjoint_index = next++;
    const auto conjoint_birth = day_between(
        rng, calp::date{std::chrono::sys_days{allocataire_birth} - std::chrono::days{8 * 365}},
        calp::date{std::chrono::sys_days{allocataire_birth} + std::chrono::days{8 * 365}});
    benefits.clear();
    if (chance(rng, 250)) {
      benefits.push_back(
          random_benefit(rng, personal_codes[uniform(rng, 0, personal_codes.size() - 1)]));
      if (chance(rng, 200)) {
        benefits.push_back(
            random_benefit(rng, personal_codes[uniform(rng, 0, personal_codes.size() - 1)]));
      }
    }
    if (chance(rng, 150)) benefits.push_back(random_benefit(rng, "APL"));
    std::optional<calp::date> left;
    if (chance(rng, 100)) left = day_between(rng, ymd(2020, 1, 1), ymd(2030, 12, 31));
    append_member(out, index, conjoint_index, "conjoint", conjoint_birth, benefits, left);
  }

  // Number of children: 0 (30 %), 1 (25 %), 2 (25 %), 3 (13 %), 4 (7 %).
  const auto roll = uniform(rng, 0, 99);
  const unsigned children = roll < 30 ? 0 : roll < 55 ? 1 : roll < 80 ? 2 : roll < 93 ? 3 : 4;
  benefits.clear();
  for (unsigned c = 0; c < children; ++c) {
    calp::date birth = day_between(rng, ymd(1998, 1, 1), ymd(2025, 12, 31));
    if (chance(rng, 40)) birth = ymd(2000 + 4 * static_cast<int>(uniform(rng, 0, 6)), 2, 29);
    std::optional<calp::date> left;
    if (birth < ymd(2008, 1, 1) && chance(rng, 250)) {
      left = day_between(rng, ymd(2020, 1, 1), ymd(2030, 12, 31));
    }
    append_member(out, index, next++, "other", birth, benefits, left);
  }
  if (chance(rng, 30)) {
    append_member(out, index, next++, "other", day_between(rng, ymd(1935, 1, 1), ymd(1960, 12, 31)),
                  benefits, std::nullopt);
  }
  out += "\n  ]";

  if (couple && chance(rng, 300)) {
    const auto granted = day_between(rng, ymd(2018, 1, 1), ymd(2029, 12, 31));
    out += R"(,
  "delegation": {"to": "h)";
    append_uint(out, index);
    out += "-p";
    append_uint(out, conjoint_index);
    out += R"(", "granted": ")";
    append_date(out, granted);
    out += R"(", "revoked": )";
    if (chance(rng, 350)) {
      out += '"';
      append_date(out, day_between(rng, granted, ymd(2031, 12, 31)));
      out += '"';
    } else {
      out += "null";
    }
    out += '}';
  }
  out += "\n}\n";
  return out;
}

}  // namespace calp_bench
