#include "calp/storage/postgres.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <span>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "calp/audit.hpp"
#include "detail/input_text.hpp"
#include "storage/codec.hpp"
#include "storage/postgres/libpq.hpp"
#include "storage/postgres/pool.hpp"
#include "storage/postgres/schema.hpp"

namespace calp {

namespace {

using detail::pg::connection;
using detail::pg::params;
using detail::pg::rows;
using detail::pg::statement_error;
using detail::pg::stmt;

constexpr std::size_t max_key_bytes = 256;

// FNV-1a: a stable hash of the schema name, for advisory lock keys (never for security).
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A key a read is given may be anything; one that no write could have stored (empty,
// too long, not UTF-8, NUL) is simply absent, rather than an error from the server.
bool storable(std::string_view key) {
  if (key.empty() || key.size() > max_key_bytes) return false;
  for (std::size_t i = 0; i < key.size();) {
    const std::size_t n = detail::utf8_sequence_length(key.substr(i));
    if (n == 0 || key[i] == '\0') return false;
    i += n;
  }
  return true;
}

// Versions are stored as `bigint`; one above its range can match no row.
std::int64_t db_version(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? -1
             : static_cast<std::int64_t>(v);
}

std::int64_t clamp_to_bigint(std::uint64_t v) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(v, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

std::uint64_t version_at(const rows& r, int row, int column) {
  const std::int64_t v = r.int8(row, column);
  if (v <= 0) throw storage_error(errc::storage_corrupt, "a PostgreSQL row has no valid version");
  return static_cast<std::uint64_t>(v);
}

template <class T>
using decoder = T (*)(std::string_view);

template <class T>
std::optional<versioned<T>> first_record(const rows& r, decoder<T> decode) {
  if (r.empty()) return std::nullopt;
  return versioned<T>{decode(r.bytes(0, 0)), version_at(r, 0, 1)};
}

template <class T>
std::vector<versioned<T>> all_records(const rows& r, decoder<T> decode) {
  std::vector<versioned<T>> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back({decode(r.bytes(i, 0)), version_at(r, i, 1)});
  return out;
}

// The household in row `i`, which must be the one stored under `dossier`: a body found
// under another key (moved by hand, a damaged restore) never answers for that dossier.
versioned<household> household_at(const rows& r, int i, std::string_view dossier) {
  household h = detail::decode_household(r.bytes(i, 0));
  if (h.dossier().str() != dossier) {
    throw storage_error(errc::storage_corrupt, "a PostgreSQL household row holds another dossier");
  }
  return {std::move(h), version_at(r, i, 1)};
}

audit_event audit_at(const rows& r, int i) {
  audit_event e;
  e.seq = static_cast<std::uint64_t>(r.int8(i, 0));
  e.at = timestamp(std::chrono::seconds(r.int8(i, 1)));
  e.kind = r.bytes(i, 2);
  e.actor = r.bytes(i, 3);
  e.subject = r.bytes(i, 4);
  e.dossier = r.bytes(i, 5);
  e.outcome = r.bytes(i, 6);
  e.detail = r.bytes(i, 7);
  e.link = r.bytes(i, 8);
  return e;
}

std::string op_field(std::size_t i, std::string_view member = {}) {
  return member.empty() ? fmt::format("operations[{}]", i)
                        : fmt::format("operations[{}].{}", i, member);
}

unexpected<error> conflict(std::size_t i, std::string message) {
  return unexpected<error>{error{errc::storage_conflict, std::move(message), op_field(i)}};
}

unexpected<error> duplicate(std::size_t i, std::string_view member, std::string message) {
  return unexpected<error>{error{errc::storage_duplicate, std::move(message), op_field(i, member)}};
}

bool is_retryable_conflict(const statement_error& e) {
  // serialization_failure, deadlock_detected: the server chose this transaction to fail
  // so another could proceed; reading again and retrying is the answer.
  return e.sqlstate() == "40001" || e.sqlstate() == "40P01";
}

// Rolls back the open transaction unless disarmed (after COMMIT). A failure to roll back
// leaves the connection inside a transaction or broken, and the pool then closes it.
class rollback_guard {
 public:
  explicit rollback_guard(connection& c) noexcept : c_(c) {}
  rollback_guard(const rollback_guard&) = delete;
  rollback_guard& operator=(const rollback_guard&) = delete;
  ~rollback_guard() {
    if (armed_ && !c_.broken()) {
      try {
        (void)c_.run("ROLLBACK");
      } catch (...) {  // NOLINT(bugprone-empty-catch): the pool discards the connection
      }
    }
  }
  void disarm() noexcept { armed_ = false; }

 private:
  connection& c_;
  bool armed_ = true;
};

}  // namespace

// ---------------------------------------------------------------------------------------

class postgres_storage::impl {
 public:
  explicit impl(postgres_options options)
      : schema_(std::move(options.schema)),
        audit_key_(std::move(options.audit_key)),
        target_(options.uri, options.connect_timeout),
        pool_size_(options.pool_size),
        pool_(target_, options.pool_size),
        lock_class_(static_cast<std::int64_t>(
            static_cast<std::int32_t>(static_cast<std::uint32_t>(fnv1a("calp.persons:" + schema_))))) {
    statements_.reserve(static_cast<std::size_t>(stmt::count_));
    for (int i = 0; i < static_cast<int>(stmt::count_); ++i) {
      statements_.push_back({i, detail::pg::qualify(detail::pg::statement_sql(static_cast<stmt>(i)),
                                                    schema_)});
    }
    open_schema();
  }

  const std::string& schema() const noexcept { return schema_; }

  // Runs `f(connection&)` on a pooled connection. A connection the server closed while
  // it sat in the pool is replaced and `f` run again: nothing was done on it.
  template <class F>
  auto with_connection(std::string_view doing, F&& f) {
    for (std::size_t attempt = 0;; ++attempt) {
      auto lease = pool_.acquire();
      try {
        return f(*lease);
      } catch (const statement_error& e) {
        if (e.connection_lost() && lease.reused() && attempt < pool_size_) {
          lease.discard();
          continue;
        }
        throw to_storage_error(e, doing);
      }
    }
  }

  rows run(connection& c, stmt s, const params& p) {
    return c.run(statements_[static_cast<std::size_t>(s)], p);
  }

  // One read statement.
  rows read(std::string_view doing, stmt s, const params& p) {
    return with_connection(doing, [&](connection& c) { return run(c, s, p); });
  }

  // The record statement `s` (`SELECT body, version … WHERE key = $1`) finds under `key`.
  template <class T>
  std::optional<versioned<T>> find(std::string_view doing, stmt s, std::string_view key,
                                   decoder<T> decode) {
    params p;
    p.text(key);
    return first_record(read(doing, s, p), decode);
  }

  storage_error to_storage_error(const statement_error& e, std::string_view doing) const {
    const std::string& state = e.sqlstate();
    errc code = errc::storage_failure;
    if (e.connection_lost() || state.starts_with("08") || state.starts_with("57P") ||
        state.starts_with("53")) {
      code = errc::storage_unavailable;  // connection, shutdown, disk full, out of memory
    } else if (state == "3F000" || state == "42P01" || state == "42703") {
      code = errc::storage_corrupt;  // schema, table or column missing: not calp's schema
    }
    return storage_error(code, fmt::format("PostgreSQL schema `{}`, {}: {}", schema_, doing,
                                           target_.scrub(e.message())));
  }

  result<commit_receipt> commit(const write_batch& batch);

 private:
  void open_schema();

  std::string schema_;
  std::shared_ptr<const audit_key> audit_key_;
  detail::pg::target target_;
  std::size_t pool_size_;
  detail::pg::pool pool_;
  std::int64_t lock_class_;
  std::vector<detail::pg::statement> statements_;

  class batch_runner;
};

// ---------------------------------------------------------------------------------------
// Opening: create or migrate the schema, in one transaction, under an advisory lock so
// that processes opening the same schema at once take turns.

void postgres_storage::impl::open_schema() {
  constexpr int latest = static_cast<int>(detail::pg::migrations.size());
  with_connection("setting up the schema", [&](connection& c) {
    (void)c.run("BEGIN");
    rollback_guard guard(c);
    params key;
    key.int8(static_cast<std::int64_t>(fnv1a("calp.schema:" + schema_)));
    (void)c.run("SELECT pg_advisory_xact_lock($1::bigint)", key);

    params name;
    name.text(schema_);
    const rows found = c.run(
        "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = $1::text)::bigint, "
        "(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        " WHERE n.nspname = $1::text)::bigint, "
        "(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        " WHERE n.nspname = $1::text AND c.relname = 'schema_info' AND c.relkind = 'r')::bigint",
        name);
    const bool schema_exists = found.int8(0, 0) > 0;
    const bool has_relations = found.int8(0, 1) > 0;
    const bool has_info = found.int8(0, 2) > 0;

    int version = 0;
    if (has_info) {
      const rows v = c.run(detail::pg::qualify("SELECT version::bigint FROM @.schema_info", schema_)
                               .c_str(),
                           params{});
      if (v.size() != 1 || v.is_null(0, 0) || v.int8(0, 0) < 1) {
        throw storage_error(errc::storage_corrupt,
                            fmt::format("PostgreSQL schema `{}` has no valid schema version", schema_));
      }
      if (v.int8(0, 0) > latest) {
        throw storage_error(
            errc::storage_schema,
            fmt::format("PostgreSQL schema `{}` is at version {}, written by a newer calp; this "
                        "calp knows versions up to {} and left it untouched",
                        schema_, v.int8(0, 0), latest));
      }
      version = static_cast<int>(v.int8(0, 0));
    } else if (has_relations) {
      throw storage_error(errc::storage_corrupt,
                          fmt::format("PostgreSQL schema `{}` holds tables that are not calp's; "
                                      "choose another schema",
                                      schema_));
    } else if (!schema_exists) {
      (void)c.run(detail::pg::qualify("CREATE SCHEMA @", schema_).c_str());
    }
    if (version < latest) {
      for (int v = version; v < latest; ++v) {
        (void)c.run(detail::pg::qualify(detail::pg::migrations[static_cast<std::size_t>(v)], schema_)
                        .c_str());
      }
      params to;
      to.int8(latest);
      (void)c.run(detail::pg::qualify(version == 0
                                          ? "INSERT INTO @.schema_info (version) VALUES ($1::bigint)"
                                          : "UPDATE @.schema_info SET version = $1::bigint",
                                      schema_)
                      .c_str(),
                  to);
    }
    if (c.run("COMMIT") != "COMMIT") {
      throw storage_error(errc::storage_failure,
                          fmt::format("PostgreSQL schema `{}` could not be set up", schema_));
    }
    guard.disarm();
  });
}

// ---------------------------------------------------------------------------------------
// Commit

// Runs one batch in one transaction on one connection: first the advisory locks the
// uniqueness checks need, then every write, then the uniqueness checks on the state the
// whole batch leaves, then COMMIT.
class postgres_storage::impl::batch_runner {
 public:
  batch_runner(impl& s, connection& c, const write_batch& batch)
      : s_(s), c_(c), ops_(batch.operations()) {}

