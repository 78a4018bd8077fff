#include "storage/codec.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace calp::detail {

namespace {

[[noreturn]] void corrupt(std::string_view what) {
  throw storage_error(errc::storage_corrupt, std::string(what));
}

// ---------------------------------------------------------------------------------
// Households: a binary form, read on every decision.
//
// Format 1, every integer little-endian:
//   u8 format (1) | 7 bytes dossier
//   varint member count, then for each member:
//     varint id length, id | u8 role | i32 birth day | u8 has_left [i32 left day]
//     varint benefit count, then for each: varint code length, code | i32 from day |
//       u8 has_until [i32 until day]
//   u8 has_delegation [varint id length, id | i32 granted day | u8 has_revoked
//     [i32 revoked day]]
// and nothing after. Days count from 1970-01-01. The decoder trusts none of it: every
// length is checked against the bytes left, and the result is rebuilt through
// `household::make`, which checks every invariant again.

constexpr std::uint8_t household_format = 1;

// Day counts of the first and last days a date may hold (`min_year`, `max_year`): a
// count outside them is refused before it becomes a date.
constexpr std::int32_t first_day =
    std::chrono::sys_days{std::chrono::year{min_year} / std::chrono::January / 1}
        .time_since_epoch()
        .count();
constexpr std::int32_t last_day =
    std::chrono::sys_days{std::chrono::year{max_year} / std::chrono::December / 31}
        .time_since_epoch()
        .count();

class byte_writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void varint(std::size_t v) {
    while (v >= 0x80) {
      u8(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    u8(static_cast<std::uint8_t>(v));
  }
  void i32(std::int32_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(u >> (8 * i)));
  }
  void day(date d) { i32(std::chrono::sys_days{d}.time_since_epoch().count()); }
  void text(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }
  void raw(std::string_view s) { out_.append(s); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class byte_reader {
 public:
  explicit byte_reader(std::string_view bytes) : in_(bytes) {}

  std::uint8_t u8() {
    if (pos_ >= in_.size()) truncated();
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  bool flag() {
    const std::uint8_t v = u8();
    if (v > 1) corrupt("household record has a flag that is neither 0 nor 1");
    return v == 1;
  }
  // A count or a length: at most 2^28, which no valid household approaches, so the
  // shifts stay in range and a reader never reserves a huge amount.
  std::size_t varint() {
    std::size_t v = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      const std::uint8_t b = u8();
      v |= static_cast<std::size_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    corrupt("household record has a length over its bound");
  }
  std::int32_t i32() {
    std::uint32_t u = 0;
    for (int i = 0; i < 4; ++i) u |= static_cast<std::uint32_t>(u8()) << (8 * i);
    return static_cast<std::int32_t>(u);
  }
  date day() {
    const std::int32_t n = i32();
    if (n < first_day || n > last_day) corrupt("household record has a day out of range");
    return date{std::chrono::sys_days{std::chrono::days{n}}};
  }
  std::string_view bytes(std::size_t n) {
    if (n > in_.size() - pos_) truncated();
    const std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view text() { return bytes(varint()); }
  [[nodiscard]] std::size_t left() const noexcept { return in_.size() - pos_; }

 private:
  [[noreturn]] static void truncated() { corrupt("household record is truncated"); }

  std::string_view in_;
  std::size_t pos_ = 0;
};

std::uint8_t role_byte(member_role r) {
  switch (r) {
    case member_role::allocataire: return 0;
    case member_role::conjoint: return 1;
    case member_role::other: return 2;
  }
  return 2;
}

person_id read_person_id(byte_reader& in) {
  auto id = person_id::parse(in.text());
  if (!id) corrupt("household record has a malformed person id");
  return std::move(*id);
}

}  // namespace

std::string encode_household(const household& h) {
  byte_writer out;
  out.u8(household_format);
  out.raw(h.dossier().str());
  out.varint(h.members().size());
  for (const member& m : h.members()) {
    out.text(m.id.str());
    out.u8(role_byte(m.role));
    out.day(m.birth_date);
    out.u8(m.left ? 1 : 0);
    if (m.left) out.day(*m.left);
    out.varint(m.benefits.size());
    for (const benefit& b : m.benefits) {
      out.text(b.code);
      out.day(b.from);
      out.u8(b.until ? 1 : 0);
      if (b.until) out.day(*b.until);
    }
  }
  const auto& d = h.delegation();
  out.u8(d ? 1 : 0);
  if (d) {
    out.text(d->to.str());
    out.day(d->granted);
    out.u8(d->revoked ? 1 : 0);
    if (d->revoked) out.day(*d->revoked);
  }
  return out.take();
}

household decode_household(std::string_view bytes) {
  byte_reader in(bytes);
  const std::uint8_t format = in.u8();
  if (format != household_format) {
    corrupt(fmt::format("household record has format {}, expected {}", format, household_format));
  }
  auto dossier = dossier_number::parse(in.bytes(7));
  if (!dossier) corrupt("household record has a malformed dossier number");

  // Each member takes at least 9 bytes, each benefit at least 7: a count larger than
  // the bytes left could hold is corrupt, and nothing is reserved for it.
  const std::size_t member_count = in.varint();
  if (member_count > in.left() / 9) corrupt("household record is truncated");
  std::vector<member> members;
  members.reserve(member_count);
  for (std::size_t i = 0; i < member_count; ++i) {
    person_id id = read_person_id(in);
    const std::uint8_t role = in.u8();
    if (role > 2) corrupt("household record has an unknown role");
    const date birth = in.day();
    std::optional<date> left;
    if (in.flag()) left = in.day();
    const std::size_t benefit_count = in.varint();
    if (benefit_count > in.left() / 7) corrupt("household record is truncated");
    std::vector<benefit> benefits;
    benefits.reserve(benefit_count);
    for (std::size_t k = 0; k < benefit_count; ++k) {
      benefit b;
      b.code = std::string(in.text());
      b.from = in.day();
      if (in.flag()) b.until = in.day();
      benefits.push_back(std::move(b));
    }
    members.push_back(member{std::move(id), static_cast<member_role>(role), birth,
                             std::move(benefits), left});
  }
  std::optional<delegation> deleg;
  if (in.flag()) {
    person_id to = read_person_id(in);
    const date granted = in.day();
    std::optional<date> revoked;
    if (in.flag()) revoked = in.day();
    deleg = delegation{std::move(to), granted, revoked};
  }
  if (in.left() != 0) corrupt("household record has bytes after its end");

  // Limits generous enough for anything `make` accepted with the defaults or more.
  household_limits limits;
  limits.max_members = std::numeric_limits<std::size_t>::max();
  limits.max_benefits_per_member = std::numeric_limits<std::size_t>::max();
  auto made = household::make(std::move(*dossier), std::move(members), std::move(deleg), limits);
  if (!made) {
    corrupt(fmt::format("household record breaks an invariant: {}", made.error().message));
  }
  return std::move(*made);
}

// ---------------------------------------------------------------------------------
// The other records: small JSON objects.

namespace {

using json = nlohmann::json;

std::string dump(const json& j) {
  try {
    return j.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    // `write_batch::validate` refuses text that is not UTF-8 before a storage encodes.
    throw storage_error(errc::storage_failure, "a record holds text that is not UTF-8");
  }
}

std::int64_t seconds(timestamp t) { return t.time_since_epoch().count(); }

void put_optional(json& j, const char* name, const std::optional<timestamp>& t) {
  if (t) j[name] = seconds(*t);
}

// Reads one JSON object field by field, then refuses any field it was not asked for:
// a row is exactly what this calp's encoder wrote, or corrupt.
class object_reader {
 public:
  object_reader(const json& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j_.is_object()) fail("is not a JSON object");
  }

  const json* optional(const char* name) {
    const auto it = j_.find(name);
    if (it == j_.end()) return nullptr;
    ++seen_;
    return it->is_null() ? nullptr : &*it;
  }
  const json& required(const char* name) {
    const json* v = optional(name);
    if (!v) fail(fmt::format("has no field `{}`", name));
    return *v;
  }

  std::string string(const char* name) { return as_string(required(name), name); }
  std::optional<std::string> optional_string(const char* name) {
    const json* v = optional(name);
    if (!v) return std::nullopt;
    return as_string(*v, name);
  }
  bool boolean(const char* name) { return as_bool(required(name), name); }
  std::optional<bool> optional_boolean(const char* name) {
    const json* v = optional(name);
    if (!v) return std::nullopt;
    return as_bool(*v, name);
  }
  timestamp time(const char* name) { return as_time(required(name), name); }
  // An element of an array of instants.
  timestamp instant(const json& v) const { return as_time(v, "recent_failures[]"); }
  std::optional<timestamp> optional_time(const char* name) {
    const json* v = optional(name);
    if (!v) return std::nullopt;
    return as_time(*v, name);
  }
  std::uint32_t u32(const char* name) {
    const json& v = required(name);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      fail(fmt::format("field `{}` is not a 32-bit count", name));
    }
    return static_cast<std::uint32_t>(v.get<std::uint64_t>());
  }
  person_id person(const char* name) {
    auto id = person_id::parse(string(name));
    if (!id) fail(fmt::format("field `{}` is not a person id", name));
    return std::move(*id);
  }
  date day(const char* name) {
    auto d = parse_date(string(name));
    if (!d) fail(fmt::format("field `{}` is not a date", name));
    return *d;
  }
  const json& array(const char* name) {
    const json& v = required(name);
    if (!v.is_array()) fail(fmt::format("field `{}` is not an array", name));
    return v;
  }

  // Called last: every field present was read.
  void done() {
    if (seen_ != j_.size()) fail("has a field this calp does not know");
  }

  [[noreturn]] void fail(std::string_view why) const {
    corrupt(fmt::format("{} record {}", what_, why));
  }

 private:
  std::string as_string(const json& v, const char* name) const {
    if (!v.is_string()) fail(fmt::format("field `{}` is not a string", name));
    return v.get<std::string>();
  }
  bool as_bool(const json& v, const char* name) const {
    if (!v.is_boolean()) fail(fmt::format("field `{}` is not a boolean", name));
    return v.get<bool>();
  }
  timestamp as_time(const json& v, const char* name) const {
    if (v.is_number_unsigned()) {
      if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        fail(fmt::format("field `{}` is out of range", name));
      }
    } else if (!v.is_number_integer()) {
      fail(fmt::format("field `{}` is not a number of seconds", name));
    }
    return timestamp{std::chrono::seconds{v.get<std::int64_t>()}};
  }

  const json& j_;
  std::string what_;
  std::size_t seen_ = 0;
};

json parse_object(std::string_view text, const char* what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) corrupt(fmt::format("{} record is not JSON", what));
  return j;
}

template <class Enum, std::size_t N>
Enum enum_from(object_reader& r, const char* name, const Enum (&values)[N]) {
  const std::string s = r.string(name);
  for (Enum v : values) {
    if (to_string(v) == s) return v;
  }
  r.fail(fmt::format("field `{}` has an unknown value", name));
}

constexpr calp::gender genders[] = {calp::gender::female, calp::gender::male};
constexpr account_state account_states[] = {
    account_state::awaiting_first_connection, account_state::first_connection,
    account_state::active, account_state::disabled};
constexpr contact_kind contact_kinds[] = {contact_kind::mobile, contact_kind::email};
constexpr session_kind session_kinds[] = {session_kind::first_connection, session_kind::full};

json civil_status_json(const civil_status& s) {
  json parents = json::array();
  for (const parent_names& p : s.parents) {
    parents.push_back({{"family_name", p.family_name}, {"given_names", p.given_names}});
  }
  return {{"family_name", s.family_name},     {"given_names", s.given_names},
          {"gender", to_string(s.gender)},    {"birth_date", format_date(s.birth_date)},
          {"birth_country", s.birth_country}, {"birth_place", s.birth_place},
          {"birth_city", s.birth_city},       {"parents", std::move(parents)},
          {"postal_code", s.postal_code}};
}

civil_status read_civil_status(const json& j) {
  object_reader r(j, "person civil status");
  civil_status s;
  s.family_name = r.string("family_name");
  s.given_names = r.string("given_names");
  s.gender = enum_from(r, "gender", genders);
  s.birth_date = r.day("birth_date");
  s.birth_country = r.string("birth_country");
  s.birth_place = r.string("birth_place");
  s.birth_city = r.string("birth_city");
  for (const json& p : r.array("parents")) {
    object_reader pr(p, "person parent");
    parent_names names;
    names.family_name = pr.string("family_name");
    names.given_names = pr.string("given_names");
    pr.done();
    s.parents.push_back(std::move(names));
  }
  s.postal_code = r.string("postal_code");
  r.done();
  return s;
}

std::vector<contact_point> read_contacts(const json& contacts) {
  std::vector<contact_point> out;
  for (const json& c : contacts) {
    object_reader cr(c, "account contact");
    contact_point p;
    p.kind = enum_from(cr, "kind", contact_kinds);
    p.value = cr.string("value");
    p.verified_at = cr.optional_time("verified_at");
    cr.done();
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

std::string encode_person(const person_record& r) {
  json j = {{"id", r.id.str()}};
  if (r.nir) j["nir"] = r.nir->str();
  if (r.provisional_id) j["provisional_id"] = r.provisional_id->str();
  put_optional(j, "provisional_valid_until", r.provisional_valid_until);
  if (r.civil_status) j["civil_status"] = civil_status_json(*r.civil_status);
  return dump(j);
}

person_record decode_person(std::string_view text) {
  const json j = parse_object(text, "person");
  object_reader r(j, "person");
  person_record p{.id = r.person("id"),
                  .nir = std::nullopt,
                  .provisional_id = std::nullopt,
                  .provisional_valid_until = std::nullopt,
                  .civil_status = std::nullopt};
  if (auto n = r.optional_string("nir")) {
    auto parsed = nir::parse(*n, nir_profile::lenient);
    // Never the value in the message: it is a NIR.
    if (!parsed) r.fail("field `nir` is not a NIR");
    p.nir = *parsed;
  }
  if (auto id = r.optional_string("provisional_id")) {
    auto parsed = provisional_id::parse(*id);
    if (!parsed) r.fail("field `provisional_id` is not a provisional identifier");
    p.provisional_id = *parsed;
  }
  p.provisional_valid_until = r.optional_time("provisional_valid_until");
  if (const json* s = r.optional("civil_status")) p.civil_status = read_civil_status(*s);
  r.done();
  return p;
}

std::string encode_account(const account_record& r) {
  json contacts = json::array();
  for (const contact_point& c : r.contacts) {
    json cj = {{"kind", to_string(c.kind)}, {"value", c.value}};
    put_optional(cj, "verified_at", c.verified_at);
    contacts.push_back(std::move(cj));
  }
  json j = {{"person", r.person.str()},
            {"state", to_string(r.state)},
            {"password_hash", r.password_hash},
            {"legacy_password_hash", r.legacy_password_hash},
            {"contacts", std::move(contacts)},
            {"civil_status_locked", r.civil_status_locked},
            {"created_at", seconds(r.created_at)}};
  if (r.terms_version) j["terms_version"] = *r.terms_version;
  put_optional(j, "terms_accepted_at", r.terms_accepted_at);
  if (r.franceconnect_sub) j["franceconnect_sub"] = *r.franceconnect_sub;
  if (r.delegation_offer_accepted) j["delegation_offer_accepted"] = *r.delegation_offer_accepted;
  put_optional(j, "password_changed_at", r.password_changed_at);
  return dump(j);
}

account_record decode_account(std::string_view text) {
  const json j = parse_object(text, "account");
  object_reader r(j, "account");
  // Initialisers run in the order written, which is the order fields are read in.
  account_record a{.person = r.person("person"),
                   .state = enum_from(r, "state", account_states),
                   .password_hash = r.string("password_hash"),
                   .legacy_password_hash = r.string("legacy_password_hash"),
                   .terms_version = r.optional_string("terms_version"),
                   .terms_accepted_at = r.optional_time("terms_accepted_at"),
                   .contacts = read_contacts(r.array("contacts")),
                   .franceconnect_sub = r.optional_string("franceconnect_sub"),
                   .delegation_offer_accepted = r.optional_boolean("delegation_offer_accepted"),
                   .civil_status_locked = r.boolean("civil_status_locked"),
                   .created_at = r.time("created_at"),
                   .password_changed_at = r.optional_time("password_changed_at")};
  r.done();
  return a;
}

std::string encode_challenge(const challenge_record& r) {
  json j = {{"key", r.key},
            {"secret_hash", r.secret_hash},
            {"issued_at", seconds(r.issued_at)},
            {"expires_at", seconds(r.expires_at)},
            {"issued_count", r.issued_count},
            {"failed_attempts", r.failed_attempts},
            {"consumed", r.consumed},
            {"payload", r.payload}};
  if (r.person) j["person"] = r.person->str();
  return dump(j);
}

challenge_record decode_challenge(std::string_view text) {
  const json j = parse_object(text, "challenge");
  object_reader r(j, "challenge");
  challenge_record c;
  c.key = r.string("key");
  if (auto person = r.optional_string("person")) {
    auto id = person_id::parse(*person);
    if (!id) r.fail("field `person` is not a person id");
    c.person = std::move(*id);
  }
  c.secret_hash = r.string("secret_hash");
  c.issued_at = r.time("issued_at");
  c.expires_at = r.time("expires_at");
  c.issued_count = r.u32("issued_count");
  c.failed_attempts = r.u32("failed_attempts");
  c.consumed = r.boolean("consumed");
  c.payload = r.string("payload");
  r.done();
  return c;
}

std::string encode_throttle(const throttle_record& r) {
  json j = {{"key", r.key},
            {"consecutive_failures", r.consecutive_failures},
            {"recent_failures", json::array()}};
  for (const timestamp t : r.recent_failures) j["recent_failures"].push_back(seconds(t));
  put_optional(j, "blocked_until", r.blocked_until);
  return dump(j);
}

throttle_record decode_throttle(std::string_view text) {
  const json j = parse_object(text, "throttle");
  object_reader r(j, "throttle");
  throttle_record t;
  t.key = r.string("key");
  t.consecutive_failures = r.u32("consecutive_failures");
  for (const json& at : r.array("recent_failures")) t.recent_failures.push_back(r.instant(at));
  t.blocked_until = r.optional_time("blocked_until");
  r.done();
  return t;
}

std::string encode_session(const session_record& r) {
  return dump({{"token_hash", r.token_hash},
               {"person", r.person.str()},
               {"kind", to_string(r.kind)},
               {"method", r.method},
               {"created_at", seconds(r.created_at)},
               {"last_seen_at", seconds(r.last_seen_at)},
               {"expires_at", seconds(r.expires_at)}});
}

session_record decode_session(std::string_view text) {
  const json j = parse_object(text, "session");
  object_reader r(j, "session");
  session_record s{.token_hash = r.string("token_hash"),
                   .person = r.person("person"),
                   .kind = enum_from(r, "kind", session_kinds),
                   .method = r.string("method"),
                   .created_at = r.time("created_at"),
                   .last_seen_at = r.time("last_seen_at"),
                   .expires_at = r.time("expires_at")};
  r.done();
  return s;
}

}  // namespace calp::detail
