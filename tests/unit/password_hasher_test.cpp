#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "calp/password_hasher.hpp"
#include "calp/secret.hpp"
#include "crypto/secret_wipe_hook.hpp"

namespace {

using calp::password_hash_params;
using calp::password_hasher;
using calp::secret;

const password_hasher& fast() {
  static const password_hasher h{password_hash_params::for_tests()};
  return h;
}

template <class T>
concept streamable = requires(std::ostream& out, const T& value) { out << value; };

// What the wipe observer saw of the last secret released.
std::vector<std::string> observed;

void record(const char* data, std::size_t size) { observed.emplace_back(data, size); }

struct observe_wipes {
  observe_wipes() {
    observed.clear();
    previous = calp::detail::set_secret_wipe_observer(&record);
  }
  ~observe_wipes() { calp::detail::set_secret_wipe_observer(previous); }
  observe_wipes(const observe_wipes&) = delete;
  observe_wipes& operator=(const observe_wipes&) = delete;
  calp::detail::secret_wipe_observer previous;
};

}  // namespace

TEST_CASE("R12 a secret is move-only and never printable nor implicitly converted") {
  static_assert(!std::is_copy_constructible_v<secret>);
  static_assert(!std::is_copy_assignable_v<secret>);
  static_assert(std::is_nothrow_move_constructible_v<secret>);
  static_assert(std::is_nothrow_move_assignable_v<secret>);
  static_assert(!std::is_convertible_v<secret, std::string_view>);
  static_assert(!std::is_convertible_v<secret, std::string>);
  static_assert(!std::is_convertible_v<secret, bool>);
  static_assert(!std::is_convertible_v<std::string_view, secret>);
  static_assert(!streamable<secret>);
  static_assert(!fmt::is_formattable<secret>::value);
  const secret s{"Motdepasse1"};
  CHECK(s.view() == "Motdepasse1");
  CHECK(s.size() == 11);
  CHECK(secret{}.empty());
}

TEST_CASE("R12 a moved-from secret is empty and the moved-to one holds the bytes") {
  secret a{"Motdepasse1"};
  secret b{std::move(a)};
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the state after a move is the point
  CHECK(a.view().empty());
  CHECK(b.view() == "Motdepasse1");
  secret c{"autre"};
  c = std::move(b);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(c.view() == "Motdepasse1");
}

TEST_CASE("R12 a secret's bytes are zeroed before their memory is released") {
  const observe_wipes guard;
  { const secret s{"Motdepasse1"}; }
  REQUIRE(observed.size() == 1);
  CHECK(observed[0] == std::string(11, '\0'));

  observed.clear();
  secret kept{"ancien"};
  kept = secret{"nouveau1"};  // the old bytes are wiped on assignment, the temporary's moved
  REQUIRE(observed.size() == 1);
  CHECK(observed[0] == std::string(6, '\0'));

  observed.clear();
  kept.wipe();
  CHECK(kept.empty());
  REQUIRE(observed.size() == 1);
  CHECK(observed[0] == std::string(8, '\0'));

  observed.clear();
  { secret moved_from{"Code1234"}; secret to{std::move(moved_from)}; }
  CHECK(observed.size() == 1);  // one buffer, wiped once, by its last owner
}

TEST_CASE("R12 secret take copies a string and clears the original") {
  std::string field = "Motdepasse1";
  const secret s = secret::take(field);
  CHECK(s.view() == "Motdepasse1");
  CHECK(field.empty());
}

TEST_CASE("R13 constant_time_equal compares bytes and lengths") {
  CHECK(calp::constant_time_equal("", ""));
  CHECK(calp::constant_time_equal("123456", "123456"));
  CHECK_FALSE(calp::constant_time_equal("123456", "123457"));
  CHECK_FALSE(calp::constant_time_equal("023456", "123456"));
  CHECK_FALSE(calp::constant_time_equal("12345", "123456"));
  CHECK_FALSE(calp::constant_time_equal("123456", ""));
  CHECK(calp::constant_time_equal(std::string_view{"a\0b", 3}, std::string_view{"a\0b", 3}));
  CHECK_FALSE(calp::constant_time_equal(std::string_view{"a\0b", 3}, std::string_view{"a\0c", 3}));
}

TEST_CASE("R12 the interactive preset is at least 19 MiB and 2 passes") {
  const auto p = password_hash_params::interactive();
  CHECK(p.ops_limit >= 2);
  CHECK(p.mem_limit >= 19U * 1024U * 1024U);
  const auto m = password_hash_params::moderate();
  CHECK(m.ops_limit >= p.ops_limit);
  CHECK(m.mem_limit >= p.mem_limit);
  CHECK(password_hash_params::for_tests() != p);
}

TEST_CASE("R12 parameters outside Argon2id's limits are refused") {
  CHECK_THROWS_AS(password_hasher(password_hash_params{0, 64U * 1024U}), std::invalid_argument);
  CHECK_THROWS_AS(password_hasher(password_hash_params{1, 1024U}), std::invalid_argument);
}

