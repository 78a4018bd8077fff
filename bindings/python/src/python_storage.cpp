#include "python_storage.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "detail/input_text.hpp"

namespace calp::python {

namespace {

[[noreturn]] void fail(std::string_view method, const std::string& what) {
  throw calp::storage_error(errc::storage_failure, "Python storage " + std::string(method) + "(): " + what);
}

std::optional<calp::errc> storage_errc(py::handle raised) {
  if (!py::isinstance(raised, py::module_::import("calp").attr("StorageError"))) return std::nullopt;
  const auto code = py::getattr(raised, "code", py::none());
  if (!py::isinstance<py::str>(code)) return std::nullopt;
  const auto known = errc_named(code.cast<std::string>());
  if (!known || !to_string(*known).starts_with("calp.storage.")) return std::nullopt;
  return known;
}

// A refusal a storage reports as a value (conflict, duplicate, invalid batch): the
// Python storage raised calp.StorageError with one of those codes.
std::optional<calp::error> expected_refusal(const py::error_already_set& e) {
  const auto code = storage_errc(e.value());
  if (!code || (*code != errc::storage_conflict && *code != errc::storage_duplicate &&
                *code != errc::storage_invalid)) {
    return std::nullopt;
  }
  return calp::error{*code, py::str(e.value().attr("message")).cast<std::string>(),
                     py::str(e.value().attr("field")).cast<std::string>()};
}

// What any other exception raised in Python becomes: an infrastructure failure with the
// Python message. A calp.StorageError for an infrastructure failure keeps its code.
calp::storage_error failure_from(const py::error_already_set& e, std::string_view method) {
  if (const auto code = storage_errc(e.value()); code && *code != errc::storage_conflict &&
                                                 *code != errc::storage_duplicate &&
                                                 *code != errc::storage_invalid) {
    return calp::storage_error(*code, py::str(e.value().attr("message")).cast<std::string>());
  }
  return calp::storage_error(errc::storage_failure, "Python storage " + std::string(method) + "() raised " +
                                                        type_name(e.value()) + ": " +
                                                        py::str(e.value()).cast<std::string>());
}

template <class T>
T as(py::handle h, std::string_view method, const char* expected) {
  try {
    return h.cast<T>();
  } catch (const py::cast_error&) {
    fail(method, "returned " + type_name(h) + " where " + expected + " was expected");
  }
}

template <class T>
calp::versioned<T> versioned_from(py::handle h, std::string_view method, const char* record) {
  const std::string pair = std::string("a (") + record + ", version) pair";
  if (!(py::isinstance<py::tuple>(h) || py::isinstance<py::list>(h)) || py::len(h) != 2) {
    fail(method, "returned " + type_name(h) + " where " + pair + " was expected");
  }
  const auto items = py::reinterpret_borrow<py::sequence>(h);
  calp::versioned<T> out{as<T>(items[0], method, record), as<std::uint64_t>(items[1], method, "a version (int)")};
  if (out.version == 0) fail(method, "returned version 0: a stored record has version 1 or more");
  return out;
}

template <class T>
std::optional<calp::versioned<T>> optional_versioned(py::handle h, std::string_view method, const char* record) {
  if (h.is_none()) return std::nullopt;
  return versioned_from<T>(h, method, record);
}

template <class T>
std::vector<calp::versioned<T>> versioned_list(py::handle h, std::string_view method, const char* record) {
  if (!py::isinstance<py::iterable>(h) || py::isinstance<py::str>(h)) {
    fail(method, "returned " + type_name(h) + " where a list of (" + record + ", version) pairs was expected");
  }
  std::vector<calp::versioned<T>> out;
  for (const auto item : py::reinterpret_borrow<py::iterable>(h)) out.push_back(versioned_from<T>(item, method, record));
  return out;
}

// Whether `s` is UTF-8 text. A key that is not names nothing in any storage
// (`write_batch::validate` refuses it), so a read under it finds nothing without asking
// Python, which could not even receive it as a str.
bool is_text(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = detail::utf8_sequence_length(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Calls the Python method `method` of `override`'s object with `args` and converts the
// answer with `convert`, holding the GIL. The caller holds the GIL too.
template <class Convert, class... Args>
auto call(const py::function& override, const char* method, Convert&& convert, Args&&... args) {
  try {
    const py::object answer = override(std::forward<Args>(args)...);
    return convert(answer);
  } catch (const py::error_already_set& e) {
    throw failure_from(e, method);
  }
}

// The method `method` of a Python subclass of calp.Storage; it must define them all.
py::function required(const calp::storage* self, const char* method) {
  py::function f = py::get_override(self, method);
  if (!f) fail(method, "not defined: a calp.Storage subclass defines every method of calp.Storage");
  return f;
}

template <class Convert, class... Args>
auto ask(const calp::storage* self, const char* method, Convert&& convert, Args&&... args) {
  py::gil_scoped_acquire gil;
  return call(required(self, method), method, std::forward<Convert>(convert), std::forward<Args>(args)...);
}

// The wrapper methods running a Python override on this thread. Inside the override of
// `m`, `super().m(…)` (or `self.m(…)`) comes back to the same C++ method: it must go to
// the target, not to the override again.
struct running_override {
  const void* self;
  std::string_view method;
};
thread_local std::vector<running_override> running_overrides;

bool inside_override(const void* self, std::string_view method) {
  return std::any_of(running_overrides.begin(), running_overrides.end(),
                     [&](const running_override& r) { return r.self == self && r.method == method; });
}

class override_scope {
 public:
  override_scope(const void* self, std::string_view method) { running_overrides.push_back({self, method}); }
  ~override_scope() { running_overrides.pop_back(); }
  override_scope(const override_scope&) = delete;
  override_scope& operator=(const override_scope&) = delete;
};

// A wrapper's method: the Python override when the subclass defines one, else `target`.
template <class Target, class Convert, class... Args>
auto ask_or(const calp::storage_wrapper* self, const char* method, Target&& target, Convert&& convert,
            Args&&... args) {
  if (!inside_override(self, method)) {
    py::gil_scoped_acquire gil;
    if (const py::function f = py::get_override(self, method)) {
      const override_scope scope(self, method);
      return call(f, method, std::forward<Convert>(convert), std::forward<Args>(args)...);
    }
  }
  return target();
}

// ----- how each answer converts

struct person_answer {
  const char* method;
  std::optional<versioned<person_record>> operator()(py::handle h) const {
    return optional_versioned<person_record>(h, method, "PersonRecord");
  }
};
template <class T>
struct optional_answer {
  const char* method;
  const char* record;
  std::optional<versioned<T>> operator()(py::handle h) const { return optional_versioned<T>(h, method, record); }
};
template <class T>
struct list_answer {
  const char* method;
  const char* record;
  std::vector<versioned<T>> operator()(py::handle h) const { return versioned_list<T>(h, method, record); }
};

std::vector<dossier_number> dossiers_from(py::handle h) {
  constexpr const char* method = "households_of";
  if (!py::isinstance<py::iterable>(h) || py::isinstance<py::str>(h)) {
    fail(method, "returned " + type_name(h) + " where a list of DossierNumber was expected");
  }
  std::vector<dossier_number> out;
  for (const auto item : py::reinterpret_borrow<py::iterable>(h)) {
    if (py::isinstance<py::str>(item)) {
      auto parsed = dossier_number::parse(item.cast<std::string>());
      if (!parsed) fail(method, "returned a malformed dossier number");
      out.push_back(*parsed);
    } else {
      out.push_back(as<dossier_number>(item, method, "a DossierNumber"));
    }
  }
  return out;
}

std::vector<audit_event> events_from(py::handle h) {
  return as<std::vector<audit_event>>(h, "audit_events", "a list of AuditEvent");
}

std::optional<audit_event> tail_from(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return as<audit_event>(h, "audit_tail", "an AuditEvent or None");
}

std::size_t appended(const write_batch& batch) {
  std::size_t n = 0;
  for (const auto& op : batch.operations()) n += std::holds_alternative<write_batch::append_audit_op>(op) ? 1 : 0;
  return n;
}

commit_receipt receipt_from(py::handle h, std::size_t events) {
  constexpr const char* method = "commit";
  commit_receipt r;
  if (py::isinstance<commit_receipt>(h)) {
    r = h.cast<commit_receipt>();
  } else if (!h.is_none()) {
    r.audit_seqs = as<std::vector<std::uint64_t>>(h, method, "a CommitReceipt, a list of audit seqs or None");
  }
  if (r.audit_seqs.size() != events) {
    fail(method, "returned " + std::to_string(r.audit_seqs.size()) + " audit seqs for the " +
                     std::to_string(events) + " events the batch appends");
  }
  return r;
}

// Commit through a Python method: an expected refusal raised as calp.StorageError is a
// value, anything else a storage failure. The batch is copied: Python may keep it.
result<commit_receipt> python_commit(const py::function& override, const write_batch& batch) {
  try {
    const py::object answer = override(batch);
    return receipt_from(answer, appended(batch));
  } catch (const py::error_already_set& e) {
    if (auto refusal = expected_refusal(e)) return unexpected<error>{std::move(*refusal)};
    throw failure_from(e, "commit");
  }
}

}  // namespace

// ----- py_storage

std::optional<versioned<person_record>> py_storage::find_person(const person_id& id) {
  return ask(this, "find_person", person_answer{"find_person"}, std::string(id.str()));
}
std::optional<versioned<person_record>> py_storage::find_person_by_nir(const nir& n) {
  return ask(this, "find_person_by_nir", person_answer{"find_person_by_nir"}, n);
}
std::optional<versioned<person_record>> py_storage::find_person_by_provisional_id(const provisional_id& p) {
  return ask(this, "find_person_by_provisional_id", person_answer{"find_person_by_provisional_id"}, p);
}
std::vector<versioned<person_record>> py_storage::find_persons_born_on(date birth_date, std::size_t limit) {
  if (!birth_date.ok()) return {};
  return ask(this, "find_persons_born_on", list_answer<person_record>{"find_persons_born_on", "PersonRecord"},
             birth_date, limit);
}
std::optional<versioned<household>> py_storage::find_household(const dossier_number& dossier) {
  return ask(this, "find_household", optional_answer<household>{"find_household", "Household"}, dossier);
}
std::vector<dossier_number> py_storage::households_of(const person_id& person) {
  return ask(this, "households_of", dossiers_from, std::string(person.str()));
}
std::vector<versioned<household>> py_storage::find_households_of(const person_id& person) {
  return ask(this, "find_households_of", list_answer<household>{"find_households_of", "Household"},
             std::string(person.str()));
}
std::optional<versioned<account_record>> py_storage::find_account(const person_id& person) {
  return ask(this, "find_account", optional_answer<account_record>{"find_account", "AccountRecord"},
             std::string(person.str()));
}
std::optional<versioned<account_record>> py_storage::find_account_by_franceconnect_sub(std::string_view sub) {
  if (!is_text(sub)) return std::nullopt;
  return ask(this, "find_account_by_franceconnect_sub",
             optional_answer<account_record>{"find_account_by_franceconnect_sub", "AccountRecord"}, sub);
}
std::optional<versioned<challenge_record>> py_storage::find_challenge(std::string_view key) {
  if (!is_text(key)) return std::nullopt;
  return ask(this, "find_challenge", optional_answer<challenge_record>{"find_challenge", "ChallengeRecord"}, key);
}
std::optional<versioned<throttle_record>> py_storage::find_throttle(std::string_view key) {
  if (!is_text(key)) return std::nullopt;
  return ask(this, "find_throttle", optional_answer<throttle_record>{"find_throttle", "ThrottleRecord"}, key);
}
std::optional<versioned<session_record>> py_storage::find_session(std::string_view token_hash) {
  if (!is_text(token_hash)) return std::nullopt;
  return ask(this, "find_session", optional_answer<session_record>{"find_session", "SessionRecord"}, token_hash);
}
std::vector<versioned<session_record>> py_storage::sessions_of(const person_id& person) {
  return ask(this, "sessions_of", list_answer<session_record>{"sessions_of", "SessionRecord"},
             std::string(person.str()));
}
std::vector<audit_event> py_storage::audit_events(const audit_query& q) {
  if (q.limit == 0) return {};
  return ask(this, "audit_events", events_from, q);
}
std::optional<audit_event> py_storage::audit_tail() { return ask(this, "audit_tail", tail_from); }

result<commit_receipt> py_storage::commit(const write_batch& batch) {
  if (auto valid = batch.validate(); !valid) return unexpected<error>{valid.error()};
  py::gil_scoped_acquire gil;
  return python_commit(required(this, "commit"), batch);
}

// ----- py_storage_wrapper

std::optional<versioned<person_record>> py_storage_wrapper::find_person(const person_id& id) {
  return ask_or(
      this, "find_person", [&] { return storage_wrapper::find_person(id); }, person_answer{"find_person"},
      std::string(id.str()));
}
std::optional<versioned<person_record>> py_storage_wrapper::find_person_by_nir(const nir& n) {
  return ask_or(
      this, "find_person_by_nir", [&] { return storage_wrapper::find_person_by_nir(n); },
      person_answer{"find_person_by_nir"}, n);
}
std::optional<versioned<person_record>> py_storage_wrapper::find_person_by_provisional_id(const provisional_id& p) {
  return ask_or(
      this, "find_person_by_provisional_id", [&] { return storage_wrapper::find_person_by_provisional_id(p); },
      person_answer{"find_person_by_provisional_id"}, p);
}
std::vector<versioned<person_record>> py_storage_wrapper::find_persons_born_on(date birth_date, std::size_t limit) {
  return ask_or(
      this, "find_persons_born_on", [&] { return storage_wrapper::find_persons_born_on(birth_date, limit); },
      list_answer<person_record>{"find_persons_born_on", "PersonRecord"}, birth_date, limit);
}
std::optional<versioned<household>> py_storage_wrapper::find_household(const dossier_number& dossier) {
  return ask_or(
      this, "find_household", [&] { return storage_wrapper::find_household(dossier); },
      optional_answer<household>{"find_household", "Household"}, dossier);
}
std::vector<dossier_number> py_storage_wrapper::households_of(const person_id& person) {
  return ask_or(
      this, "households_of", [&] { return storage_wrapper::households_of(person); }, dossiers_from,
      std::string(person.str()));
}
std::vector<versioned<household>> py_storage_wrapper::find_households_of(const person_id& person) {
  return ask_or(
      this, "find_households_of", [&] { return storage_wrapper::find_households_of(person); },
      list_answer<household>{"find_households_of", "Household"}, std::string(person.str()));
}
std::optional<versioned<account_record>> py_storage_wrapper::find_account(const person_id& person) {
  return ask_or(
      this, "find_account", [&] { return storage_wrapper::find_account(person); },
      optional_answer<account_record>{"find_account", "AccountRecord"}, std::string(person.str()));
}
std::optional<versioned<account_record>> py_storage_wrapper::find_account_by_franceconnect_sub(std::string_view sub) {
  if (!is_text(sub)) return storage_wrapper::find_account_by_franceconnect_sub(sub);
  return ask_or(
      this, "find_account_by_franceconnect_sub",
      [&] { return storage_wrapper::find_account_by_franceconnect_sub(sub); },
      optional_answer<account_record>{"find_account_by_franceconnect_sub", "AccountRecord"}, sub);
}
std::optional<versioned<challenge_record>> py_storage_wrapper::find_challenge(std::string_view key) {
  if (!is_text(key)) return storage_wrapper::find_challenge(key);
  return ask_or(
      this, "find_challenge", [&] { return storage_wrapper::find_challenge(key); },
      optional_answer<challenge_record>{"find_challenge", "ChallengeRecord"}, key);
}
std::optional<versioned<throttle_record>> py_storage_wrapper::find_throttle(std::string_view key) {
  if (!is_text(key)) return storage_wrapper::find_throttle(key);
  return ask_or(
      this, "find_throttle", [&] { return storage_wrapper::find_throttle(key); },
      optional_answer<throttle_record>{"find_throttle", "ThrottleRecord"}, key);
}
std::optional<versioned<session_record>> py_storage_wrapper::find_session(std::string_view token_hash) {
  if (!is_text(token_hash)) return storage_wrapper::find_session(token_hash);
  return ask_or(
      this, "find_session", [&] { return storage_wrapper::find_session(token_hash); },
      optional_answer<session_record>{"find_session", "SessionRecord"}, token_hash);
}
std::vector<versioned<session_record>> py_storage_wrapper::sessions_of(const person_id& person) {
  return ask_or(
      this, "sessions_of", [&] { return storage_wrapper::sessions_of(person); },
      list_answer<session_record>{"sessions_of", "SessionRecord"}, std::string(person.str()));
}
std::vector<audit_event> py_storage_wrapper::audit_events(const audit_query& q) {
  return ask_or(
      this, "audit_events", [&] { return storage_wrapper::audit_events(q); }, events_from, q);
}
std::optional<audit_event> py_storage_wrapper::audit_tail() {
  return ask_or(
      this, "audit_tail", [&] { return storage_wrapper::audit_tail(); }, tail_from);
}
result<commit_receipt> py_storage_wrapper::commit(const write_batch& batch) {
  const calp::storage_wrapper* self = this;
  if (!inside_override(self, "commit")) {
    py::gil_scoped_acquire gil;
    if (const py::function f = py::get_override(self, "commit")) {
      if (auto valid = batch.validate(); !valid) return unexpected<error>{valid.error()};
      const override_scope scope(self, "commit");
      return python_commit(f, batch);
    }
  }
  return storage_wrapper::commit(batch);
}

}  // namespace calp::python
