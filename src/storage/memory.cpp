#include "calp/storage/memory.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "calp/audit.hpp"
#include "storage/codec.hpp"

namespace calp {

namespace {

template <class T>
using table = std::map<std::string, versioned<T>, std::less<>>;
using key_set = std::set<std::string, std::less<>>;
// A unique secondary key (NIR, provisional id, FranceConnect subject) -> primary key.
using unique_index = std::map<std::string, std::string, std::less<>>;
// (owner, member) pairs: one range scan lists an owner's members in member order.
using pair_index = std::set<std::pair<std::string, std::string>>;
using day_index = std::set<std::pair<int, std::string>>;

int days_of(date d) {
  return static_cast<int>(std::chrono::sys_days(d).time_since_epoch().count());
}

std::string primary_key(const person_record& r) { return std::string(r.id.str()); }
std::string primary_key(const household& h) { return std::string(h.dossier().str()); }
std::string primary_key(const account_record& r) { return std::string(r.person.str()); }
std::string primary_key(const challenge_record& r) { return r.key; }
std::string primary_key(const throttle_record& r) { return r.key; }
std::string primary_key(const session_record& r) { return r.token_hash; }

using detail::email_key;

std::string op_field(std::size_t index, std::string_view member = {}) {
  return member.empty() ? fmt::format("operations[{}]", index)
                        : fmt::format("operations[{}].{}", index, member);
}

template <class T>
const versioned<T>* find_in(const table<T>& t, std::string_view key) {
  const auto it = t.find(key);
  return it == t.end() ? nullptr : &it->second;
}

// What a read returns: a copy, taken while the caller holds the lock.
template <class T>
std::optional<versioned<T>> copy_of(const table<T>& t, std::string_view key) {
  if (const auto* r = find_in(t, key)) return *r;
  return std::nullopt;
}

// The same, found through a unique secondary index.
template <class T>
std::optional<versioned<T>> copy_via(const unique_index& index, const table<T>& t,
                                     std::string_view key) {
  const auto it = index.find(key);
  if (it == index.end()) return std::nullopt;
  return copy_of(t, it->second);
}

// Calls `f(second)` for each entry `(first, second)` of an ordered pair index, in
// `second` order, while `f` returns true.
template <class Key, class F>
void for_each_under(const std::set<std::pair<Key, std::string>>& index, const Key& first, F f) {
  for (auto it = index.lower_bound({first, std::string()});
       it != index.end() && it->first == first && f(it->second); ++it) {
  }
}

}  // namespace

struct memory_storage::state {
  std::shared_mutex mutex;
  // glibc's rwlock (under std::shared_mutex) prefers readers: under a steady stream of
  // reads a commit could wait for ever. A commit holds `gate` while it waits for the
  // exclusive lock, and a read passes through `gate` before taking its shared lock, so
  // once a commit is waiting no new read starts ahead of it.
  std::mutex gate;

  table<person_record> persons;
  table<household> households;
  table<account_record> accounts;
  table<challenge_record> challenges;
  table<throttle_record> throttles;
  table<session_record> sessions;

  unique_index person_by_nir;
  unique_index person_by_provisional_id;
  unique_index account_by_franceconnect_sub;
  day_index persons_by_birth_date;  // (days since 1970-01-01, person id)
  pair_index households_by_member;  // (person id, dossier), members who left included
  pair_index sessions_by_person;    // (person id, token hash)

  std::map<std::uint64_t, audit_event> audit;
  std::uint64_t last_audit_seq = 0;
  // A copy of the last event appended, kept even when a purge removes it from `audit`:
  // writers that chain events (`after_seq`, `link`) need the tail's seq and link, and a
  // trail that forgot its tail would let the next writer restart the chain at 0.
  std::optional<audit_event> audit_tail;
  // Chains the events appended (calp/audit.hpp); none: they keep the batch's link.
  std::shared_ptr<const calp::audit_key> audit_key;
};

namespace {

// What one table of a batch changes: records written (`puts`, final values) and records
// removed (`erased`). A key is in at most one of the two.
template <class T>
struct overlay {
  table<T> puts;
  key_set erased;
};

// A read's lock: shared, taken behind any commit already waiting (see `state::gate`).
std::shared_lock<std::shared_mutex> read_lock(std::shared_mutex& mutex, std::mutex& gate) {
  const std::lock_guard wait_for_writers(gate);
  return std::shared_lock(mutex);
}

}  // namespace

// The batch applied to a view of the state without touching it. Phase 1 (`stage`) reads
// the state and builds, in containers of its own, every node the result needs; any
// expected failure (conflict, duplicate) is found there and the state is untouched.
// Phase 2 (`publish`) only erases nodes and splices prepared ones in (`std::map::merge`
// moves nodes, it never allocates nor copies), so it cannot fail half-way: the batch is
// applied whole or, if phase 1 threw (out of memory), not at all.
class memory_storage::staging {
 public:
  explicit staging(const state& s) : base_(s), last_seq_(s.last_audit_seq) {}

