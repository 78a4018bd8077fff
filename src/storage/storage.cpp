#include "calp/storage.hpp"

#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "detail/input_text.hpp"

namespace calp {

std::string_view to_string(calp::gender g) noexcept {
  return g == calp::gender::female ? "female" : "male";
}

std::string_view to_string(account_state s) noexcept {
  switch (s) {
    case account_state::awaiting_first_connection: return "awaiting_first_connection";
    case account_state::first_connection: return "first_connection";
    case account_state::active: return "active";
    case account_state::disabled: return "disabled";
  }
  return "unknown";
}

std::string_view to_string(contact_kind k) noexcept {
  return k == contact_kind::mobile ? "mobile" : "email";
}

std::string_view to_string(session_kind k) noexcept {
  return k == session_kind::first_connection ? "first_connection" : "full";
}

storage_error::storage_error(errc code, const std::string& message)
    : std::runtime_error(fmt::format("{}: {}", to_string(code), message)), code_(code) {}

write_batch& write_batch::put(person_record r, std::uint64_t expected_version) {
  ops_.emplace_back(put_op<person_record>{std::move(r), expected_version});
  return *this;
}
write_batch& write_batch::put(household h, std::uint64_t expected_version) {
  ops_.emplace_back(put_op<household>{std::move(h), expected_version});
  return *this;
}
write_batch& write_batch::put(account_record r, std::uint64_t expected_version) {
  ops_.emplace_back(put_op<account_record>{std::move(r), expected_version});
  return *this;
}
write_batch& write_batch::put(challenge_record r, std::uint64_t expected_version) {
  ops_.emplace_back(put_op<challenge_record>{std::move(r), expected_version});
  return *this;
}
write_batch& write_batch::put(throttle_record r, std::uint64_t expected_version) {
  ops_.emplace_back(put_op<throttle_record>{std::move(r), expected_version});
  return *this;
}
write_batch& write_batch::put(session_record r, std::uint64_t expected_version) {
  ops_.emplace_back(put_op<session_record>{std::move(r), expected_version});
  return *this;
}
write_batch& write_batch::erase_challenge(std::string key, std::uint64_t expected_version) {
  ops_.emplace_back(erase_challenge_op{std::move(key), expected_version});
  return *this;
}
write_batch& write_batch::erase_session(std::string token_hash, std::uint64_t expected_version) {
  ops_.emplace_back(erase_session_op{std::move(token_hash), expected_version});
  return *this;
}
write_batch& write_batch::erase_sessions_of(person_id person) {
  ops_.emplace_back(erase_sessions_of_op{std::move(person)});
  return *this;
}
write_batch& write_batch::append(audit_event event, std::optional<std::uint64_t> after_seq) {
  ops_.emplace_back(append_audit_op{std::move(event), after_seq});
  return *this;
}
write_batch& write_batch::purge_audit(std::uint64_t before_seq) {
  ops_.emplace_back(purge_audit_op{before_seq});
  return *this;
}

namespace {

// Bounds on what one record may hold, so that a database row stays small and a
// runaway caller fails here instead of filling the disk.
constexpr std::size_t max_key_bytes = 256;
constexpr std::size_t max_hash_bytes = 512;
constexpr std::size_t max_text_bytes = 256;
constexpr std::size_t max_payload_bytes = 4096;
constexpr std::size_t max_contacts = 8;
constexpr std::size_t max_parents = 2;

// Checks the fields of one operation; the first problem is reported with its field.
class field_checker {
 public:
  explicit field_checker(std::size_t index) : prefix_(fmt::format("operations[{}]", index)) {}