  result<commit_receipt> run() {
    (void)c_.run("BEGIN ISOLATION LEVEL READ COMMITTED");
    rollback_guard guard(c_);
    if (result<void> locked = attempt([&] {
          lock_keys();
          return result<void>{};
        });
        !locked) {
      return unexpected<error>{locked.error()};
    }
    for (index_ = 0; index_ < ops_.size(); ++index_) {
      result<void> applied = attempt([&] {
        return std::visit([&](const auto& op) { return apply(op); }, ops_[index_]);
      });
      if (!applied) return unexpected<error>{applied.error()};
    }
    for (index_ = 0; index_ < ops_.size(); ++index_) {
      result<void> checked = attempt([&] {
        return std::visit([&](const auto& op) { return check(op); }, ops_[index_]);
      });
      if (!checked) return unexpected<error>{checked.error()};
    }
    try {
      if (c_.run("COMMIT") != "COMMIT") {
        throw storage_error(errc::storage_failure, "PostgreSQL rolled the transaction back");
      }
    } catch (const statement_error& e) {
      if (e.connection_lost()) {
        guard.disarm();
        throw storage_error(errc::storage_unavailable,
                            fmt::format("the connection to PostgreSQL was lost during COMMIT: "
                                        "the batch may or may not be applied, read again: {}",
                                        s_.target_.scrub(e.message())));
      }
      // The transaction is over (COMMIT failed means rolled back).
      guard.disarm();
      if (e.sqlstate() == "23505") return locate_duplicate(e.constraint());
      if (is_retryable_conflict(e)) {
        return conflict(ops_.size() - 1, "write batch lost a race with another writer: read again");
      }
      throw;
    }
    guard.disarm();
    return std::move(receipt_);
  }