  result<commit_receipt> stage(const write_batch& batch) {
    const auto ops = batch.operations();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (auto r = std::visit([&](const auto& op) { return apply(i, op); }, ops[i]); !r) {
        return unexpected<error>{r.error()};
      }
    }
    if (auto r = check_uniqueness(batch); !r) return unexpected<error>{r.error()};
    prepare_indexes();
    return commit_receipt{seqs_};
  }

  // Phase 2. Precondition: `stage` succeeded on the same, unchanged state.
  void publish(state& s) noexcept {
    for (const auto& [index, key] : index_removals_) remove_index(s, index, key);
    erase_changed(s.persons, persons_);
    erase_changed(s.households, households_);
    erase_changed(s.accounts, accounts_);
    erase_changed(s.challenges, challenges_);
    erase_changed(s.throttles, throttles_);
    erase_changed(s.sessions, sessions_);
    // Erased by the stored key type itself: building a temporary key would allocate.
    for (const auto& entry : day_removals_) s.persons_by_birth_date.erase(entry);
    for (const auto& pair : member_removals_) s.households_by_member.erase(pair);
    for (const auto& pair : session_owner_removals_) s.sessions_by_person.erase(pair);

    s.persons.merge(persons_.puts);
    s.households.merge(households_.puts);
    s.accounts.merge(accounts_.puts);
    s.challenges.merge(challenges_.puts);
    s.throttles.merge(throttles_.puts);
    s.sessions.merge(sessions_.puts);
    s.person_by_nir.merge(nir_adds_);
    s.person_by_provisional_id.merge(provisional_adds_);
    s.account_by_franceconnect_sub.merge(sub_adds_);
    s.persons_by_birth_date.merge(day_adds_);
    s.households_by_member.merge(member_adds_);
    s.sessions_by_person.merge(session_owner_adds_);

    if (purge_before_ > 0) s.audit.erase(s.audit.begin(), s.audit.lower_bound(purge_before_));
    s.audit.merge(new_events_);
    s.last_audit_seq = last_seq_;
    if (tail_) s.audit_tail.swap(tail_);
  }

 private:
  enum class index_kind { nir, provisional_id, franceconnect_sub };

  static void remove_index(state& s, index_kind index, const std::string& key) noexcept {
    switch (index) {
      case index_kind::nir: s.person_by_nir.erase(key); break;
      case index_kind::provisional_id: s.person_by_provisional_id.erase(key); break;
      case index_kind::franceconnect_sub: s.account_by_franceconnect_sub.erase(key); break;
    }
  }

  template <class T>
  static void erase_changed(table<T>& base, const overlay<T>& o) noexcept {
    for (const auto& key : o.erased) {
      if (auto it = base.find(key); it != base.end()) base.erase(it);
    }
    for (const auto& [key, value] : o.puts) {
      if (auto it = base.find(key); it != base.end()) base.erase(it);
    }
  }

  // The record as the batch left it so far: staged, erased, or as stored.
  template <class T>
  static const versioned<T>* current(const overlay<T>& o, const table<T>& base,
                                     std::string_view key) {
    if (const auto* staged = find_in(o.puts, key)) return staged;
    if (o.erased.contains(key)) return nullptr;
    return find_in(base, key);
  }

  const versioned<person_record>* person(std::string_view id) const {
    return current(persons_, base_.persons, id);
  }
  const versioned<household>* household_of(std::string_view dossier) const {
    return current(households_, base_.households, dossier);
  }
  const versioned<account_record>* account(std::string_view person) const {
    return current(accounts_, base_.accounts, person);
  }

  static error conflict(std::size_t i, std::string message) {
    return error{errc::storage_conflict, std::move(message), op_field(i)};
  }