  // Text a database stores as such: well-formed UTF-8, no NUL (PostgreSQL's text type
  // cannot hold one), at most `max` bytes, and non-empty when `required`.
  void text(std::string_view name, std::string_view value, std::size_t max,
            bool required = false) {
    if (problem_) return;
    if (required && value.empty()) return report(name, "is empty");
    if (value.size() > max) return report(name, fmt::format("is over {} bytes", max));
    for (std::size_t i = 0; i < value.size();) {
      const std::size_t n = detail::utf8_sequence_length(value.substr(i));
      if (n == 0 || value[i] == '\0') return report(name, "is not text (UTF-8, no NUL)");
      i += n;
    }
  }
  void count(std::string_view name, std::size_t n, std::size_t max) {
    if (!problem_ && n > max) report(name, fmt::format("has more than {} entries", max));
  }
  void report(std::string_view name, std::string what) {
    if (problem_) return;
    problem_ = error{errc::storage_invalid,
                     fmt::format("write batch {} {} {}", prefix_, name, what),
                     name.empty() ? prefix_ : fmt::format("{}.{}", prefix_, name)};
  }
  [[nodiscard]] std::optional<error>& problem() { return problem_; }

 private:
  std::string prefix_;
  std::optional<error> problem_;
};

void check(field_checker& c, const person_record& r) {
  if (!r.civil_status) return;
  const civil_status& s = *r.civil_status;
  c.text("civil_status.family_name", s.family_name, max_text_bytes);
  c.text("civil_status.given_names", s.given_names, max_text_bytes);
  c.text("civil_status.birth_country", s.birth_country, 16);
  c.text("civil_status.birth_place", s.birth_place, 16);
  c.text("civil_status.birth_city", s.birth_city, max_text_bytes);
  c.text("civil_status.postal_code", s.postal_code, 16);
  c.count("civil_status.parents", s.parents.size(), max_parents);
  for (const parent_names& p : s.parents) {
    c.text("civil_status.parents.family_name", p.family_name, max_text_bytes);
    c.text("civil_status.parents.given_names", p.given_names, max_text_bytes);
  }
}

void check(field_checker&, const household&) {}

void check(field_checker& c, const account_record& r) {
  c.text("password_hash", r.password_hash, max_hash_bytes);
  c.text("legacy_password_hash", r.legacy_password_hash, max_hash_bytes);
  if (r.terms_version) c.text("terms_version", *r.terms_version, 64, true);
  c.count("contacts", r.contacts.size(), max_contacts);
  for (const contact_point& p : r.contacts) c.text("contacts.value", p.value, 254, true);
  if (r.franceconnect_sub) c.text("franceconnect_sub", *r.franceconnect_sub, max_key_bytes, true);
}

void check(field_checker& c, const challenge_record& r) {
  c.text("key", r.key, max_key_bytes, true);
  c.text("secret_hash", r.secret_hash, max_hash_bytes);
  c.text("payload", r.payload, max_payload_bytes);
}

void check(field_checker& c, const throttle_record& r) {
  c.text("key", r.key, max_key_bytes, true);
  c.count("recent_failures", r.recent_failures.size(), max_throttle_instants);
}

void check(field_checker& c, const session_record& r) {
  c.text("token_hash", r.token_hash, max_key_bytes, true);
  c.text("method", r.method, 64);
}

void check(field_checker& c, const audit_event& e) {
  c.text("event.kind", e.kind, 64, true);
  c.text("event.actor", e.actor, 128);
  c.text("event.subject", e.subject, 128);
  c.text("event.dossier", e.dossier, 16);
  c.text("event.outcome", e.outcome, 64);
  c.text("event.detail", e.detail, max_payload_bytes);
  c.text("event.link", e.link, max_key_bytes);
}

// Which record an operation writes, so that one batch cannot write a record twice: the
// versions it names would then contradict each other.
using record_key = std::pair<int, std::string>;

std::optional<record_key> key_of(const write_batch::operation& op) {
  struct visitor {
    std::optional<record_key> operator()(const write_batch::put_op<person_record>& p) const {
      return record_key{0, std::string(p.record.id.str())};
    }
    std::optional<record_key> operator()(const write_batch::put_op<household>& p) const {
      return record_key{1, std::string(p.record.dossier().str())};
    }
    std::optional<record_key> operator()(const write_batch::put_op<account_record>& p) const {
      return record_key{2, std::string(p.record.person.str())};
    }
    std::optional<record_key> operator()(const write_batch::put_op<challenge_record>& p) const {
      return record_key{3, p.record.key};
    }
    std::optional<record_key> operator()(const write_batch::erase_challenge_op& e) const {
      return record_key{3, e.key};
    }
    std::optional<record_key> operator()(const write_batch::put_op<throttle_record>& p) const {
      return record_key{4, p.record.key};
    }
    std::optional<record_key> operator()(const write_batch::put_op<session_record>& p) const {
      return record_key{5, p.record.token_hash};
    }
    std::optional<record_key> operator()(const write_batch::erase_session_op& e) const {
      return record_key{5, e.token_hash};
    }
    std::optional<record_key> operator()(const write_batch::erase_sessions_of_op&) const {
      return std::nullopt;
    }
    std::optional<record_key> operator()(const write_batch::append_audit_op&) const {
      return std::nullopt;
    }
    std::optional<record_key> operator()(const write_batch::purge_audit_op&) const {
      return std::nullopt;
    }
  };
  return std::visit(visitor{}, op);
}

}  // namespace

result<void> write_batch::validate() const {
  std::set<record_key> written;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    field_checker c(i);
    std::visit(
        [&](const auto& op) {
          using op_type = std::decay_t<decltype(op)>;
          if constexpr (requires { op.record; }) {
            check(c, op.record);
          } else if constexpr (std::is_same_v<op_type, erase_challenge_op>) {
            c.text("key", op.key, max_key_bytes, true);
          } else if constexpr (std::is_same_v<op_type, erase_session_op>) {
            c.text("token_hash", op.token_hash, max_key_bytes, true);
          } else if constexpr (std::is_same_v<op_type, append_audit_op>) {
            check(c, op.event);
          }
        },
        ops_[i]);
    if (auto key = key_of(ops_[i]); key && !written.insert(std::move(*key)).second) {
      c.report("", "writes a record an earlier operation of the batch already writes");
    }
    if (auto& problem = c.problem()) return unexpected<error>{std::move(*problem)};
  }
  return {};
}