 private:
  // Maps the server's refusals that mean "another writer got there first" to results.
  template <class F>
  result<void> attempt(F&& f) {
    try {
      return f();
    } catch (const statement_error& e) {
      if (e.connection_lost()) throw;
      if (is_retryable_conflict(e)) {
        return conflict(index_, fmt::format("write batch operations[{}] lost a race with another "
                                            "writer: read again",
                                            index_));
      }
      throw;
    }
  }

  rows run(stmt st, const params& p) { return s_.run(c_, st, p); }

  result<void> versioned_write(stmt insert, stmt update, params& p, std::uint64_t expected,
                               std::string_view what) {
    if (expected == 0) {
      if (run(insert, p).affected() == 0) {
        return conflict(index_, fmt::format("write batch operations[{}] creates {} that already "
                                            "exists",
                                            index_, what));
      }
      return {};
    }
    p.int8(db_version(expected));
    if (run(update, p).affected() == 0) {
      return conflict(index_, fmt::format("write batch operations[{}] names version {} of {}, "
                                          "which is not the stored version: read it again",
                                          index_, expected, what));
    }
    return {};
  }

  // Every advisory lock the batch needs, taken first and in one sorted statement, so two
  // batches never wait on each other for them in opposite orders:
  // - the unique values it gives (NIR, provisional identifier, FranceConnect subject):
  //   two writers racing for one value queue here, and the second one's check sees the
  //   first one's commit (a duplicate named on its operation, not a deadlock at COMMIT);
  // - R14: the persons whose e-mail addresses it sets and the current members of the
  //   households it writes, so whoever changes one of their addresses waits for it.
  void lock_keys() {
    std::vector<std::string> keys;
    for (const write_batch::operation& op : ops_) {
      if (const auto* p = std::get_if<write_batch::put_op<person_record>>(&op)) {
        if (p->record.nir) keys.push_back(fmt::format("nir:{}", p->record.nir->str()));
        if (p->record.provisional_id) {
          keys.push_back(fmt::format("provisional_id:{}", p->record.provisional_id->str()));
        }
      } else if (const auto* a = std::get_if<write_batch::put_op<account_record>>(&op)) {
        if (a->record.franceconnect_sub) keys.push_back("sub:" + *a->record.franceconnect_sub);
        if (has_email(a->record)) keys.emplace_back(a->record.person.str());
      } else if (const auto* h = std::get_if<write_batch::put_op<household>>(&op)) {
        for (const member& m : h->record.members()) {
          if (!m.left) keys.emplace_back(m.id.str());
        }
      }
    }
    if (keys.empty()) return;
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    params p;
    p.int8(s_.lock_class_).text_array(keys);
    (void)run(stmt::lock_keys, p);
  }