  template <class T>
  result<void> check_version(std::size_t i, const versioned<T>* stored, std::uint64_t expected,
                             std::string_view what) {
    if (expected == 0 && stored != nullptr) {
      return unexpected<error>{conflict(
          i, fmt::format("write batch operations[{}] creates {} that already exists", i, what))};
    }
    if (expected != 0 && stored == nullptr) {
      return unexpected<error>{conflict(
          i, fmt::format("write batch operations[{}] names version {} of {} that does not exist",
                         i, expected, what))};
    }
    if (expected != 0 && stored->version != expected) {
      return unexpected<error>{
          conflict(i, fmt::format("write batch operations[{}] names version {} of {}, stored "
                                  "version is {}: read it again",
                                  i, expected, what, stored->version))};
    }
    return {};
  }

  template <class T>
  result<void> put(std::size_t i, overlay<T>& o, const table<T>& base,
                   const write_batch::put_op<T>& op, std::string_view what) {
    std::string key = primary_key(op.record);
    if (auto r = check_version(i, current(o, base, key), op.expected_version, what); !r) return r;
    o.erased.erase(key);
    o.puts.insert_or_assign(std::move(key), versioned<T>{op.record, op.expected_version + 1});
    return {};
  }

  template <class T>
  result<void> erase(std::size_t i, overlay<T>& o, const table<T>& base, const std::string& key,
                     std::uint64_t expected, std::string_view what) {
    const versioned<T>* stored = current(o, base, key);
    // An erase names the version it read; 0 ("read nothing") cannot name a record to
    // remove, so it conflicts whether or not the record exists, as `DELETE … WHERE
    // version = 0` finds no row in the SQL storages.
    if (expected == 0 || stored == nullptr || stored->version != expected) {
      const std::string found = stored == nullptr
                                    ? std::string("which does not exist")
                                    : fmt::format("stored version is {}", stored->version);
      return unexpected<error>{conflict(
          i, fmt::format("write batch operations[{}] erases version {} of {}, {}", i, expected,
                         what, found))};
    }
    o.puts.erase(key);
    o.erased.insert(key);
    return {};
  }

  result<void> apply(std::size_t i, const write_batch::put_op<person_record>& op) {
    return put(i, persons_, base_.persons, op, "a person");
  }
  result<void> apply(std::size_t i, const write_batch::put_op<household>& op) {
    return put(i, households_, base_.households, op, "a household");
  }
  result<void> apply(std::size_t i, const write_batch::put_op<account_record>& op) {
    return put(i, accounts_, base_.accounts, op, "an account");
  }
  result<void> apply(std::size_t i, const write_batch::put_op<challenge_record>& op) {
    return put(i, challenges_, base_.challenges, op, "a challenge");
  }
  result<void> apply(std::size_t i, const write_batch::put_op<throttle_record>& op) {
    return put(i, throttles_, base_.throttles, op, "a throttle record");
  }
  result<void> apply(std::size_t i, const write_batch::put_op<session_record>& op) {
    return put(i, sessions_, base_.sessions, op, "a session");
  }
  result<void> apply(std::size_t i, const write_batch::erase_challenge_op& op) {
    return erase(i, challenges_, base_.challenges, op.key, op.expected_version, "a challenge");
  }
  result<void> apply(std::size_t i, const write_batch::erase_session_op& op) {
    return erase(i, sessions_, base_.sessions, op.token_hash, op.expected_version, "a session");
  }
  result<void> apply(std::size_t, const write_batch::erase_sessions_of_op& op) {
    const std::string person(op.person.str());
    std::vector<std::string> doomed;
    for_each_under(base_.sessions_by_person, person, [&](const std::string& token) {
      // A session the batch already rewrote counts as rewritten (it may now belong to
      // someone else); the staged puts are scanned below.
      if (!sessions_.puts.contains(token) && !sessions_.erased.contains(token)) {
        doomed.push_back(token);
      }
      return true;
    });
    for (const auto& [token, s] : sessions_.puts) {
      if (s.value.person == op.person) doomed.push_back(token);
    }
    for (auto& token : doomed) {
      sessions_.puts.erase(token);
      sessions_.erased.insert(std::move(token));
    }
    return {};
  }
  result<void> apply(std::size_t i, const write_batch::append_audit_op& op) {
    if (op.after_seq && *op.after_seq != last_seq_) {
      return unexpected<error>{
          conflict(i, fmt::format("write batch operations[{}] appends after audit event {}, the "
                                  "trail's last event is {}",
                                  i, *op.after_seq, last_seq_))};
    }
    audit_event event = op.event;
    event.seq = ++last_seq_;
    if (base_.audit_key) {
      const std::optional<audit_event>& before = tail_ ? tail_ : base_.audit_tail;
      event.link = audit_link(*base_.audit_key, before ? before->link : std::string(), event);
    }
    tail_ = event;
    seqs_.push_back(event.seq);
    new_events_.emplace(event.seq, std::move(event));
    return {};
  }
  result<void> apply(std::size_t, const write_batch::purge_audit_op& op) {
    purge_before_ = std::max(purge_before_, op.before_seq);
    // Events appended earlier in this batch are purged too; later ones are not.
    new_events_.erase(new_events_.begin(), new_events_.lower_bound(op.before_seq));
    return {};
  }

