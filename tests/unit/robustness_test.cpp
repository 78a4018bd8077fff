// Hostile input, generated: mutated households, policies and identifiers must give a
// value or a well-formed error, never a crash, a hang or an exception. Run under the
// sanitizers in CI, this is where memory errors on odd input would show.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>

#include "calp/calp.hpp"
#include "unit/test_support.hpp"

namespace {

// DESIGN.md §3's example household.
std::string valid_household() {
  return calp::testing::read_file(calp::testing::test_data_dir / "corpus/households/design_example.json");
}

// Characters that matter to JSON, dates and identifiers, plus bytes that are not UTF-8.
constexpr std::string_view interesting = "{}[]\",:0123456789-+.eE \\nul\x00\x7f\xc3\xa9\xff\xc0\xe2\x80";

std::string mutate(std::string text, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> op(0, 3);
  const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
    const char c = interesting[std::uniform_int_distribution<std::size_t>(0, interesting.size() - 1)(rng)];
    switch (op(rng)) {
      case 0: text[at] = c; break;
      case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      case 2: text.erase(at, std::uniform_int_distribution<std::size_t>(1, 8)(rng)); break;
      default: text.insert(at, text.substr(at, std::uniform_int_distribution<std::size_t>(1, 40)(rng))); break;
    }
  }
  return text;
}

void check_error(const calp::error& e) {
  CHECK_FALSE(e.message.empty());
  CHECK(calp::to_string(e.code).rfind("calp.", 0) == 0);
  // Messages are bounded whatever the input.
  CHECK(e.message.size() < 600);
  CHECK(e.field.size() < 200);
}

}  // namespace

TEST_CASE("R5 mutated household documents give a household or an error, never a crash") {
  std::mt19937_64 rng(20261128);
  const std::string valid = valid_household();
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto text = mutate(valid, rng);
    const auto h = calp::household::from_json(text);
    if (h) {
      ++accepted;
      // Whatever was accepted writes back to the same household and can be decided on.
      const auto again = calp::household::from_json(h->to_json());
      REQUIRE(again.has_value());
      CHECK(*again == *h);
      for (const auto& m : h->members()) {
        (void)calp::decide(*h, {m.id.str(), calp::action::dossier_read, h->members()[0].birth_date});
      }
    } else {
      check_error(h.error());
    }
  }
  // The mutations are not all fatal: some documents stay valid, so both paths ran.
  CHECK(accepted > 0);
  CHECK(accepted < 20000);
}

TEST_CASE("R5 mutated policy documents load whole or are refused whole") {
  std::mt19937_64 rng(7);
  const std::string valid(calp::policy::caf_default_json());
  for (int i = 0; i < 3000; ++i) {
    const auto p = calp::policy::from_json(mutate(valid, rng));
    if (p) {
      // A policy that loads is complete: its table covers every action.
      CHECK(p->table().find("delegation.manage") != std::string::npos);
    } else {
      check_error(p.error());
    }
  }
}

TEST_CASE("R1 random strings never crash the identifier parsers") {
  std::mt19937_64 rng(42);
  std::size_t valid = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string s(std::uniform_int_distribution<std::size_t>(0, 24)(rng), '\0');
    for (auto& c : s) {
      c = interesting[std::uniform_int_distribution<std::size_t>(0, interesting.size() - 1)(rng)];
    }
    const auto n = calp::nir::parse(s, calp::nir_profile::lenient);
    if (n) {
      ++valid;
      CHECK(n->str().size() == 15);
    } else {
      check_error(n.error());
    }
    for (const auto& r : {calp::provisional_id::parse(s).has_value() ? calp::error{} : calp::provisional_id::parse(s).error(),
                          calp::dossier_number::parse(s).has_value() ? calp::error{} : calp::dossier_number::parse(s).error(),
                          calp::person_id::parse(s).has_value() ? calp::error{} : calp::person_id::parse(s).error()}) {
      if (!r.message.empty()) check_error(r);
    }
    const auto d = calp::parse_date(s);
    if (!d) check_error(d.error());
  }
  CHECK(valid < 50000);
}