  // ----- phase 1: writes

  result<void> apply(const write_batch::put_op<person_record>& op) {
    const person_record& r = op.record;
    const std::string body = detail::encode_person(r);
    const auto str = [](const auto& id) -> std::optional<std::string_view> {
      if (id) return id->str();
      return std::nullopt;
    };
    params p;
    p.text(r.id.str()).optional_text(str(r.nir)).optional_text(str(r.provisional_id));
    if (r.civil_status && r.civil_status->birth_date.ok()) {
      p.date(r.civil_status->birth_date);
    } else {
      p.null();
    }
    p.text(body);
    return versioned_write(stmt::insert_person, stmt::update_person, p, op.expected_version,
                           fmt::format("person `{}`", r.id.str()));
  }

  result<void> apply(const write_batch::put_op<household>& op) {
    const household& h = op.record;
    std::vector<std::string> ids;
    std::vector<bool> current;
    for (const member& m : h.members()) {
      ids.emplace_back(m.id.str());
      current.push_back(!m.left.has_value());
    }
    const std::string body = detail::encode_household(h);
    params p;
    p.text(h.dossier().str()).bytea(body);
    if (auto r = versioned_write(stmt::insert_household, stmt::update_household, p,
                                 op.expected_version,
                                 fmt::format("household `{}`", h.dossier().str()));
        !r) {
      return r;
    }
    params m;
    m.text(h.dossier().str()).text_array(ids).bool_array(current);
    (void)run(stmt::replace_members, m);
    return {};
  }