  // ----- uniqueness, on the state the whole batch leaves (a NIR may move from one
  // person to another within one batch).

  // The dossiers that list `person` once the batch is applied.
  std::vector<std::string> households_of(const std::string& person) const {
    std::vector<std::string> out;
    for_each_under(base_.households_by_member, person, [&](const std::string& dossier) {
      if (!households_.puts.contains(dossier)) out.push_back(dossier);
      return true;
    });
    for (const auto& [dossier, h] : households_.puts) {
      if (h.value.find(person) != nullptr) out.push_back(dossier);
    }
    return out;
  }

  // R14: the index in `acc.contacts` of its first e-mail address that another current
  // member of `h` has on their account, if any. First in contact order, as the SQL
  // storages report it; each address of `acc` is folded once.
  std::optional<std::size_t> shared_email(const account_record& acc, const household& h) const {
    const member* self = h.find(acc.person.str());
    if (self == nullptr || self->left) return std::nullopt;
    for (std::size_t k = 0; k < acc.contacts.size(); ++k) {
      if (acc.contacts[k].kind != contact_kind::email) continue;
      const std::string mine = email_key(acc.contacts[k].value);
      for (const member& other : h.members()) {
        if (other.left || other.id == acc.person) continue;
        const auto* theirs = account(other.id.str());
        if (theirs == nullptr) continue;
        for (const contact_point& c : theirs->value.contacts) {
          if (c.kind == contact_kind::email && email_key(c.value) == mine) return k;
        }
      }
    }
    return std::nullopt;
  }

  static error duplicate(std::size_t i, std::string_view member, std::string message) {
    return error{errc::storage_duplicate, std::move(message), op_field(i, member)};
  }

  // One unique key (`value`) held by `owner` after the batch: taken when the index
  // names another owner whose final record still holds it, or when an earlier staged
  // record holds it (`seen`).
  template <class Holds>
  bool taken(const unique_index& index, std::map<std::string, std::string>& seen,
             const std::string& value, const std::string& owner, Holds&& still_holds) const {
    if (const auto it = index.find(value);
        it != index.end() && it->second != owner && still_holds(it->second)) {
      return true;
    }
    return !seen.emplace(value, owner).second;
  }