std::optional<versioned<person_record>> storage_wrapper::find_person(const person_id& id) {
  return target_->find_person(id);
}
std::optional<versioned<person_record>> storage_wrapper::find_person_by_nir(const nir& n) {
  return target_->find_person_by_nir(n);
}
std::optional<versioned<person_record>> storage_wrapper::find_person_by_provisional_id(
    const provisional_id& p) {
  return target_->find_person_by_provisional_id(p);
}
std::vector<versioned<person_record>> storage_wrapper::find_persons_born_on(date birth_date,
                                                                            std::size_t limit) {
  return target_->find_persons_born_on(birth_date, limit);
}
std::optional<versioned<household>> storage_wrapper::find_household(const dossier_number& dossier) {
  return target_->find_household(dossier);
}
std::vector<dossier_number> storage_wrapper::households_of(const person_id& person) {
  return target_->households_of(person);
}
std::vector<versioned<household>> storage_wrapper::find_households_of(const person_id& person) {
  return target_->find_households_of(person);
}
std::optional<versioned<account_record>> storage_wrapper::find_account(const person_id& person) {
  return target_->find_account(person);
}
std::optional<versioned<account_record>> storage_wrapper::find_account_by_franceconnect_sub(
    std::string_view sub) {
  return target_->find_account_by_franceconnect_sub(sub);
}
std::optional<versioned<challenge_record>> storage_wrapper::find_challenge(std::string_view key) {
  return target_->find_challenge(key);
}
std::optional<versioned<throttle_record>> storage_wrapper::find_throttle(std::string_view key) {
  return target_->find_throttle(key);
}
std::optional<versioned<session_record>> storage_wrapper::find_session(std::string_view token_hash) {
  return target_->find_session(token_hash);
}
std::vector<versioned<session_record>> storage_wrapper::sessions_of(const person_id& person) {
  return target_->sessions_of(person);
}
std::vector<audit_event> storage_wrapper::audit_events(const audit_query& q) {
  return target_->audit_events(q);
}
std::optional<audit_event> storage_wrapper::audit_tail() { return target_->audit_tail(); }
result<commit_receipt> storage_wrapper::commit(const write_batch& batch) {
  return target_->commit(batch);
}

}  // namespace calp