  static bool has_email(const account_record& r) {
    return std::any_of(r.contacts.begin(), r.contacts.end(),
                       [](const contact_point& c) { return c.kind == contact_kind::email; });
  }

  result<void> apply(const write_batch::put_op<account_record>& op) {
    const account_record& r = op.record;
    const std::string body = detail::encode_account(r);
    params p;
    p.text(r.person.str()).optional_text(r.franceconnect_sub);
    p.text(body);
    if (auto w = versioned_write(stmt::insert_account, stmt::update_account, p,
                                 op.expected_version,
                                 fmt::format("the account of `{}`", r.person.str()));
        !w) {
      return w;
    }
    std::vector<std::string> emails;
    for (const contact_point& c : r.contacts) {
      if (c.kind == contact_kind::email) emails.push_back(detail::email_key(c.value));
    }
    params e;
    e.text(r.person.str()).text_array(emails);
    (void)run(stmt::replace_emails, e);
    return {};
  }

  result<void> apply(const write_batch::put_op<challenge_record>& op) {
    const std::string body = detail::encode_challenge(op.record);
    params p;
    p.text(op.record.key).text(body);
    return versioned_write(stmt::insert_challenge, stmt::update_challenge, p,
                           op.expected_version, "a challenge");
  }

  result<void> apply(const write_batch::put_op<throttle_record>& op) {
    const std::string body = detail::encode_throttle(op.record);
    params p;
    p.text(op.record.key).text(body);
    return versioned_write(stmt::insert_throttle, stmt::update_throttle, p,
                           op.expected_version, "a throttle record");
  }

  result<void> apply(const write_batch::put_op<session_record>& op) {
    const std::string body = detail::encode_session(op.record);
    params p;
    p.text(op.record.token_hash).text(op.record.person.str()).text(body);
    return versioned_write(stmt::insert_session, stmt::update_session, p, op.expected_version,
                           "a session");
  }

  // Version 0 names no stored record: `version = 0` matches no row, a conflict.
  result<void> erase(stmt st, std::string_view key, std::uint64_t expected, std::string_view what) {
    params p;
    p.text(key).int8(db_version(expected));
    if (run(st, p).affected() == 0) {
      return conflict(index_, fmt::format("write batch operations[{}] erases version {} of {}, "
                                          "which is not stored",
                                          index_, expected, what));
    }
    return {};
  }

  result<void> apply(const write_batch::erase_challenge_op& op) {
    return erase(stmt::erase_challenge, op.key, op.expected_version, "a challenge");
  }

  result<void> apply(const write_batch::erase_session_op& op) {
    return erase(stmt::erase_session, op.token_hash, op.expected_version, "a session");
  }

  result<void> apply(const write_batch::erase_sessions_of_op& op) {
    params p;
    p.text(op.person.str());
    (void)run(stmt::erase_sessions_of, p);
    return {};
  }

  result<void> apply(const write_batch::append_audit_op& op) {
    audit_event e = op.event;
    std::optional<std::uint64_t> after = op.after_seq;
    if (s_.audit_key_) {
      if (!tail_) {
        const rows r = run(stmt::lock_audit_tail, params{});
        tail_ = tail{static_cast<std::uint64_t>(r.int8(0, 0)), std::string(r.bytes(0, 1))};
      }
      if (after && *after != tail_->seq) {
        return conflict(index_, fmt::format("write batch operations[{}] appends after audit "
                                            "event {}, which is not the trail's last event",
                                            index_, *after));
      }
      after = tail_->seq;
      e.seq = tail_->seq + 1;
      e.link = audit_link(*s_.audit_key_, tail_->link, e);
    }
    params p;
    if (after) {
      p.int8(db_version(*after));
    } else {
      p.null();
    }
    p.int8(e.at.time_since_epoch().count())
        .text(e.kind)
        .text(e.actor)
        .text(e.subject)
        .text(e.dossier)
        .text(e.outcome)
        .text(e.detail)
        .text(e.link);
    const rows r = run(stmt::append_audit, p);
    if (r.empty()) {
      return conflict(index_, fmt::format("write batch operations[{}] appends after audit event "
                                          "{}, which is not the trail's last event",
                                          index_, op.after_seq.value_or(0)));
    }
    receipt_.audit_seqs.push_back(static_cast<std::uint64_t>(r.int8(0, 0)));
    if (tail_) *tail_ = tail{receipt_.audit_seqs.back(), std::move(e.link)};
    return {};
  }