TEST_CASE("R12 a password hashes to an Argon2id string that verifies") {
  const secret pw{"Motdepasse1"};
  const auto stored = fast().hash(pw);
  CHECK(stored.starts_with("$argon2id$"));
  CHECK(fast().verify(stored, pw));
  CHECK_FALSE(fast().verify(stored, secret{"Motdepasse2"}));
  CHECK_FALSE(fast().verify(stored, secret{"motdepasse1"}));
  CHECK_FALSE(fast().verify(stored, secret{}));
  CHECK_FALSE(fast().verify(stored, secret{"Motdepasse1 "}));
  const auto empty = fast().hash(secret{});
  CHECK(fast().verify(empty, secret{}));
  CHECK_FALSE(fast().verify(empty, pw));
}

TEST_CASE("R12 two hashes of the same password differ by their salt") {
  const secret pw{"Motdepasse1"};
  const auto a = fast().hash(pw);
  const auto b = fast().hash(pw);
  CHECK(a != b);
  CHECK(fast().verify(a, pw));
  CHECK(fast().verify(b, pw));
}

TEST_CASE("R12 Unicode passwords verify byte for byte") {
  const secret accents{"Éléphant9é"};
  const secret emoji{"Soleil\xF0\x9F\x8C\x9E" "42a"};
  const auto a = fast().hash(accents);
  const auto e = fast().hash(emoji);
  CHECK(fast().verify(a, accents));
  CHECK(fast().verify(e, emoji));
  CHECK_FALSE(fast().verify(a, secret{"Elephant9e"}));
  // The same letter in decomposed form (e + combining acute) is other bytes: calp does
  // not normalize, so the screen must send what the person typed the same way each time.
  CHECK_FALSE(fast().verify(a, secret{"E\xCC\x81le\xCC\x81phant9e\xCC\x81"}));
  CHECK_FALSE(fast().verify(e, accents));
}

TEST_CASE("R12 a malformed stored hash never verifies and never crashes") {
  const secret pw{"Motdepasse1"};
  const auto good = fast().hash(pw);
  std::vector<std::string> bad = {
      "",
      "$",
      "$argon2id$",
      "$argon2id$v=19$",
      "$argon2id$v=19$m=8,t=1,p=1$",
      "$argon2id$v=19$m=8,t=1,p=1$$",
      "not a hash",
      "$2b$10$abcdefghijklmnopqrstuv",
      std::string(200, '$'),
      std::string(5000, 'A'),
      std::string("$argon2id$\0v=19", 15),
      good + "x",
      good + std::string(1, '\0'),
      std::string(good).replace(good.find("argon2id"), 8, "argon2i"),
      std::string(good).replace(good.find("m="), 2, "m=-"),
  };
  for (std::size_t cut = 0; cut < good.size(); ++cut) bad.push_back(good.substr(0, cut));
  for (const auto& stored : bad) {
    CAPTURE(stored);
    CHECK_FALSE(fast().verify(stored, pw));
  }
  // needs_rehash reads only the algorithm and parameters; a damaged salt or digest is
  // verify's business, which comes first at login.
  for (const char* stored : {"", "not a hash", "$argon2id$", "$argon2id$v=19$",
                             "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA"}) {
    CAPTURE(stored);
    CHECK(fast().needs_rehash(stored));
  }
}

TEST_CASE("R12 needs_rehash is true exactly when the preset changed") {
  const secret pw{"Motdepasse1"};
  const auto stored = fast().hash(pw);
  CHECK_FALSE(fast().needs_rehash(stored));
  const auto base = password_hash_params::for_tests();
  const password_hasher more_passes{password_hash_params{base.ops_limit + 1, base.mem_limit}};
  const password_hasher more_memory{password_hash_params{base.ops_limit, base.mem_limit * 2}};
  CHECK(more_passes.needs_rehash(stored));
  CHECK(more_memory.needs_rehash(stored));
  // Rehashing with the new preset: the old hash still verifies, the new one needs nothing.
  CHECK(more_passes.verify(stored, pw));
  const auto rehashed = more_passes.hash(pw);
  CHECK_FALSE(more_passes.needs_rehash(rehashed));
  CHECK(fast().needs_rehash(rehashed));
  CHECK(fast().verify(rehashed, pw));
}

TEST_CASE("R12b verify_nothing spends a verification for an unknown identifier") {
  const password_hasher h{password_hash_params::for_tests()};
  const password_hasher copy = h;  // copies share the lazily made dummy hash
  h.verify_nothing(secret{"Motdepasse1"});
  copy.verify_nothing(secret{""});
  h.verify_nothing(secret{"Motdepasse1"});
  CHECK(true);  // it returns nothing; reaching here without a crash or throw is the check
}