  result<void> check_uniqueness(const write_batch& batch) const {
    std::map<std::string, std::string> nirs, provisionals, subs;
    const auto ops = batch.operations();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (const auto* p = std::get_if<write_batch::put_op<person_record>>(&ops[i])) {
        const person_record& r = p->record;
        const std::string id(r.id.str());
        if (r.nir) {
          const std::string n(r.nir->str());
          if (taken(base_.person_by_nir, nirs, n, id, [&](const std::string& other) {
                const auto* o = person(other);
                return o != nullptr && o->value.nir && o->value.nir->str() == n;
              })) {
            return unexpected<error>{duplicate(
                i, "nir", fmt::format("write batch operations[{}] gives person `{}` a nir another "
                                      "person has",
                                      i, id))};
          }
        }
        if (r.provisional_id) {
          const std::string v(r.provisional_id->str());
          if (taken(base_.person_by_provisional_id, provisionals, v, id,
                    [&](const std::string& other) {
                      const auto* o = person(other);
                      return o != nullptr && o->value.provisional_id &&
                             o->value.provisional_id->str() == v;
                    })) {
            return unexpected<error>{duplicate(
                i, "provisional_id",
                fmt::format("write batch operations[{}] gives person `{}` provisional identifier "
                            "`{}` that another person has",
                            i, id, v))};
          }
        }
      } else if (const auto* a = std::get_if<write_batch::put_op<account_record>>(&ops[i])) {
        const account_record& r = a->record;
        const std::string id(r.person.str());
        if (r.franceconnect_sub &&
            taken(base_.account_by_franceconnect_sub, subs, *r.franceconnect_sub, id,
                  [&](const std::string& other) {
                    const auto* o = account(other);
                    return o != nullptr && o->value.franceconnect_sub == r.franceconnect_sub;
                  })) {
          return unexpected<error>{duplicate(
              i, "franceconnect_sub",
              fmt::format("write batch operations[{}] links the account of `{}` to a "
                          "FranceConnect subject another account has",
                          i, id))};
        }
        for (const std::string& dossier : households_of(id)) {
          if (const auto k = shared_email(r, household_of(dossier)->value)) {
            return unexpected<error>{duplicate(
                i, fmt::format("contacts[{}]", *k),
                fmt::format("write batch operations[{}] gives `{}` an e-mail address another "
                            "member of household `{}` has (R14)",
                            i, id, dossier))};
          }
        }
      } else if (const auto* h = std::get_if<write_batch::put_op<household>>(&ops[i])) {
        for (const member& m : h->record.members()) {
          const auto* acc = account(m.id.str());
          if (acc != nullptr && shared_email(acc->value, h->record)) {
            return unexpected<error>{duplicate(
                i, "",
                fmt::format("write batch operations[{}] makes `{}` a current member of household "
                            "`{}` where another member has the same e-mail address (R14)",
                            i, m.id.str(), h->record.dossier().str()))};
          }
        }
      }
    }
    return {};
  }

  // ----- indexes: what to remove (old records) and the nodes to add (new records).
  void unindex(const person_record& r) {
    if (r.nir) index_removals_.emplace_back(index_kind::nir, std::string(r.nir->str()));
    if (r.provisional_id) {
      index_removals_.emplace_back(index_kind::provisional_id,
                                   std::string(r.provisional_id->str()));
    }
    if (r.civil_status) day_removals_.emplace_back(days_of(r.civil_status->birth_date), r.id.str());
  }
  void index(const person_record& r) {
    const std::string id(r.id.str());
    if (r.nir) nir_adds_.emplace(r.nir->str(), id);
    if (r.provisional_id) provisional_adds_.emplace(r.provisional_id->str(), id);
    if (r.civil_status) day_adds_.emplace(days_of(r.civil_status->birth_date), id);
  }
  void unindex(const household& h) {
    for (const member& m : h.members()) {
      member_removals_.emplace_back(std::string(m.id.str()), std::string(h.dossier().str()));
    }
  }
  void index(const household& h) {
    for (const member& m : h.members()) member_adds_.emplace(m.id.str(), h.dossier().str());
  }
  void unindex(const account_record& r) {
    if (r.franceconnect_sub) {
      index_removals_.emplace_back(index_kind::franceconnect_sub, *r.franceconnect_sub);
    }
  }
  void index(const account_record& r) {
    if (r.franceconnect_sub) sub_adds_.emplace(*r.franceconnect_sub, r.person.str());
  }
  void unindex(const session_record& r) {
    session_owner_removals_.emplace_back(std::string(r.person.str()), r.token_hash);
  }
  void index(const session_record& r) { session_owner_adds_.emplace(r.person.str(), r.token_hash); }

  template <class T>
  void reindex(const overlay<T>& o, const table<T>& base) {
    auto drop = [&](const std::string& key) {
      if (const auto* old = find_in(base, key)) unindex(old->value);
    };
    for (const auto& key : o.erased) drop(key);
    for (const auto& [key, value] : o.puts) {
      drop(key);
      index(value.value);
    }
  }

  void prepare_indexes() {
    reindex(persons_, base_.persons);
    reindex(households_, base_.households);
    reindex(accounts_, base_.accounts);
    reindex(sessions_, base_.sessions);
  }

  const state& base_;

  overlay<person_record> persons_;
  overlay<household> households_;
  overlay<account_record> accounts_;
  overlay<challenge_record> challenges_;
  overlay<throttle_record> throttles_;
  overlay<session_record> sessions_;

  std::vector<std::pair<index_kind, std::string>> index_removals_;
  std::vector<std::pair<int, std::string>> day_removals_;
  std::vector<std::pair<std::string, std::string>> member_removals_;
  std::vector<std::pair<std::string, std::string>> session_owner_removals_;
  unique_index nir_adds_;
  unique_index provisional_adds_;
  unique_index sub_adds_;
  day_index day_adds_;
  pair_index member_adds_;
  pair_index session_owner_adds_;

  std::map<std::uint64_t, audit_event> new_events_;
  std::uint64_t last_seq_;
  std::uint64_t purge_before_ = 0;
  std::optional<audit_event> tail_;
  std::vector<std::uint64_t> seqs_;
};