  result<void> apply(const write_batch::purge_audit_op& op) {
    params p;
    p.int8(clamp_to_bigint(op.before_seq));
    (void)run(stmt::purge_audit, p);
    return {};
  }

  // ----- phase 2: uniqueness on the state the batch leaves

  // Records of the same kind written by later operations: a value they hold too is
  // reported on the later operation, as the first holder in batch order keeps it.
  template <class Op, class Key>
  std::vector<std::string> written_later(Key&& key_of) const {
    std::vector<std::string> out;
    for (std::size_t j = index_ + 1; j < ops_.size(); ++j) {
      if (const auto* later = std::get_if<Op>(&ops_[j])) out.emplace_back(key_of(later->record));
    }
    return out;
  }

  bool held_by_another(stmt st, std::string_view value, std::string_view owner,
                       const std::vector<std::string>& later) {
    params p;
    p.text(value).text(owner).text_array(later);
    return !run(st, p).empty();
  }

  result<void> check(const write_batch::put_op<person_record>& op) {
    const person_record& r = op.record;
    if (!r.nir && !r.provisional_id) return {};
    const auto later = written_later<write_batch::put_op<person_record>>(
        [](const person_record& p) { return std::string(p.id.str()); });
    if (r.nir && held_by_another(stmt::other_person_with_nir, r.nir->str(), r.id.str(), later)) {
      return duplicate(index_, "nir",
                       fmt::format("write batch operations[{}] gives person `{}` a nir another "
                                   "person has",
                                   index_, r.id.str()));
    }
    if (r.provisional_id && held_by_another(stmt::other_person_with_provisional_id,
                                            r.provisional_id->str(), r.id.str(), later)) {
      return duplicate(index_, "provisional_id",
                       fmt::format("write batch operations[{}] gives person `{}` provisional "
                                   "identifier `{}` that another person has",
                                   index_, r.id.str(), r.provisional_id->str()));
    }
    return {};
  }

  result<void> check(const write_batch::put_op<account_record>& op) {
    const account_record& r = op.record;
    if (r.franceconnect_sub) {
      const auto later = written_later<write_batch::put_op<account_record>>(
          [](const account_record& a) { return std::string(a.person.str()); });
      if (held_by_another(stmt::other_account_with_sub, *r.franceconnect_sub, r.person.str(),
                          later)) {
        return duplicate(index_, "franceconnect_sub",
                         fmt::format("write batch operations[{}] links the account of `{}` to a "
                                     "FranceConnect subject another account has",
                                     index_, r.person.str()));
      }
    }
    if (!has_email(r)) return {};
    // R14: lock the person's households (in dossier order) so that two servers giving
    // two members the same address queue here, then look at what is committed now.
    params p;
    p.text(r.person.str());
    (void)run(stmt::lock_households_of, p);
    const rows shared = run(stmt::shared_emails_of_account, p);
    if (shared.empty()) return {};
    std::set<std::string, std::less<>> taken;
    for (int i = 0; i < shared.size(); ++i) taken.emplace(shared.bytes(i, 0));
    std::size_t k = 0;
    for (std::size_t j = 0; j < r.contacts.size(); ++j) {
      if (r.contacts[j].kind == contact_kind::email &&
          taken.contains(detail::email_key(r.contacts[j].value))) {
        k = j;
        break;
      }
    }
    return duplicate(index_, fmt::format("contacts[{}]", k),
                     fmt::format("write batch operations[{}] gives `{}` an e-mail address another "
                                 "member of household `{}` has (R14)",
                                 index_, r.person.str(), shared.bytes(0, 1)));
  }

  result<void> check(const write_batch::put_op<household>& op) {
    params p;
    p.text(op.record.dossier().str());
    const rows shared = run(stmt::shared_email_in_household, p);
    if (shared.empty()) return {};
    return duplicate(index_, "",
                     fmt::format("write batch operations[{}] makes `{}` a current member of "
                                 "household `{}` where another member has the same e-mail "
                                 "address (R14)",
                                 index_, shared.bytes(0, 0), op.record.dossier().str()));
  }

  template <class Op>
  result<void> check(const Op&) {
    return {};
  }

