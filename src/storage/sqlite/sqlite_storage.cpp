#include "calp/storage/sqlite.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "calp/audit.hpp"
#include "storage/codec.hpp"
#include "storage/sqlite/handle.hpp"
#include "storage/sqlite/schema.hpp"

namespace calp {

using sqlite_detail::connection;
using sqlite_detail::query;
using sqlite_detail::sql;

namespace {

// SQLite integers are signed 64-bit; versions and sequence numbers never come near.
std::int64_t to_sql(std::uint64_t v) { return static_cast<std::int64_t>(v); }

std::int64_t dossier_key(const dossier_number& d) {
  std::int64_t n = 0;
  for (char c : d.str()) n = n * 10 + (c - '0');
  return n;
}

dossier_number dossier_from_key(std::int64_t n) {
  if (n < 0 || n > 9'999'999) {
    throw storage_error(errc::storage_corrupt, "a household row has a dossier out of range");
  }
  std::array<char, 7> digits{};
  for (std::size_t i = digits.size(); i-- > 0;) {
    digits[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  return dossier_number::parse({digits.data(), digits.size()}).value();
}

std::uint64_t version_of(const query& q, int column) {
  const std::int64_t v = q.integer(column);
  if (v < 1) throw storage_error(errc::storage_corrupt, "a row has a version below 1");
  return static_cast<std::uint64_t>(v);
}

template <class T, class Decode>
std::optional<versioned<T>> read_one(query& q, Decode decode) {
  if (!q.step()) return std::nullopt;
  return versioned<T>{decode(q.text(0)), version_of(q, 1)};
}

template <class T, class Decode>
std::vector<versioned<T>> read_all(query& q, Decode decode) {
  std::vector<versioned<T>> out;
  while (q.step()) out.push_back(versioned<T>{decode(q.text(0)), version_of(q, 1)});
  return out;
}

audit_event read_event(const query& q) {
  audit_event e;
  const std::int64_t seq = q.integer(0);
  if (seq < 1) throw storage_error(errc::storage_corrupt, "an audit row has a seq below 1");
  e.seq = static_cast<std::uint64_t>(seq);
  e.at = timestamp{std::chrono::seconds{q.integer(1)}};
  e.kind = q.text(2);
  e.actor = q.text(3);
  e.subject = q.text(4);
  e.dossier = q.text(5);
  e.outcome = q.text(6);
  e.detail = q.text(7);
  e.link = q.text(8);
  return e;
}

// The household of a row whose key is `dossier`: a body stored under another key is
// damage, never another dossier's answer.
versioned<household> household_at(const query& q, std::int64_t dossier) {
  household h = detail::decode_household(q.blob(0));
  if (dossier_key(h.dossier()) != dossier) {
    throw storage_error(errc::storage_corrupt, "a household row holds another dossier");
  }
  return versioned<household>{std::move(h), version_of(q, 1)};
}

std::int64_t clamp_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

// ---------------------------------------------------------------------------------
// The connection pool

class sqlite_storage::impl {
 public:
  explicit impl(sqlite_options o) : options_(std::move(o)) {
    settings_.mmap_bytes = std::max<std::int64_t>(options_.mmap_bytes, 0);
    settings_.cache_kib = std::max<std::int64_t>(options_.cache_kib, 1);
    settings_.sync_each_commit = options_.durability == sqlite_durability::power_loss;
    if (options_.path.empty() || options_.path == ":memory:" ||
        options_.path.starts_with("file:")) {
      throw storage_error(errc::storage_location,
                          fmt::format("`{}` is not a path to a database file", options_.path));
    }
    const std::filesystem::path path(options_.path);
    const std::filesystem::path folder =
        path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
      throw storage_error(errc::storage_unavailable,
                          fmt::format("the folder of `{}` does not exist", options_.path));
    }
    if (std::filesystem::is_directory(path, ec)) {
      throw storage_error(errc::storage_unavailable,
                          fmt::format("`{}` is a folder, not a database file", options_.path));
    }
    auto first = std::make_unique<connection>(
        options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        options_.busy_timeout);
    sqlite_detail::prepare_database(*first, settings_, options_.path);
    idle_.push_back(std::move(first));
  }

  // A connection for the calling thread, returned to the pool when the lease ends.
  class lease {
   public:
    lease(impl& owner, std::unique_ptr<connection> c) : owner_(owner), c_(std::move(c)) {}
    ~lease() { owner_.give_back(std::move(c_)); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    connection& operator*() const noexcept { return *c_; }
    connection* operator->() const noexcept { return c_.get(); }

   private:
    impl& owner_;
    std::unique_ptr<connection> c_;
  };

  lease acquire() {
    {
      const std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return lease(*this, std::move(c));
      }
    }
    // Opened outside the lock: opening reads the file.
    auto c = std::make_unique<connection>(options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                          options_.busy_timeout);
    sqlite_detail::prepare_connection(*c, settings_);
    return lease(*this, std::move(c));
  }

  // A read of at most one record by its key: the shape of every keyed `find_*`.
  template <class T, class Decode>
  std::optional<versioned<T>> find_one(sql id, std::string_view key, Decode decode) {
    auto c = acquire();
    query q(*c, id);
    q.bind(1, key);
    return read_one<T>(q, decode);
  }

  [[nodiscard]] std::chrono::milliseconds busy_timeout() const noexcept {
    return options_.busy_timeout;
  }

  // Group commit. Each commit syncs the WAL (synchronous=FULL), and that sync, not the
  // SQL, is what a write costs. Threads of one process that commit at the same time
  // therefore share one transaction and one sync: the first to arrive leads, takes
  // every batch queued by then (up to `max_group`), applies each under its own
  // savepoint so that one batch's conflict or failure leaves the others whole, commits
  // once, and hands each caller its own outcome. A caller's batch is never reported
  // applied before that commit returned, so durability is unchanged; and threads of one
  // process no longer fight over the write lock through SQLite's sleeping busy handler.
  struct pending {
    const write_batch* batch;
    std::optional<result<commit_receipt>> outcome;  // written by the leader only
    std::exception_ptr failure;                      // written by the leader only
    bool answered = false;                           // written by the leader only
    bool done = false;                               // under group_mutex_
  };
  static constexpr std::size_t max_group = 64;

  result<commit_receipt> commit(const write_batch& batch);

 private:
  void run_group(std::vector<pending*>& group);

 public:

 private:
  void give_back(std::unique_ptr<connection> c) noexcept {
    if (!c || c->broken) return;
    const std::lock_guard lock(mutex_);
    if (idle_.size() < std::max<std::size_t>(options_.max_idle_connections, 1)) {
      idle_.push_back(std::move(c));
    }
    // Otherwise `c` is closed here: more threads called at once than stay idle.
  }

  sqlite_options options_;
  sqlite_detail::connection_settings settings_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::mutex group_mutex_;
  std::condition_variable group_done_;
  std::deque<pending*> queue_;
  bool leading_ = false;
};

sqlite_storage::sqlite_storage(sqlite_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

sqlite_storage::~sqlite_storage() = default;

// ---------------------------------------------------------------------------------
// Reads: one statement each, in SQLite's implicit read transaction, which ends when the
// query resets the statement. Nothing is kept between calls (R10).

std::optional<versioned<person_record>> sqlite_storage::find_person(const person_id& id) {
  return impl_->find_one<person_record>(sql::person_by_id, id.str(), detail::decode_person);
}

std::optional<versioned<person_record>> sqlite_storage::find_person_by_nir(const nir& n) {
  return impl_->find_one<person_record>(sql::person_by_nir, n.str(), detail::decode_person);
}

std::optional<versioned<person_record>> sqlite_storage::find_person_by_provisional_id(
    const provisional_id& p) {
  return impl_->find_one<person_record>(sql::person_by_provisional_id, p.str(), detail::decode_person);
}

std::vector<versioned<person_record>> sqlite_storage::find_persons_born_on(date birth_date,
                                                                           std::size_t limit) {
  if (limit == 0) return {};
  const std::string day = format_date(birth_date);
  auto c = impl_->acquire();
  query q(*c, sql::persons_born_on);
  q.bind(1, day).bind(2, clamp_limit(limit));
  return read_all<person_record>(q, detail::decode_person);
}

std::optional<versioned<household>> sqlite_storage::find_household(const dossier_number& dossier) {
  auto c = impl_->acquire();
  query q(*c, sql::household_by_dossier);
  const std::int64_t key = dossier_key(dossier);
  q.bind(1, key);
  if (!q.step()) return std::nullopt;
  return household_at(q, key);
}

std::vector<dossier_number> sqlite_storage::households_of(const person_id& person) {
  auto c = impl_->acquire();
  query q(*c, sql::households_of);
  q.bind(1, person.str());
  std::vector<dossier_number> out;
  while (q.step()) out.push_back(dossier_from_key(q.integer(0)));
  return out;
}

std::vector<versioned<household>> sqlite_storage::find_households_of(const person_id& person) {
  auto c = impl_->acquire();
  query q(*c, sql::households_of_person);
  q.bind(1, person.str());
  std::vector<versioned<household>> out;
  while (q.step()) out.push_back(household_at(q, q.integer(2)));
  return out;
}

std::optional<versioned<account_record>> sqlite_storage::find_account(const person_id& person) {
  return impl_->find_one<account_record>(sql::account_by_person, person.str(), detail::decode_account);
}

std::optional<versioned<account_record>> sqlite_storage::find_account_by_franceconnect_sub(
    std::string_view sub) {
  return impl_->find_one<account_record>(sql::account_by_sub, sub, detail::decode_account);
}

std::optional<versioned<challenge_record>> sqlite_storage::find_challenge(std::string_view key) {
  return impl_->find_one<challenge_record>(sql::challenge_by_key, key, detail::decode_challenge);
}

std::optional<versioned<throttle_record>> sqlite_storage::find_throttle(std::string_view key) {
  return impl_->find_one<throttle_record>(sql::throttle_by_key, key, detail::decode_throttle);
}

std::optional<versioned<session_record>> sqlite_storage::find_session(std::string_view token_hash) {
  return impl_->find_one<session_record>(sql::session_by_hash, token_hash, detail::decode_session);
}

std::vector<versioned<session_record>> sqlite_storage::sessions_of(const person_id& person) {
  auto c = impl_->acquire();
  query q(*c, sql::sessions_of);
  q.bind(1, person.str());
  return read_all<session_record>(q, detail::decode_session);
}

std::vector<audit_event> sqlite_storage::audit_events(const audit_query& aq) {
  if (aq.limit == 0) return {};
  const sql id = aq.subject ? (aq.actor ? sql::audit_by_subject_actor : sql::audit_by_subject)
                            : (aq.actor ? sql::audit_by_actor : sql::audit_all);
  auto c = impl_->acquire();
  query q(*c, id);
  q.bind(1, to_sql(std::min<std::uint64_t>(aq.after_seq, std::numeric_limits<std::int64_t>::max())))
      .bind(2, clamp_limit(aq.limit));
  int next = 3;
  if (aq.subject) q.bind(next++, *aq.subject);
  if (aq.actor) q.bind(next, *aq.actor);
  std::vector<audit_event> out;
  while (q.step()) out.push_back(read_event(q));
  return out;
}

std::optional<audit_event> sqlite_storage::audit_tail() {
  auto c = impl_->acquire();
  query q(*c, sql::audit_tail);
  if (!q.step()) return std::nullopt;
  return read_event(q);
}

// ---------------------------------------------------------------------------------
// Commit

namespace {

// `BEGIN IMMEDIATE` takes the write lock at once, so that every version read inside
// the transaction stays true until COMMIT: no other writer can slip in between a check
// and its write. The busy handler waits up to `busy_timeout` for the lock; SQLite may
// still answer SQLITE_BUSY without calling it (a WAL being recovered by another
// connection), so the wait is retried here until the same deadline.
class transaction {
 public:
  transaction(connection& c, std::chrono::milliseconds busy_timeout)
      : c_(c), deadline_(std::chrono::steady_clock::now() + busy_timeout) {
    retry(sql::begin_immediate, "cannot start a write transaction");
    open_ = true;
  }
  ~transaction() {
    if (!open_) return;
    (void)c_.try_exec("ROLLBACK");
    // Still inside a transaction (the rollback failed): nobody may reuse the connection.
    if (sqlite3_get_autocommit(c_.get()) == 0) c_.broken = true;
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  void commit() {
    retry(sql::commit, "cannot commit");
    open_ = false;
  }

 private:
  void retry(sql id, std::string_view what) {
    for (int attempt = 0;; ++attempt) {
      query q(c_, id);
      const int rc = q.step_code();
      if (rc == SQLITE_DONE) return;
      if ((rc & 0xFF) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline_) {
        sqlite_detail::fail(rc, c_.get(), what);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(std::min(100 << std::min(attempt, 6), 5000)));
    }
  }

  connection& c_;
  std::chrono::steady_clock::time_point deadline_;
  bool open_ = false;
};

// Applies the operations of one batch inside its transaction. Each `apply` returns the
// expected failure of its operation, if any; infrastructure failures throw.
class batch_writer {
 public:
  batch_writer(connection& c, const audit_key* key) : c_(c), key_(key) {}

  std::optional<error> apply(std::size_t i, const write_batch::put_op<person_record>& op) {
    const person_record& r = op.record;
    const std::string id(r.id.str());
    if (auto e = check_version(i, sql::person_version, id, op.expected_version, "person")) return e;
    if (r.nir) {
      query q(c_, sql::person_id_by_nir);
      q.bind(1, r.nir->str());
      if (q.step() && q.text(0) != id) {
        return error{errc::storage_duplicate,
                     fmt::format("nir `{}` belongs to another person", r.nir->masked()),
                     field(i, "nir")};
      }
    }
    if (r.provisional_id) {
      query q(c_, sql::person_id_by_provisional_id);
      q.bind(1, r.provisional_id->str());
      if (q.step() && q.text(0) != id) {
        return error{errc::storage_duplicate,
                     fmt::format("provisional identifier `{}` belongs to another person",
                                 r.provisional_id->str()),
                     field(i, "provisional_id")};
      }
    }
    const std::string body = detail::encode_person(r);
    const std::string day = r.civil_status ? format_date(r.civil_status->birth_date) : std::string();
    const bool insert = op.expected_version == 0;
    query q(c_, insert ? sql::person_insert : sql::person_update);
    q.bind(1, id);
    if (r.nir) q.bind(2, r.nir->str()); else q.bind_null(2);
    if (r.provisional_id) q.bind(3, r.provisional_id->str()); else q.bind_null(3);
    if (r.civil_status) q.bind(4, day); else q.bind_null(4);
    q.bind(5, body);
    if (!insert) q.bind(6, to_sql(op.expected_version));
    q.run();
    return std::nullopt;
  }

  std::optional<error> apply(std::size_t i, const write_batch::put_op<household>& op) {
    const household& h = op.record;
    const std::int64_t dossier = dossier_key(h.dossier());
    const std::string body = detail::encode_household(h);
    if (op.expected_version == 0) {
      query q(c_, sql::household_insert);
      q.bind(1, dossier).bind_blob(2, body);
      q.run();
      if (q.changes() == 0) return conflict(i, "household", h.dossier().str(), 0);
    } else {
      {
        query q(c_, sql::household_update);
        q.bind(1, dossier).bind_blob(2, body).bind(3, to_sql(op.expected_version));
        q.run();
        if (q.changes() == 0) {
          return conflict(i, "household", h.dossier().str(), op.expected_version);
        }
      }
      query q(c_, sql::members_delete);
      q.bind(1, dossier);
      q.run();
    }
    for (const member& m : h.members()) {
      query q(c_, sql::member_insert);
      q.bind(1, m.id.str()).bind(2, dossier).bind(3, std::int64_t{m.left ? 0 : 1});
      q.run();
    }
    households_.emplace_back(i, &h);
    return std::nullopt;
  }

  std::optional<error> apply(std::size_t i, const write_batch::put_op<account_record>& op) {
    const account_record& r = op.record;
    const std::string person(r.person.str());
    if (auto e = check_version(i, sql::account_version, person, op.expected_version, "account")) {
      return e;
    }
    if (r.franceconnect_sub) {
      query q(c_, sql::account_person_by_sub);
      q.bind(1, *r.franceconnect_sub);
      if (q.step() && q.text(0) != person) {
        return error{errc::storage_duplicate,
                     "the FranceConnect subject is linked to another account",
                     field(i, "franceconnect_sub")};
      }
    }
    const std::string body = detail::encode_account(r);
    const bool insert = op.expected_version == 0;
    {
      query q(c_, insert ? sql::account_insert : sql::account_update);
      q.bind(1, person);
      if (r.franceconnect_sub) q.bind(2, *r.franceconnect_sub); else q.bind_null(2);
      q.bind(3, body);
      if (!insert) q.bind(4, to_sql(op.expected_version));
      q.run();
    }
    if (!insert) {
      query q(c_, sql::emails_delete);
      q.bind(1, person);
      q.run();
    }
    for (const contact_point& p : r.contacts) {
      if (p.kind != contact_kind::email) continue;
      const std::string key = detail::email_key(p.value);
      query q(c_, sql::email_insert);
      q.bind(1, person).bind(2, key);
      q.run();
    }
    accounts_.emplace_back(i, &r);
    return std::nullopt;
  }

  std::optional<error> apply(std::size_t i, const write_batch::put_op<challenge_record>& op) {
    return put_keyed(i, sql::challenge_insert, sql::challenge_update, op.record.key,
                     detail::encode_challenge(op.record), op.expected_version, "challenge");
  }

  std::optional<error> apply(std::size_t i, const write_batch::put_op<throttle_record>& op) {
    return put_keyed(i, sql::throttle_insert, sql::throttle_update, op.record.key,
                     detail::encode_throttle(op.record), op.expected_version, "throttle");
  }

  std::optional<error> apply(std::size_t i, const write_batch::put_op<session_record>& op) {
    const session_record& r = op.record;
    const std::string body = detail::encode_session(r);
    const bool insert = op.expected_version == 0;
    query q(c_, insert ? sql::session_insert : sql::session_update);
    q.bind(1, r.token_hash).bind(2, r.person.str()).bind(3, body);
    if (!insert) q.bind(4, to_sql(op.expected_version));
    q.run();
    if (q.changes() == 0) return conflict(i, "session", "", op.expected_version);
    return std::nullopt;
  }

  std::optional<error> apply(std::size_t i, const write_batch::erase_challenge_op& op) {
    return erase_keyed(i, sql::challenge_delete, op.key, op.expected_version, "challenge");
  }

  std::optional<error> apply(std::size_t i, const write_batch::erase_session_op& op) {
    return erase_keyed(i, sql::session_delete, op.token_hash, op.expected_version, "session");
  }

  std::optional<error> apply(std::size_t, const write_batch::erase_sessions_of_op& op) {
    query q(c_, sql::sessions_of_delete);
    q.bind(1, op.person.str());
    q.run();
    return std::nullopt;
  }

  std::optional<error> apply(std::size_t i, const write_batch::append_audit_op& op) {
    tail& last = audit_tail();
    if (op.after_seq && *op.after_seq != last.seq) {
      return error{errc::storage_conflict,
                   fmt::format("the audit trail ends at {}, not {}", last.seq, *op.after_seq),
                   field(i)};
    }
    audit_event e = op.event;
    e.seq = last.seq + 1;
    if (key_ != nullptr) e.link = audit_link(*key_, last.link, e);
    write_event(sql::audit_insert, e);
    last = {e.seq, e.link};
    receipt_.audit_seqs.push_back(last.seq);
    // The stored tail is written once, by `finish`, however many events the batch appends.
    last_appended_ = std::move(e);
    return std::nullopt;
  }

  // The writes left for the end of the batch.
  void finish() {
    if (last_appended_) write_event(sql::audit_tail_upsert, *last_appended_);
  }

  std::optional<error> apply(std::size_t, const write_batch::purge_audit_op& op) {
    query q(c_, sql::audit_purge);
    q.bind(1, to_sql(std::min<std::uint64_t>(op.before_seq, std::numeric_limits<std::int64_t>::max())));
    q.run();
    return std::nullopt;
  }

  // R14, on the state the whole batch leaves: no e-mail address on the accounts of two
  // current members of one household. Checked for every account and every household
  // the batch wrote, since either can bring two such addresses together.
  std::optional<error> check_shared_emails() {
    // A bulk import writes households and no account: when no account has an e-mail
    // address at all, there is nothing to compare, and one probe replaces a query per
    // household.
    if (accounts_.empty() && !households_.empty()) {
      query q(c_, sql::any_email);
      if (!q.step()) return std::nullopt;
    }
    for (const auto& [i, account] : accounts_) {
      for (std::size_t k = 0; k < account->contacts.size(); ++k) {
        const contact_point& p = account->contacts[k];
        if (p.kind != contact_kind::email) continue;
        const std::string key = detail::email_key(p.value);
        query q(c_, sql::email_shared_in_household);
        q.bind(1, account->person.str()).bind(2, key);
        if (q.step()) {
          return error{errc::storage_duplicate,
                       fmt::format("the e-mail address is already on the account of `{}`, "
                                   "a member of the same household",
                                   q.text(0)),
                       field(i, fmt::format("contacts[{}]", k))};
        }
      }
    }
    for (const auto& [i, h] : households_) {
      query q(c_, sql::household_shared_email);
      q.bind(1, dossier_key(h->dossier()));
      if (q.step()) {
        const std::string_view person = q.text(0);
        return error{errc::storage_duplicate,
                     fmt::format("the account of `{}` has an e-mail address already on the "
                                 "account of another current member",
                                 person),
                     field(i)};
      }
    }
    return std::nullopt;
  }

  commit_receipt take_receipt() { return std::move(receipt_); }

 private:
  // The error field naming operation `i`, or one of its members.
  static std::string field(std::size_t i, std::string_view member = {}) {
    return member.empty() ? fmt::format("operations[{}]", i)
                          : fmt::format("operations[{}].{}", i, member);
  }

  static error conflict(std::size_t i, std::string_view kind, std::string_view key,
                        std::uint64_t expected) {
    std::string message =
        expected == 0
            ? fmt::format("{}{}{} already exists", kind, key.empty() ? "" : " ", key)
            : fmt::format("{}{}{} is not at version {}", kind, key.empty() ? "" : " ", key, expected);
    return error{errc::storage_conflict, std::move(message), field(i)};
  }

  // The version of the row with this key (0: absent) against the one the caller names.
  std::optional<error> check_version(std::size_t i, sql id, std::string_view key,
                                     std::uint64_t expected, std::string_view kind) {
    query q(c_, id);
    q.bind(1, key);
    const std::uint64_t current = q.step() ? version_of(q, 0) : 0;
    if (current == expected) return std::nullopt;
    return conflict(i, kind, key, expected);
  }

  std::optional<error> put_keyed(std::size_t i, sql insert_id, sql update_id, std::string_view key,
                                 const std::string& body, std::uint64_t expected,
                                 std::string_view kind) {
    const bool insert = expected == 0;
    query q(c_, insert ? insert_id : update_id);
    q.bind(1, key).bind(2, body);
    if (!insert) q.bind(3, to_sql(expected));
    q.run();
    if (q.changes() == 0) return conflict(i, kind, "", expected);
    return std::nullopt;
  }

  std::optional<error> erase_keyed(std::size_t i, sql delete_id, std::string_view key,
                                   std::uint64_t expected, std::string_view kind) {
    // Version 0 names no stored record: erasing it is a conflict, as the interface says.
    if (expected == 0) return conflict(i, kind, "", expected);
    query q(c_, delete_id);
    q.bind(1, key).bind(2, to_sql(expected));
    q.run();
    if (q.changes() == 0) return conflict(i, kind, "", expected);
    return std::nullopt;
  }

  void write_event(sql id, const audit_event& e) {
    query q(c_, id);
    q.bind(1, to_sql(e.seq)).bind(2, std::int64_t{e.at.time_since_epoch().count()});
    q.bind(3, e.kind).bind(4, e.actor).bind(5, e.subject).bind(6, e.dossier);
    q.bind(7, e.outcome).bind(8, e.detail).bind(9, e.link);
    q.run();
  }

  // The trail's last event as this batch leaves it: read once, then followed.
  struct tail {
    std::uint64_t seq = 0;
    std::string link;
  };
  tail& audit_tail() {
    if (!audit_tail_) {
      query q(c_, sql::audit_tail_seq);
      audit_tail_.emplace();
      if (q.step()) *audit_tail_ = {static_cast<std::uint64_t>(q.integer(0)), std::string(q.text(1))};
    }
    return *audit_tail_;
  }

  connection& c_;
  const audit_key* key_;
  commit_receipt receipt_;
  std::optional<tail> audit_tail_;
  std::optional<audit_event> last_appended_;
  std::vector<std::pair<std::size_t, const account_record*>> accounts_;
  std::vector<std::pair<std::size_t, const household*>> households_;
};

}  // namespace

namespace {

// One batch inside the group's transaction, under a savepoint: its expected failure, or
// its receipt. Infrastructure failures throw, with the savepoint still open.
result<commit_receipt> apply_batch(connection& c, const write_batch& batch, const audit_key* key) {
  batch_writer writer(c, key);
  const auto ops = batch.operations();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto problem = std::visit([&](const auto& op) { return writer.apply(i, op); }, ops[i]);
    if (problem) return unexpected<error>{std::move(*problem)};
  }
  if (auto problem = writer.check_shared_emails()) return unexpected<error>{std::move(*problem)};
  writer.finish();
  return writer.take_receipt();
}

}  // namespace

void sqlite_storage::impl::run_group(std::vector<pending*>& group) {
  std::vector<pending*> applied;
  try {
    auto c = acquire();
    transaction tx(*c, busy_timeout());
    if (group.size() == 1) {
      // Alone: the transaction itself is the savepoint.
      pending* p = group.front();
      auto outcome = apply_batch(*c, *p->batch, options_.audit_key.get());
      if (outcome) tx.commit();  // else `tx` rolls back
      p->outcome = std::move(outcome);
      p->answered = true;
      return;
    }
    const auto run = [&](sql id) { query(*c, id).run(); };
    for (pending* p : group) {
      run(sql::savepoint);
      try {
        auto outcome = apply_batch(*c, *p->batch, options_.audit_key.get());
        if (!outcome) run(sql::rollback_to_savepoint);
        run(sql::release_savepoint);
        if (outcome) applied.push_back(p);
        else p->answered = true;
        p->outcome = std::move(outcome);
      } catch (...) {
        // Undo this batch only; if even that fails, the transaction is lost for all.
        if (c->try_exec("ROLLBACK TO calp_batch; RELEASE calp_batch") != SQLITE_OK) throw;
        p->failure = std::current_exception();
        p->answered = true;
      }
    }
    if (!applied.empty()) tx.commit();
  } catch (...) {
    // Nothing of this group is known to be applied: each batch not already answered
    // gets the failure, as a commit of its own would have.
    for (pending* p : group) {
      if (p->answered) continue;
      p->outcome.reset();
      p->failure = std::current_exception();
    }
  }
}

result<commit_receipt> sqlite_storage::impl::commit(const write_batch& batch) {
  pending me{&batch, std::nullopt, nullptr, false, false};
  std::unique_lock lock(group_mutex_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leading_) {
      group_done_.wait(lock);
      continue;
    }
    leading_ = true;
    std::vector<pending*> group;
    while (!queue_.empty() && group.size() < max_group) {
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    run_group(group);
    lock.lock();
    for (pending* p : group) p->done = true;
    leading_ = false;
    group_done_.notify_all();
  }
  if (me.failure) std::rethrow_exception(me.failure);
  return std::move(*me.outcome);
}

result<commit_receipt> sqlite_storage::commit(const write_batch& batch) {
  if (auto valid = batch.validate(); !valid) return unexpected<error>{valid.error()};
  if (batch.empty()) return commit_receipt{};
  return impl_->commit(batch);
}

}  // namespace calp
