// Storages (DESIGN.md §5) and the authorizer over a storage. Every call into a storage
// releases the GIL: SQLite and PostgreSQL block on disk and network, and other Python
// threads must run meanwhile. Objects that C++ keeps (the storage of an authorizer, a
// clock written in Python) are held through `retain`, so the Python object lives as
// long as C++ uses it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/clock.hpp"
#include "calp/storage.hpp"
#include "calp/storage/memory.hpp"
#include "calp/storage/open.hpp"
#include "calp/storage_authorizer.hpp"
#include "audit_handle.hpp"
#include "common.hpp"
#include "policy_handle.hpp"
#include "python_storage.hpp"
#include "records.hpp"
#ifdef CALP_PYTHON_HAVE_SQLITE
#include "calp/storage/sqlite.hpp"
#endif
#ifdef CALP_PYTHON_HAVE_POSTGRES
#include "calp/storage/postgres.hpp"
#endif

namespace calp::python {

namespace {

using namespace pybind11::literals;

// A Python subclass of calp.Clock: `now()` must return an aware datetime.
class py_clock : public calp::clock {
 public:
  calp::timestamp now() override {
    return call_override<calp::timestamp>(static_cast<const calp::clock*>(this), "now", "calp::clock::now");
  }
};

struct py_storage_authorizer {
  std::shared_ptr<calp::storage> store;
  std::shared_ptr<const calp::policy> rules;
  std::shared_ptr<calp::clock> clock;
  std::shared_ptr<audit_writer_handle> writer;  // null: one commit per audited decision
  std::optional<calp::storage_authorizer> authorizer;