  // COMMIT found a unique value another transaction committed first. Which operation
  // holds it: the first whose value is now another record's, else the first to claim
  // a value under that constraint.
  result<commit_receipt> locate_duplicate(const std::string& constraint) {
    const bool nir = constraint == "persons_nir_unique";
    const bool provisional = constraint == "persons_provisional_id_unique";
    const bool sub = constraint == "accounts_franceconnect_sub_unique";
    struct claim {
      stmt other_holder;
      std::string_view value;
      std::string_view owner;
    };
    const auto claim_of = [&](const write_batch::operation& op) -> std::optional<claim> {
      if (const auto* p = std::get_if<write_batch::put_op<person_record>>(&op)) {
        const person_record& r = p->record;
        if (nir && r.nir) return claim{stmt::other_person_with_nir, r.nir->str(), r.id.str()};
        if (provisional && r.provisional_id) {
          return claim{stmt::other_person_with_provisional_id, r.provisional_id->str(), r.id.str()};
        }
      } else if (const auto* a = std::get_if<write_batch::put_op<account_record>>(&op)) {
        if (sub && a->record.franceconnect_sub) {
          return claim{stmt::other_account_with_sub, *a->record.franceconnect_sub,
                       a->record.person.str()};
        }
      }
      return std::nullopt;
    };
    const std::vector<std::string> none;
    std::optional<std::size_t> first;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      const std::optional<claim> c = claim_of(ops_[i]);
      if (!c) continue;
      if (!first) first = i;
      if (held_by_another(c->other_holder, c->value, c->owner, none)) {
        first = i;
        break;
      }
    }
    const std::size_t i = first.value_or(0);
    const std::string_view member = nir ? "nir" : provisional ? "provisional_id" : sub ? "franceconnect_sub" : "";
    return duplicate(i, member,
                     fmt::format("write batch operations[{}] claims a unique {} another writer "
                                 "committed first",
                                 i, member.empty() ? "value" : member));
  }

  impl& s_;
  connection& c_;
  std::span<const write_batch::operation> ops_;
  std::size_t index_ = 0;
  commit_receipt receipt_;
  // The audit tail this transaction locked and then extended, when the storage chains.
  struct tail {
    std::uint64_t seq = 0;
    std::string link;
  };
  std::optional<tail> tail_;
};

result<commit_receipt> postgres_storage::impl::commit(const write_batch& batch) {
  if (auto valid = batch.validate(); !valid) return unexpected<error>{valid.error()};
  if (batch.empty()) return commit_receipt{};
  // A connection found closed before COMMIT was sent: the server rolled the transaction
  // back, so running the batch again on a new connection is safe.
  return with_connection("committing a write batch", [&](connection& c) {
    return batch_runner(*this, c, batch).run();
  });
}

// ---------------------------------------------------------------------------------------

namespace {

postgres_options checked(postgres_options options) {
  if (!detail::pg::valid_schema_name(options.schema)) {
    throw storage_error(errc::storage_location,
                        fmt::format("PostgreSQL schema name `{}` is not valid: use 1 to 63 "
                                    "characters among `a`-`z`, `0`-`9` and `_`, not starting "
                                    "with a digit nor `pg_`",
                                    detail::echo(options.schema, 70)));
  }
  if (options.pool_size == 0) {
    throw storage_error(errc::storage_location, "a PostgreSQL pool needs at least one connection");
  }
  return options;
}

}  // namespace

postgres_storage::postgres_storage(postgres_options options)
    : impl_(std::make_unique<impl>(checked(std::move(options)))) {}

postgres_storage::~postgres_storage() = default;

const std::string& postgres_storage::schema() const noexcept { return impl_->schema(); }

std::optional<versioned<person_record>> postgres_storage::find_person(const person_id& id) {
  return impl_->find("reading a person", stmt::find_person, id.str(), &detail::decode_person);
}

std::optional<versioned<person_record>> postgres_storage::find_person_by_nir(const nir& n) {
  return impl_->find("reading a person by nir", stmt::find_person_by_nir, n.str(),
                     &detail::decode_person);
}

std::optional<versioned<person_record>> postgres_storage::find_person_by_provisional_id(
    const provisional_id& id) {
  return impl_->find("reading a person by provisional identifier",
                     stmt::find_person_by_provisional_id, id.str(), &detail::decode_person);
}

