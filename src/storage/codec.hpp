#pragma once
// How the SQL storages (SQLite, PostgreSQL) turn records into column values and back.
// Written once so that both databases hold the same bytes and a record read back from
// either is equal to the one written.
//
// Households are on the decision path (`find_household` then `decide`), so they use a
// compact binary form that decodes in about a microsecond; the other records are small
// JSON objects, readable by an operator with the database's own tools.
//
// Every decoder throws `calp::storage_error` with `errc::storage_corrupt` when the bytes
// are not what an encoder of this calp wrote: a damaged or tampered row never becomes a
// record.

#include <string>
#include <string_view>

#include "calp/storage.hpp"

namespace calp::detail {

[[nodiscard]] std::string encode_household(const household& h);
[[nodiscard]] household decode_household(std::string_view bytes);

[[nodiscard]] std::string encode_person(const person_record& r);
[[nodiscard]] person_record decode_person(std::string_view json);

[[nodiscard]] std::string encode_account(const account_record& r);
[[nodiscard]] account_record decode_account(std::string_view json);

[[nodiscard]] std::string encode_challenge(const challenge_record& r);
[[nodiscard]] challenge_record decode_challenge(std::string_view json);

[[nodiscard]] std::string encode_throttle(const throttle_record& r);
[[nodiscard]] throttle_record decode_throttle(std::string_view json);

[[nodiscard]] std::string encode_session(const session_record& r);
[[nodiscard]] session_record decode_session(std::string_view json);

// The form an e-mail address is compared in for R14: ASCII letters lower-cased. Only
// ASCII: the domain part is case-insensitive, and folding other letters would need a
// Unicode table the databases do not share. Inline, so that the memory storage (built
// without this codec) compares the very key the SQL storages store.
[[nodiscard]] inline std::string email_key(std::string_view address) {
  std::string key(address);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

}  // namespace calp::detail