  py_storage_authorizer(std::shared_ptr<calp::storage> s, std::shared_ptr<const calp::policy> p,
                        std::shared_ptr<calp::clock> c, std::shared_ptr<audit_writer_handle> w)
      : store(std::move(s)), rules(std::move(p)), clock(std::move(c)), writer(std::move(w)) {
    if (writer) {
      authorizer.emplace(*store, writer->writer(), *rules, *clock);
    } else {
      authorizer.emplace(*store, *rules, *clock);
    }
  }
};

template <class T>
py::object versioned_or_none(std::optional<calp::versioned<T>>&& found) {
  if (!found) return py::none();
  return py::make_tuple(std::move(found->value), found->version);
}

template <class T>
py::list versioned_list(std::vector<calp::versioned<T>>&& found) {
  py::list out;
  for (auto& v : found) out.append(py::make_tuple(std::move(v.value), v.version));
  return out;
}

// A timeout given as seconds (int or float) or as a datetime.timedelta, 0 to 1 day.
std::chrono::milliseconds milliseconds_from(const py::handle& value, const char* what) {
  if (!PyDateTimeAPI) PyDateTime_IMPORT;
  double seconds = 0;
  if (PyDelta_Check(value.ptr())) {
    seconds = value.attr("total_seconds")().cast<double>();
  } else if (!PyBool_Check(value.ptr()) && (PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr()))) {
    seconds = value.cast<double>();
  } else {
    throw py::type_error(std::string(what) + " must be seconds or a datetime.timedelta");
  }
  if (!(seconds >= 0) || seconds > 86'400)
    throw py::value_error(std::string(what) + " must be 0 to 86400 seconds");
  return std::chrono::milliseconds{static_cast<std::int64_t>(seconds * 1000)};
}

}  // namespace

void bind_storage(py::module_& m) {
  bind_records(m);

  py::class_<calp::clock, py_clock, std::shared_ptr<calp::clock>>(
      m, "Clock", "Where the services read the time. Subclass it and define ``now()`` to move time by hand.")
      .def(py::init<>())
      .def("now", &calp::clock::now, "The current instant, an aware datetime.datetime (UTC).");
  py::class_<calp::system_clock, calp::clock, std::shared_ptr<calp::system_clock>>(
      m, "SystemClock", "The system's UTC clock, to the second.")
      .def(py::init<>());

  py::class_<calp::storage, py_storage, std::shared_ptr<calp::storage>>(m, "Storage", R"(What calp remembers
between two calls (DESIGN.md §5): keyed reads, and ``commit`` of a WriteBatch, all or
nothing. Every method releases the GIL and may be called from several threads;
infrastructure failures raise StorageError (``calp.storage.unavailable``, ``.corrupt``,
``.schema``, ``.failure``).

A host may write its own storage in Python: subclass it, call ``super().__init__()``,
and define every method below with the same arguments and answers (a record and its
version as a ``(record, version)`` pair, None when absent). calp calls them from any
thread, holding the GIL only during the call, and keeps the object alive as long as it
uses it. ``commit`` receives batches already validated; it refuses with
``StorageError.conflict``/``.duplicate`` (returned to calp as values) and must apply
all or nothing. Any other exception, or an answer of the wrong shape, reaches calp as a
storage failure carrying the Python message. Prove it with
``calp.testing.run_storage_conformance``; ``examples/python/custom_storage.py`` is one.)")
      .def(py::init<>(), "For subclasses written in Python.")
      .def(
          "find_person",
          [](calp::storage& s, const person_arg& id) {
            return versioned_or_none(without_gil([&] { return s.find_person(*id); }));
          },
          "id"_a, "The person ``id`` and its version, as ``(PersonRecord, int)``, or None.")
      .def(
          "find_person_by_nir",
          [](calp::storage& s, const nir_arg& n) {
            return versioned_or_none(without_gil([&] { return s.find_person_by_nir(*n); }));
          },
          "nir"_a, "The person whose Nir (or NIR text) this is, as ``(PersonRecord, int)``, or None.")
      .def(
          "find_person_by_provisional_id",
          [](calp::storage& s, const provisional_id_arg& p) {
            return versioned_or_none(without_gil([&] { return s.find_person_by_provisional_id(*p); }));
          },
          "provisional_id"_a,
          "The person whose ProvisionalId this is (whatever its validity), as ``(PersonRecord, int)``, or None.")
      .def(
          "find_persons_born_on",
          [](calp::storage& s, calp::date birth_date, std::size_t limit) {
            return versioned_list(without_gil([&] { return s.find_persons_born_on(birth_date, limit); }));
          },
          "birth_date"_a, "limit"_a,
          "The persons whose civil status has this birth date, in id order, at most ``limit``, as "
          "``(PersonRecord, version)`` pairs.")
      .def(
          "find_household",
          [](calp::storage& s, const dossier_arg& dossier) {
            return versioned_or_none(without_gil([&] { return s.find_household(*dossier); }));
          },
          "dossier"_a, "The household of ``dossier`` and its version, as ``(Household, int)``, or None.")
      .def(
          "households_of",
          [](calp::storage& s, const person_arg& person) {
            return without_gil([&] { return s.households_of(*person); });
          },
          "person"_a,
          "The dossiers that list ``person`` as a member (also one who left), in order, as DossierNumber.")
      .def(
          "find_households_of",
          [](calp::storage& s, const person_arg& person) {
            return versioned_list(without_gil([&] { return s.find_households_of(*person); }));
          },
          "person"_a,
          "The households that list ``person``, as ``(Household, version)`` pairs in dossier order.")
      .def(
          "find_account",
          [](calp::storage& s, const person_arg& person) {
            return versioned_or_none(without_gil([&] { return s.find_account(*person); }));
          },
          "person"_a, "The account of ``person`` and its version, as ``(AccountRecord, int)``, or None.")
      .def(
          "find_account_by_franceconnect_sub",
          [](calp::storage& s, const std::string& sub) {
            return versioned_or_none(without_gil([&] { return s.find_account_by_franceconnect_sub(sub); }));
          },
          "sub"_a, "The account linked to this FranceConnect subject, as ``(AccountRecord, int)``, or None.")
      .def(
          "find_challenge",
          [](calp::storage& s, const std::string& key) {
            return versioned_or_none(without_gil([&] { return s.find_challenge(key); }));
          },
          "key"_a, "The challenge under ``key``, expired or consumed or not, as ``(ChallengeRecord, int)``, or None.")
      .def(
          "find_throttle",
          [](calp::storage& s, const std::string& key) {
            return versioned_or_none(without_gil([&] { return s.find_throttle(key); }));
          },
          "key"_a, "The failure counters under ``key``, as ``(ThrottleRecord, int)``, or None.")
      .def(
          "find_session",
          [](calp::storage& s, const std::string& token_hash) {
            return versioned_or_none(without_gil([&] { return s.find_session(token_hash); }));
          },
          "token_hash"_a, "The session under ``token_hash``, expired or not, as ``(SessionRecord, int)``, or None.")
      .def(
          "sessions_of",
          [](calp::storage& s, const person_arg& person) {
            return versioned_list(without_gil([&] { return s.sessions_of(*person); }));
          },
          "person"_a, "The sessions of ``person`` in token-hash order, as ``(SessionRecord, version)`` pairs.")
      .def(
          "audit_events",
          [](calp::storage& s, const calp::audit_query& q) { return without_gil([&] { return s.audit_events(q); }); },
          "query"_a, "The AuditEvents matching the AuditQuery, in ``seq`` order.")
      .def(
          "audit_tail", [](calp::storage& s) { return without_gil([&] { return s.audit_tail(); }); },
          "The last AuditEvent appended (even when older ones were purged), or None.")
      .def(
          "commit",
          [](calp::storage& s, const calp::write_batch& batch) {
            return unwrap(without_gil([&] { return s.commit(batch); }));
          },
          "batch"_a,
          R"(Applies every operation of ``batch`` or none; returns a CommitReceipt. Raises StorageError:
``calp.storage.conflict`` (a version that is not the stored one: read again),
``calp.storage.duplicate`` (a NIR, a provisional id, an e-mail of the household, a
FranceConnect subject already used), ``calp.storage.invalid`` (a malformed batch);
``field`` names the operation.)");

  py::class_<calp::storage_wrapper, py_storage_wrapper, calp::storage, std::shared_ptr<calp::storage_wrapper>>(
      m, "StorageWrapper", R"(A storage that forwards every call to ``target``: subclass it and define
the methods to change (count, log, inject failures); the others go to ``target`` without
entering Python. Inside a method you define, ``super().<method>(…)`` or
``self.target.<method>(…)`` reaches the target. Keeps ``target`` alive.)")
      .def(py::init([](const py::object& target) {
             return std::make_shared<py_storage_wrapper>(retain<calp::storage>(target, "Storage"));
           }),
           "target"_a, "Wraps ``target``, a calp.Storage.")
      .def_property_readonly(
          "target",
          [](const calp::storage_wrapper& w) {
            return static_cast<const py_storage_wrapper&>(w).wrapped();
          },
          "The storage wrapped.");

  py::class_<calp::memory_storage, calp::storage, std::shared_ptr<calp::memory_storage>>(
      m, "MemoryStorage", "A storage in this process's memory: for tests and examples; nothing survives it.")
      .def(py::init([](const std::optional<audit_key_handle>& audit_key) {
             return std::make_shared<calp::memory_storage>(key_of(audit_key));
           }),
           "audit_key"_a = py::none(),
           "An empty storage; with ``audit_key`` (an AuditKey) every audit event it appends is chained.");

#ifdef CALP_PYTHON_HAVE_SQLITE
  py::class_<calp::sqlite_storage, calp::storage, std::shared_ptr<calp::sqlite_storage>>(
      m, "SqliteStorage", "The embedded default storage: one SQLite file, shareable by several processes.")
      .def(py::init([](const std::string& path, const py::object& busy_timeout, std::string_view durability,
                       const std::optional<audit_key_handle>& audit_key, std::optional<std::int64_t> mmap_bytes,
                       std::optional<std::int64_t> cache_kib, std::optional<std::size_t> max_idle_connections) {
             calp::sqlite_options options;
             options.path = path;
             options.audit_key = key_of(audit_key);
             options.busy_timeout = milliseconds_from(busy_timeout, "busy_timeout");
             if (mmap_bytes) {
               if (*mmap_bytes < 0) throw py::value_error("mmap_bytes must not be negative");
               options.mmap_bytes = *mmap_bytes;
             }
             if (cache_kib) {
               if (*cache_kib < 0) throw py::value_error("cache_kib must not be negative");
               options.cache_kib = *cache_kib;
             }
             if (max_idle_connections) options.max_idle_connections = *max_idle_connections;
             if (durability == "power_loss") {
               options.durability = calp::sqlite_durability::power_loss;
             } else if (durability == "process_crash") {
               options.durability = calp::sqlite_durability::process_crash;
             } else {
               throw py::value_error("durability must be 'power_loss' or 'process_crash'");
             }
             py::gil_scoped_release nogil;
             return std::make_shared<calp::sqlite_storage>(std::move(options));
           }),
           "path"_a, py::kw_only(), "busy_timeout"_a = py::float_(5.0), "durability"_a = "power_loss",
           "audit_key"_a = py::none(), "mmap_bytes"_a = py::none(), "cache_kib"_a = py::none(),
           "max_idle_connections"_a = py::none(),
           R"(Opens the SQLite file ``path``, creating it (its folder must exist) or migrating it forward.
``audit_key`` (an AuditKey): every audit event appended through this storage is chained.
``busy_timeout``: how long a call waits for another writer (seconds or a timedelta). ``durability``: ``'power_loss'``
(every commit synced) or ``'process_crash'``. ``mmap_bytes`` (default 1 GiB): bytes of the
file each connection maps for reading; set 0 when commits are frequent while deciding
(an AuditWriter, many logins): each commit unmaps the file in every other connection
(bench/RESULTS.md measured decisions 7 times slower). ``cache_kib``: page cache per
connection. ``max_idle_connections``: connections kept open for the next callers.
Raises StorageError (``calp.storage.location``, ``.unavailable``, ``.corrupt``,
``.schema``), leaving the file as it was.)");
#endif

#ifdef CALP_PYTHON_HAVE_POSTGRES
  py::class_<calp::postgres_storage, calp::storage, std::shared_ptr<calp::postgres_storage>>(
      m, "PostgresStorage", "The storage in a PostgreSQL schema, shared by several application servers.")
      .def(py::init([](const std::string& uri, std::size_t pool_size, const std::string& schema,
                       const py::object& connect_timeout, const std::optional<audit_key_handle>& audit_key) {
             calp::postgres_options options;
             options.uri = uri;
             options.audit_key = key_of(audit_key);
             options.pool_size = pool_size;
             options.schema = schema;
             options.connect_timeout = milliseconds_from(connect_timeout, "connect_timeout");
             py::gil_scoped_release nogil;
             return std::make_shared<calp::postgres_storage>(std::move(options));
           }),
           "uri"_a, py::kw_only(), "pool_size"_a = 4, "schema"_a = "calp", "connect_timeout"_a = py::float_(10.0),
           "audit_key"_a = py::none(),
           R"(Connects to ``uri`` (``postgresql://user@host:port/db``) and creates or migrates the schema.
``audit_key`` (an AuditKey): every audit event appended through this storage is chained.
``connect_timeout``: seconds or a timedelta; ``pool_size``: connections kept.
Raises StorageError (``calp.storage.location``, ``.unavailable``, ``.schema``, ``.corrupt``,
``.failure``); messages never hold the password.)")
      .def_property_readonly("schema", &calp::postgres_storage::schema, "The schema name in use.");
#endif

  m.def(
      "open_storage",
      [](std::string_view location, bool create, const std::optional<audit_key_handle>& audit_key) {
        auto key = key_of(audit_key);
        py::gil_scoped_release nogil;
        return std::shared_ptr<calp::storage>(calp::open_storage(
            location, create ? calp::open_mode::create_if_missing : calp::open_mode::must_exist,
            std::move(key)));
      },
      "location"_a, py::kw_only(), "create"_a = false, "audit_key"_a = py::none(),
      R"(Opens the storage ``location`` names: ``postgresql://…`` (PostgreSQL), ``:memory:`` (a new
MemoryStorage), anything else a SQLite file, which must exist unless ``create``. Raises
StorageError (``calp.storage.location``, ``.unavailable``, ``.corrupt``, ``.schema``).
``audit_key`` (an AuditKey): the storage chains every audit event it appends.)");
  m.def(
      "redacted_location", [](std::string_view location) { return calp::redacted_location(location); },
      "location"_a, "``location`` fit for a log: a connection URI's password replaced by ``***``.");
}