std::vector<versioned<person_record>> postgres_storage::find_persons_born_on(date birth_date,
                                                                             std::size_t limit) {
  if (limit == 0 || !birth_date.ok()) return {};
  params p;
  p.date(birth_date).int8(clamp_to_bigint(limit));
  return all_records<person_record>(
      impl_->read("reading persons by birth date", stmt::find_persons_born_on, p),
      &detail::decode_person);
}

std::optional<versioned<household>> postgres_storage::find_household(const dossier_number& dossier) {
  params p;
  p.text(dossier.str());
  const rows r = impl_->read("reading a household", stmt::find_household, p);
  if (r.empty()) return std::nullopt;
  return household_at(r, 0, dossier.str());
}

std::vector<dossier_number> postgres_storage::households_of(const person_id& person) {
  params p;
  p.text(person.str());
  const rows r = impl_->read("reading the households of a person", stmt::households_of, p);
  std::vector<dossier_number> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    auto d = dossier_number::parse(r.bytes(i, 0));
    if (!d) throw storage_error(errc::storage_corrupt, "a PostgreSQL row holds an invalid dossier number");
    out.push_back(*d);
  }
  return out;
}

std::vector<versioned<household>> postgres_storage::find_households_of(const person_id& person) {
  params p;
  p.text(person.str());
  const rows r =
      impl_->read("reading the households of a person", stmt::find_households_of, p);
  std::vector<versioned<household>> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(household_at(r, i, r.bytes(i, 2)));
  return out;
}

std::optional<versioned<account_record>> postgres_storage::find_account(const person_id& person) {
  return impl_->find("reading an account", stmt::find_account, person.str(),
                     &detail::decode_account);
}

std::optional<versioned<account_record>> postgres_storage::find_account_by_franceconnect_sub(
    std::string_view sub) {
  if (!storable(sub)) return std::nullopt;
  return impl_->find("reading an account by FranceConnect subject", stmt::find_account_by_sub, sub,
                     &detail::decode_account);
}

std::optional<versioned<challenge_record>> postgres_storage::find_challenge(std::string_view key) {
  if (!storable(key)) return std::nullopt;
  return impl_->find("reading a challenge", stmt::find_challenge, key, &detail::decode_challenge);
}

std::optional<versioned<throttle_record>> postgres_storage::find_throttle(std::string_view key) {
  if (!storable(key)) return std::nullopt;
  return impl_->find("reading a throttle record", stmt::find_throttle, key,
                     &detail::decode_throttle);
}

std::optional<versioned<session_record>> postgres_storage::find_session(std::string_view token_hash) {
  if (!storable(token_hash)) return std::nullopt;
  return impl_->find("reading a session", stmt::find_session, token_hash, &detail::decode_session);
}

std::vector<versioned<session_record>> postgres_storage::sessions_of(const person_id& person) {
  params p;
  p.text(person.str());
  return all_records<session_record>(
      impl_->read("reading the sessions of a person", stmt::sessions_of, p),
      &detail::decode_session);
}

std::vector<audit_event> postgres_storage::audit_events(const audit_query& q) {
  if (q.limit == 0) return {};
  // A filter value no event can hold matches nothing.
  if ((q.subject && !storable(*q.subject) && !q.subject->empty()) ||
      (q.actor && !storable(*q.actor) && !q.actor->empty())) {
    return {};
  }
  params p;
  p.int8(clamp_to_bigint(q.after_seq)).int8(clamp_to_bigint(q.limit));
  stmt st = stmt::audit_events;
  if (q.subject && q.actor) {
    st = stmt::audit_events_subject_actor;
    p.text(*q.subject).text(*q.actor);
  } else if (q.subject) {
    st = stmt::audit_events_subject;
    p.text(*q.subject);
  } else if (q.actor) {
    st = stmt::audit_events_actor;
    p.text(*q.actor);
  }
  const rows r = impl_->read("reading audit events", st, p);
  std::vector<audit_event> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(audit_at(r, i));
  return out;
}

std::optional<audit_event> postgres_storage::audit_tail() {
  const rows r = impl_->read("reading the audit tail", stmt::audit_tail, params{});
  if (r.empty()) return std::nullopt;
  return audit_at(r, 0);
}

result<commit_receipt> postgres_storage::commit(const write_batch& batch) {
  return impl_->commit(batch);
}

}  // namespace calp