memory_storage::memory_storage(std::shared_ptr<const audit_key> key)
    : state_(std::make_unique<state>()) {
  state_->audit_key = std::move(key);
}
memory_storage::~memory_storage() = default;

std::optional<versioned<person_record>> memory_storage::find_person(const person_id& id) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_of(state_->persons, id.str());
}

std::optional<versioned<person_record>> memory_storage::find_person_by_nir(const nir& n) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_via(state_->person_by_nir, state_->persons, n.str());
}

std::optional<versioned<person_record>> memory_storage::find_person_by_provisional_id(
    const provisional_id& p) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_via(state_->person_by_provisional_id, state_->persons, p.str());
}

std::vector<versioned<person_record>> memory_storage::find_persons_born_on(date birth_date,
                                                                           std::size_t limit) {
  std::vector<versioned<person_record>> out;
  if (!birth_date.ok()) return out;
  const int day = days_of(birth_date);
  const auto lock = read_lock(state_->mutex, state_->gate);
  for_each_under(state_->persons_by_birth_date, day, [&](const std::string& id) {
    if (out.size() == limit) return false;
    if (const auto* r = find_in(state_->persons, id)) out.push_back(*r);
    return true;
  });
  return out;
}

std::optional<versioned<household>> memory_storage::find_household(const dossier_number& dossier) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_of(state_->households, dossier.str());
}

std::vector<dossier_number> memory_storage::households_of(const person_id& person) {
  std::vector<dossier_number> out;
  const std::string id(person.str());
  const auto lock = read_lock(state_->mutex, state_->gate);
  for_each_under(state_->households_by_member, id, [&](const std::string& dossier) {
    // The index holds only dossiers of stored households.
    out.push_back(state_->households.find(dossier)->second.value.dossier());
    return true;
  });
  return out;
}

std::vector<versioned<household>> memory_storage::find_households_of(const person_id& person) {
  std::vector<versioned<household>> out;
  const std::string id(person.str());
  const auto lock = read_lock(state_->mutex, state_->gate);
  for_each_under(state_->households_by_member, id, [&](const std::string& dossier) {
    if (const auto* r = find_in(state_->households, dossier)) out.push_back(*r);
    return true;
  });
  return out;
}

std::optional<versioned<account_record>> memory_storage::find_account(const person_id& person) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_of(state_->accounts, person.str());
}

std::optional<versioned<account_record>> memory_storage::find_account_by_franceconnect_sub(
    std::string_view sub) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_via(state_->account_by_franceconnect_sub, state_->accounts, sub);
}

std::optional<versioned<challenge_record>> memory_storage::find_challenge(std::string_view key) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_of(state_->challenges, key);
}

std::optional<versioned<throttle_record>> memory_storage::find_throttle(std::string_view key) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_of(state_->throttles, key);
}

std::optional<versioned<session_record>> memory_storage::find_session(std::string_view token_hash) {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return copy_of(state_->sessions, token_hash);
}

std::vector<versioned<session_record>> memory_storage::sessions_of(const person_id& person) {
  std::vector<versioned<session_record>> out;
  const std::string id(person.str());
  const auto lock = read_lock(state_->mutex, state_->gate);
  for_each_under(state_->sessions_by_person, id, [&](const std::string& token) {
    if (const auto* r = find_in(state_->sessions, token)) out.push_back(*r);
    return true;
  });
  return out;
}

std::vector<audit_event> memory_storage::audit_events(const audit_query& q) {
  std::vector<audit_event> out;
  if (q.limit == 0) return out;
  const auto lock = read_lock(state_->mutex, state_->gate);
  for (auto it = state_->audit.upper_bound(q.after_seq);
       it != state_->audit.end() && out.size() < q.limit; ++it) {
    const audit_event& e = it->second;
    if (q.subject && e.subject != *q.subject) continue;
    if (q.actor && e.actor != *q.actor) continue;
    out.push_back(e);
  }
  return out;
}

std::optional<audit_event> memory_storage::audit_tail() {
  const auto lock = read_lock(state_->mutex, state_->gate);
  return state_->audit_tail;
}

result<commit_receipt> memory_storage::commit(const write_batch& batch) {
  if (auto valid = batch.validate(); !valid) return unexpected<error>{valid.error()};
  const std::lock_guard first_in_line(state_->gate);
  const std::unique_lock lock(state_->mutex);
  staging staged(*state_);
  auto receipt = staged.stage(batch);
  if (receipt) staged.publish(*state_);
  return receipt;
}

}  // namespace calp