void bind_authorizer(py::module_& m) {

  py::class_<calp::authorization>(m, "Authorization",
                                  "The answer of StorageAuthorizer: a decision, never an exception.")
      .def_readonly("allowed", &calp::authorization::allowed, "Whether the action is allowed.")
      .def_readonly("reason", &calp::authorization::reason, "Stable reason code, or ``'unknown_dossier'``.")
      .def_readonly("message", &calp::authorization::message, "The French explanation to read out.")
      .def_property_readonly(
          "role", [](const calp::authorization& a) { return std::string(calp::to_string(a.role)); },
          "The role derived at the date (``'not_member'`` when the dossier is unknown).")
      .def_readonly("dossier_found", &calp::authorization::dossier_found,
                    "Whether the storage held the dossier.")
      .def_readonly("audit_seq", &calp::authorization::audit_seq,
                    "The sequence number of the audit event written for it, or None.")
      .def("__bool__", [](const calp::authorization& a) { return a.allowed; })
      .def("__repr__", [](const calp::authorization& a) {
        return std::string("Authorization(allowed=") + (a.allowed ? "True" : "False") + ", reason='" +
               a.reason + "')";
      });

  py::class_<py_storage_authorizer>(m, "StorageAuthorizer",
                                    R"(Decides through a storage (R8, R10, R19): reads the
household at each question (no cache), decides with the same engine as ``calp.decide``,
and audits front-desk and dossier-level decisions.)")
      .def(py::init([](const py::object& store, const std::optional<policy_handle>& policy,
                       const py::object& clock, std::shared_ptr<audit_writer_handle> writer) {
             std::shared_ptr<calp::clock> clk = clock.is_none() ? std::make_shared<calp::system_clock>()
                                                                : retain<calp::clock>(clock, "Clock");
             return std::make_unique<py_storage_authorizer>(
                 retain<calp::storage>(store, "Storage"),
                 policy ? policy->rules : policy_handle::caf_default().rules, std::move(clk), std::move(writer));
           }),
           "storage"_a, "policy"_a = py::none(), "clock"_a = py::none(), py::kw_only(),
           "writer"_a = py::none(),
           "Decides through ``storage`` under ``policy`` (default: the Caf's); ``clock`` (default: "
           "SystemClock) stamps the audit events. With ``writer`` (an AuditWriter), audited decisions "
           "are queued there and committed in groups (``audit_seq`` is then None; ``writer.flush()`` "
           "makes them durable); without, each is committed before the answer. Keeps them all alive.")
      .def_static(
          "audited",
          [](std::string_view action, std::string_view channel) {
            return calp::storage_authorizer::audited(unwrap(calp::parse_action(action)),
                                                     unwrap(calp::parse_channel(channel)));
          },
          "action"_a, "channel"_a, "Whether a decision on ``action`` through ``channel`` is audited.")
      .def(
          "authorize",
          [](py_storage_authorizer& self, std::string_view person, const dossier_arg& dossier,
             std::string_view action, calp::date at, std::string_view channel, std::string_view agent) {
            const auto a = unwrap(calp::parse_action(action));
            const auto c = unwrap(calp::parse_channel(channel));
            calp::result<calp::authorization> answer = calp::fail(calp::errc::storage_invalid, "");
            {
              py::gil_scoped_release nogil;
              answer = self.authorizer->authorize(person, *dossier, a, c, agent, at);
            }
            return unwrap(std::move(answer));
          },
          "person"_a, "dossier"_a, "action"_a, "at"_a, py::kw_only(), "channel"_a = "online", "agent"_a = "",
          R"(Decides whether ``person`` may do ``action`` in ``dossier`` on ``at``, on the household as
stored now, and audits it when ``audited``. An unknown dossier denies (``'unknown_dossier'``).
Raises StorageError when the audit event cannot be committed (then nothing was decided)
or the storage fails; UnknownAction, UnknownChannel.)")
      .def(
          "authorize_loaded",
          [](py_storage_authorizer& self, const calp::household* h, std::string_view person,
             const dossier_arg& dossier, std::string_view action, calp::date at, std::string_view channel,
             std::string_view agent) {
            const auto a = unwrap(calp::parse_action(action));
            const auto c = unwrap(calp::parse_channel(channel));
            calp::result<calp::authorization> answer = calp::fail(calp::errc::storage_invalid, "");
            {
              py::gil_scoped_release nogil;
              answer = self.authorizer->authorize_loaded(h, person, *dossier, a, c, agent, at);
            }
            return unwrap(std::move(answer));
          },
          "household"_a, "person"_a, "dossier"_a, "action"_a, "at"_a, py::kw_only(), "channel"_a = "online",
          "agent"_a = "",
          "As ``authorize``, on a household the caller already loaded (None: unknown dossier): no "
          "storage read, the same audit write.");
}

}  // namespace calp::python
