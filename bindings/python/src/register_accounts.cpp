// The account service (DESIGN.md §4, R11–R17) from Python: login, sessions, the first
// connection step by step, password change and recovery, activation codes.
//
// Secrets (passwords, codes, session tokens) come in as `str` or `bytes` and are copied
// straight into a `calp::secret`, which wipes them; they go out as `str` (the token, an
// activation code) and never appear in a repr. Every service call releases the GIL:
// password hashing (Argon2id) takes tenths of a second and storages block on I/O. A
// Python notifier or clock takes the GIL back when the service calls it.
//
// AccountConfig carries every setting of `calp::account_config`; durations are
// `datetime.timedelta` in whole seconds. Its two Python callables (the legacy password
// verifier, the provisional identifier source) are held so that the service may copy and
// call them from any thread without the GIL; each call takes it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/accounts.hpp"
#include "calp/civil_status.hpp"
#include "calp/clock.hpp"
#include "calp/franceconnect.hpp"
#include "calp/ids.hpp"
#include "calp/login_throttle.hpp"
#include "calp/notifier.hpp"
#include "calp/password_hasher.hpp"
#include "calp/password_policy.hpp"
#include "calp/secret.hpp"
#include "calp/storage.hpp"
#include "calp/verification_code.hpp"
#include <pybind11/operators.h>

#include "common.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

// `calp.CodeKey`: given to one AccountService, which takes it (the key is move-only
// and wiped with the service).
struct code_key_handle {
  std::shared_ptr<std::optional<calp::code_key>> key;
};

code_key_handle hold(calp::code_key&& k) {
  return code_key_handle{std::make_shared<std::optional<calp::code_key>>(std::move(k))};
}

calp::contact_kind contact_kind_named(std::string_view name) {
  for (const auto k : {calp::contact_kind::mobile, calp::contact_kind::email}) {
    if (calp::to_string(k) == name) return k;
  }
  throw py::value_error("contact kind must be 'mobile' or 'email'");
}

py::object secret_or_none(const calp::secret& s) {
  if (s.empty()) return py::none();
  return py::str(s.view().data(), s.view().size());
}

py::object error_or_none(const std::optional<calp::error>& e) {
  if (!e) return py::none();
  return error_object(*e);
}

calp::eidas_level eidas_named(std::string_view name) {
  if (const auto level = calp::parse_eidas_level(name)) return *level;
  throw py::value_error("acr must be 'eidas1', 'eidas2' or 'eidas3'");
}

py::list errors_list(const std::vector<calp::error>& errors) {
  py::list out;
  for (const auto& e : errors) out.append(error_object(e));
  return out;
}

py::object person_or_none(const std::optional<calp::person_id>& p) {
  if (!p) return py::none();
  return py::str(std::string(p->str()));
}

// -- settings: durations, counts, Python callables ----------------------------------------

// Durations are `datetime.timedelta` in and out, in whole seconds as `std::chrono::seconds`
// holds them: a fraction is refused rather than dropped, so what the host wrote is what
// the service applies. At most 100 years: every instant the service computes from one
// (an expiry, the end of a transition) must stay within calp's years (`max_year`, 2200),
// or a storage could not read its own records back.
constexpr std::int64_t max_duration_days = 36'500;

std::chrono::seconds seconds_from(const py::handle& value, const char* what, bool zero_allowed) {
  if (!PyDateTimeAPI) PyDateTime_IMPORT;
  if (!value || !PyDelta_Check(value.ptr())) {
    throw py::type_error(std::string(what) + " must be a datetime.timedelta, not " + type_name(value));
  }
  const std::int64_t days = PyDateTime_DELTA_GET_DAYS(value.ptr());
  const std::int64_t seconds = PyDateTime_DELTA_GET_SECONDS(value.ptr());
  const std::int64_t micro = PyDateTime_DELTA_GET_MICROSECONDS(value.ptr());
  const std::string shown = py::str(value);
  if (micro != 0) throw py::value_error(std::string(what) + " must be whole seconds, not `" + shown + "`");
  const std::int64_t total = days * 86'400 + seconds;
  if (total < 0 || (total == 0 && !zero_allowed)) {
    throw py::value_error(std::string(what) + (zero_allowed ? " must not be negative" : " must be positive") +
                          ", not `" + shown + "`");
  }
  if (total > max_duration_days * 86'400) {
    throw py::value_error(std::string(what) + " must be at most 36500 days, not `" + shown + "`");
  }
  return std::chrono::seconds{total};
}

py::object timedelta_of(std::chrono::seconds s) {
  if (!PyDateTimeAPI) PyDateTime_IMPORT;
  const auto days = std::chrono::floor<std::chrono::days>(s);
  const auto rest = s - days;
  PyObject* delta = PyDelta_FromDSU(static_cast<int>(days.count()), static_cast<int>(rest.count()), 0);
  if (delta == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(delta);
}

// A count from a Python int (or anything with `__index__`) in [low, high]; a bool or a
// float is refused.
template <class T>
T count_from(const py::handle& value, const char* what, std::uint64_t low, std::uint64_t high) {
  if (!value || !PyIndex_Check(value.ptr()) || PyBool_Check(value.ptr())) {
    throw py::type_error(std::string(what) + " must be an int, not " + type_name(value));
  }
  const auto index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long n = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (n == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow != 0 || n < 0 || static_cast<std::uint64_t>(n) < low || static_cast<std::uint64_t>(n) > high) {
    throw py::value_error(std::string(what) + " must be " + std::to_string(low) + " to " + std::to_string(high) +
                          ", not `" + std::string(py::str(value)) + "`");
  }
  return static_cast<T>(n);
}

constexpr std::uint64_t uint32_max = 0xFFFF'FFFFu;

// A readable-writable `datetime.timedelta` property over a `std::chrono::seconds` member.
template <class C>
void duration_property(py::class_<C>& cls, const char* name, std::chrono::seconds C::*member, bool zero_allowed,
                       const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return timedelta_of(c.*member); },
      [member, name, zero_allowed](C& c, const py::object& v) { c.*member = seconds_from(v, name, zero_allowed); },
      doc);
}

// A readable-writable int property over an unsigned member, in [low, high].
template <class C, class T>
void count_property(py::class_<C>& cls, const char* name, T C::*member, std::uint64_t low, std::uint64_t high,
                    const char* doc) {
  cls.def_property(
      name, [member](const C& c) { return c.*member; },
      [member, name, low, high](C& c, const py::object& v) { c.*member = count_from<T>(v, name, low, high); },
      doc);
}

// A Python callable held by a C++ `std::function` that the service copies and calls from
// any thread, with or without the GIL: the shared_ptr can be copied and dropped without
// the GIL (no reference count is touched); the last owner takes the GIL to release the
// callable, and each call takes it.
using held_callable = std::shared_ptr<py::object>;

held_callable hold_callable(const py::object& fn, const char* what) {
  if (!PyCallable_Check(fn.ptr())) {
    throw py::type_error(std::string(what) + " must be callable or None, not " + type_name(fn));
  }
  return held_callable(new py::object(fn), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
}

// Where a Python exception was raised, `file:line` of its innermost frame: never its
// message nor its arguments, which may quote the password (`int("secret")` does).
std::string raised_at(const py::error_already_set& e) {
  py::object tb = e.trace();
  if (tb.is_none()) return "?";
  while (!tb.attr("tb_next").is_none()) tb = tb.attr("tb_next");
  return std::string(py::str(tb.attr("tb_frame").attr("f_code").attr("co_filename"))) + ":" +
         std::string(py::str(tb.attr("tb_lineno")));
}

// Hands `message` to `sys.unraisablehook` as a RuntimeError about `context`, the way Python
// reports an exception it cannot raise (a `__del__`, a callback). The GIL must be held.
void report_unraisable(const py::object& context, const std::string& message) {
  PyErr_SetString(PyExc_RuntimeError, message.c_str());
  PyErr_WriteUnraisable(context.ptr());
}

// `account_config::legacy_verifier` over a Python callable `(PersonRecord, str) -> bool`.
// The contract (accounts.hpp) is a bool, and R12b wants every refusal to look the same: an
// exception the callable raises, or an answer that is not a bool, is a refusal (fail
// closed) reported to `sys.unraisablehook` without its message; only `True` signs in.
// KeyboardInterrupt and SystemExit (not `Exception`s) go on up through the login.
struct python_legacy_verifier {
  held_callable fn;

  bool operator()(const calp::person_record& person, const calp::secret& typed) const {
    py::gil_scoped_acquire gil;
    // A legacy dossier password is 8 digits: an entry that is not UTF-8 cannot be one.
    PyObject* raw = PyUnicode_DecodeUTF8(typed.view().data(), static_cast<Py_ssize_t>(typed.view().size()), "strict");
    if (raw == nullptr) {
      PyErr_Clear();
      return false;
    }
    std::string problem;
    {
      auto password = py::reinterpret_steal<py::object>(raw);
      try {
        const py::object answer = (*fn)(person, password);
        if (answer.ptr() == Py_True) return true;
        if (answer.ptr() == Py_False) return false;
        problem = "calp: legacy_verifier returned " + type_name(answer) + ", not a bool; the login was refused";
      } catch (py::error_already_set& e) {
        if (!e.matches(PyExc_Exception)) throw;
        const std::string raised = py::str(e.type().attr("__qualname__"));
        problem = "calp: legacy_verifier raised " + raised + " at " + raised_at(e) + "; the login was refused";
      }
      // The exception (its traceback holds the frames that saw the password) and our copy
      // of the password are released here, before anything is reported.
    }
    report_unraisable(*fn, problem);
    return false;
  }
};

// `account_config::provisional_id_source` over a Python callable `() -> str`, which must
// answer a provisional identifier in its canonical form (`P` and 8 digits) or a
// ProvisionalId. Anything else raises out of the registration, before anything is stored.
struct python_provisional_id_source {
  held_callable fn;

  calp::provisional_id operator()() const {
    py::gil_scoped_acquire gil;
    const py::object got = (*fn)();
    if (py::isinstance<calp::provisional_id>(got)) return got.cast<calp::provisional_id>();
    if (!py::isinstance<py::str>(got)) {
      throw py::type_error("provisional_id_source must return a str, not " + type_name(got));
    }
    const auto text = got.cast<std::string>();
    auto parsed = calp::provisional_id::parse(text);
    if (!parsed || parsed->str() != text) {
      throw raised_error{calp::error{calp::errc::provisional_id_format,
                                     "provisional_id_source returned `" + text + "`, not P and 8 digits"}};
    }
    return *parsed;
  }
};

template <class Adapter, class Function>
py::object callable_of(const Function& f) {
  if (const auto* a = f.template target<Adapter>()) return *a->fn;
  return py::none();
}

// The whole configuration, checked as `account_service` will (`validate_account_config`),
// before the CodeKey is taken: a bad one raises ValueError and leaves the key usable.
void check_config(const calp::account_config& c) {
  try {
    calp::validate_account_config(c);
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
}

// `account_service::update_civil_status`'s outcome and the errors it fills in.
struct civil_status_update {
  std::string outcome;
  py::list errors;
};

struct py_account_service {
  std::shared_ptr<calp::storage> store;
  std::shared_ptr<calp::notifier> notify;
  std::shared_ptr<calp::clock> clock;
  std::optional<calp::account_service> service;

  py_account_service(std::shared_ptr<calp::storage> s, std::shared_ptr<calp::notifier> n,
                     std::shared_ptr<calp::clock> c, calp::account_config config, calp::code_key key)
      : store(std::move(s)), notify(std::move(n)), clock(std::move(c)) {
    service.emplace(*store, *notify, *clock, std::move(config), std::move(key));
  }
  // The service's destructor touches no Python object; the retained ones are released
  // after it, each taking the GIL (`retain`).
};

}  // namespace

void bind_accounts(py::module_& m) {
  py::class_<code_key_handle>(m, "CodeKey", R"(The server key that hashes every stored code and
throttle key: every process sharing a storage needs the same one; keep it apart from the
audit key. Never printable. An AccountService takes it: a CodeKey serves one service;
load the key again (``from_hex``) for another.)")
      .def_static(
          "generate", [] { return hold(calp::code_key::generate()); }, "A new key from libsodium's random generator.")
      .def_static(
          "from_bytes",
          [](const py::bytes& raw) { return hold(unwrap(calp::code_key::from_bytes(byte_span(raw)))); },
          "raw"_a, "A key from exactly 32 bytes (a secrets manager's). Raises CodeError ``calp.code.key``.")
      .def_static(
          "from_hex", [](std::string_view hex) { return hold(unwrap(calp::code_key::from_hex(hex))); }, "hex"_a,
          "A key from exactly 64 hex digits. Raises calp.Error ``calp.code.key`` (the message never "
          "quotes the text).")
      .def_property_readonly(
          "taken", [](const code_key_handle& k) { return !k.key->has_value(); },
          "Whether an AccountService already took this key.")
      .def("__repr__", [](const code_key_handle&) { return std::string("CodeKey(<secret>)"); });

  py::class_<calp::password_hash_params>(m, "PasswordHashing",
                                         "Argon2id cost of the stored password hashes.")
      .def(py::init([](const py::object& ops_limit, const py::object& mem_limit) {
             calp::password_hash_params p{count_from<std::uint64_t>(ops_limit, "ops_limit", 1, UINT64_MAX >> 1),
                                          count_from<std::size_t>(mem_limit, "mem_limit", 1, SIZE_MAX >> 1)};
             try {
               const calp::password_hasher check(p);
             } catch (const std::invalid_argument&) {
               throw py::value_error("ops_limit " + std::to_string(p.ops_limit) + " and mem_limit " +
                                     std::to_string(p.mem_limit) + " lie outside Argon2id's limits");
             }
             return p;
           }),
           py::kw_only(), "ops_limit"_a, "mem_limit"_a,
           "A cost of one's own: ``ops_limit`` passes over ``mem_limit`` bytes. Raises ValueError outside "
           "libsodium's Argon2id limits (at least 1 pass and 8 KiB). Prefer a preset.")
      .def_static("interactive", &calp::password_hash_params::interactive,
                  "The default for logins: 2 passes over 64 MiB, about 0.1 s per login.")
      .def_static("moderate", &calp::password_hash_params::moderate,
                  "3 passes over 256 MiB, about 0.5 s per login.")
      .def_static("for_tests", &calp::password_hash_params::for_tests,
                  "libsodium's minimum (1 pass, 8 KiB): no protection at all, only so tests stay fast.")
      .def_readonly("ops_limit", &calp::password_hash_params::ops_limit, "Passes (Argon2 ``t``).")
      .def_readonly("mem_limit", &calp::password_hash_params::mem_limit, "Bytes of memory per hash.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::password_hash_params& p) {
        return "PasswordHashing(ops_limit=" + std::to_string(p.ops_limit) +
               ", mem_limit=" + std::to_string(p.mem_limit) + ")";
      });

  {
    const calp::password_policy d{};
    py::class_<calp::password_policy> cls(m, "PasswordPolicy", R"(The rules a new password must satisfy
(R12). The defaults are the seed's; a host may make them stricter. Lengths count Unicode
code points. Each setting is a keyword argument and a readable-writable property.)");
    cls.def(py::init([](const py::object& min_length, const py::object& max_length, bool require_digit,
                        bool require_lower, bool require_upper, bool refuse_common, bool refuse_personal_data) {
              calp::password_policy p;
              p.min_length = count_from<std::size_t>(min_length, "min_length", 1, uint32_max);
              p.max_length = count_from<std::size_t>(max_length, "max_length", 1, uint32_max);
              p.require_digit = require_digit;
              p.require_lower = require_lower;
              p.require_upper = require_upper;
              p.refuse_common = refuse_common;
              p.refuse_personal_data = refuse_personal_data;
              return p;
            }),
            py::kw_only(), "min_length"_a = d.min_length, "max_length"_a = d.max_length,
            "require_digit"_a = d.require_digit, "require_lower"_a = d.require_lower,
            "require_upper"_a = d.require_upper, "refuse_common"_a = d.refuse_common,
            "refuse_personal_data"_a = d.refuse_personal_data,
            "The seed's rules by default. Lengths are at least 1; ``max_length`` below ``min_length`` is "
            "refused when an AccountService is built.");
    count_property(cls, "min_length", &calp::password_policy::min_length, 1, uint32_max,
                   "Shortest length allowed, in code points (default 8).");
    count_property(cls, "max_length", &calp::password_policy::max_length, 1, uint32_max,
                   "Longest length allowed, in code points (default 24).");
    cls.def_readwrite("require_digit", &calp::password_policy::require_digit, "At least one ASCII digit.")
        .def_readwrite("require_lower", &calp::password_policy::require_lower,
                       "At least one lower-case letter of the French alphabet.")
        .def_readwrite("require_upper", &calp::password_policy::require_upper,
                       "At least one upper-case letter of the French alphabet.")
        .def_readwrite("refuse_common", &calp::password_policy::refuse_common,
                       "Refuse a password on calp's block-list of common passwords.")
        .def_readwrite("refuse_personal_data", &calp::password_policy::refuse_personal_data,
                       "Refuse a password containing the person's NIR, birth date or names.")
        .def("__repr__", [](const calp::password_policy& p) {
          const auto b = [](bool v) { return v ? std::string("True") : std::string("False"); };
          return "PasswordPolicy(min_length=" + std::to_string(p.min_length) +
                 ", max_length=" + std::to_string(p.max_length) + ", require_digit=" + b(p.require_digit) +
                 ", require_lower=" + b(p.require_lower) + ", require_upper=" + b(p.require_upper) +
                 ", refuse_common=" + b(p.refuse_common) + ", refuse_personal_data=" + b(p.refuse_personal_data) +
                 ")";
        });
  }

  {
    const calp::verification_code_rules d{};
    py::class_<calp::verification_code_rules> cls(m, "VerificationCodeRules", R"(The limits of the 6-digit
codes that prove a contact point (R13). The defaults are the rule; change them only when the
Caf changes it. Durations are datetime.timedelta in whole seconds.)");
    cls.def(py::init([](const py::object& sms_validity, const py::object& email_validity,
                        const py::object& max_new_codes, const py::object& max_failed_attempts) {
              calp::verification_code_rules r;
              r.sms_validity = seconds_from(sms_validity, "sms_validity", false);
              r.email_validity = seconds_from(email_validity, "email_validity", false);
              r.max_new_codes = count_from<std::uint32_t>(max_new_codes, "max_new_codes", 0, uint32_max - 1);
              r.max_failed_attempts =
                  count_from<std::uint32_t>(max_failed_attempts, "max_failed_attempts", 1, uint32_max);
              return r;
            }),
            py::kw_only(), "sms_validity"_a = timedelta_of(d.sms_validity),
            "email_validity"_a = timedelta_of(d.email_validity), "max_new_codes"_a = d.max_new_codes,
            "max_failed_attempts"_a = d.max_failed_attempts,
            "The rule's limits by default. Validities must be positive; ``max_failed_attempts`` at least 1.");
    duration_property(cls, "sms_validity", &calp::verification_code_rules::sms_validity, false,
                      "How long a code sent by SMS opens (default 10 minutes).");
    duration_property(cls, "email_validity", &calp::verification_code_rules::email_validity, false,
                      "How long a code sent by e-mail opens (default 15 minutes).");
    // 2**32 - 1 would overflow the count of codes left (`max_new_codes + 1`) in the service.
    count_property(cls, "max_new_codes", &calp::verification_code_rules::max_new_codes, 0, uint32_max - 1,
                   "New codes a person may ask for per contact point after the first (default 3: 4 codes "
                   "in all).");
    count_property(cls, "max_failed_attempts", &calp::verification_code_rules::max_failed_attempts, 1, uint32_max,
                   "Wrong entries per code; the entry that reaches it voids the code (default 5).");
    cls.def("__repr__", [](const calp::verification_code_rules& r) {
      return "VerificationCodeRules(sms_validity=" + std::to_string(r.sms_validity.count()) +
             "s, email_validity=" + std::to_string(r.email_validity.count()) +
             "s, max_new_codes=" + std::to_string(r.max_new_codes) +
             ", max_failed_attempts=" + std::to_string(r.max_failed_attempts) + ")";
    });
  }

  {
    const calp::login_throttle_rules d{};
    py::class_<calp::login_throttle_rules> cls(m, "LoginThrottleRules", R"(Login throttling per identifier
(R12b): the first ``free_failures`` consecutive failures are free, the next blocks for
``first_delay``, each further one twice as long up to ``max_delay``; at most
``max_failures_per_window`` failures in any ``window``. The defaults are the rule. Durations
are datetime.timedelta in whole seconds; 0 turns that limit off.)");
    cls.def(py::init([](const py::object& free_failures, const py::object& first_delay, const py::object& max_delay,
                        const py::object& max_failures_per_window, const py::object& window) {
              calp::login_throttle_rules r;
              r.free_failures = count_from<std::uint32_t>(free_failures, "free_failures", 0, uint32_max);
              r.first_delay = seconds_from(first_delay, "first_delay", true);
              r.max_delay = seconds_from(max_delay, "max_delay", true);
              r.max_failures_per_window = count_from<std::uint32_t>(max_failures_per_window,
                                                                    "max_failures_per_window", 1, uint32_max);
              r.window = seconds_from(window, "window", true);
              return r;
            }),
            py::kw_only(), "free_failures"_a = d.free_failures, "first_delay"_a = timedelta_of(d.first_delay),
            "max_delay"_a = timedelta_of(d.max_delay), "max_failures_per_window"_a = d.max_failures_per_window,
            "window"_a = timedelta_of(d.window),
            "The rule's limits by default. Durations must not be negative.");
    count_property(cls, "free_failures", &calp::login_throttle_rules::free_failures, 0, uint32_max,
                   "Consecutive failures that follow one another freely (default 5).");
    duration_property(cls, "first_delay", &calp::login_throttle_rules::first_delay, true,
                      "The block after the first failure beyond the free ones (default 2 minutes).");
    duration_property(cls, "max_delay", &calp::login_throttle_rules::max_delay, true,
                      "The longest block; each further failure doubles it up to this (default 1 hour).");
    count_property(cls, "max_failures_per_window", &calp::login_throttle_rules::max_failures_per_window, 1,
                   uint32_max,
                   "Failures allowed in any span of ``window`` (default 25; the storage keeps at most 64, "
                   "a larger value counts as 64).");
    duration_property(cls, "window", &calp::login_throttle_rules::window, true,
                      "The sliding window of ``max_failures_per_window`` (default 24 hours).");
    cls.def("__repr__", [](const calp::login_throttle_rules& r) {
      return "LoginThrottleRules(free_failures=" + std::to_string(r.free_failures) +
             ", first_delay=" + std::to_string(r.first_delay.count()) +
             "s, max_delay=" + std::to_string(r.max_delay.count()) +
             "s, max_failures_per_window=" + std::to_string(r.max_failures_per_window) +
             ", window=" + std::to_string(r.window.count()) + "s)";
    });
  }

  {
    const calp::session_rules d{};
    py::class_<calp::session_rules> cls(m, "SessionRules", R"(How long sessions live. Durations are
datetime.timedelta in whole seconds.)");
    cls.def(py::init([](const py::object& idle, const py::object& absolute, const py::object& first_connection,
                        const py::object& touch_interval) {
              calp::session_rules r;
              r.idle = seconds_from(idle, "idle", false);
              r.absolute = seconds_from(absolute, "absolute", false);
              r.first_connection = seconds_from(first_connection, "first_connection", false);
              r.touch_interval = seconds_from(touch_interval, "touch_interval", true);
              return r;
            }),
            py::kw_only(), "idle"_a = timedelta_of(d.idle), "absolute"_a = timedelta_of(d.absolute),
            "first_connection"_a = timedelta_of(d.first_connection),
            "touch_interval"_a = timedelta_of(d.touch_interval),
            "calp's defaults. ``idle``, ``absolute`` and ``first_connection`` must be positive, "
            "``touch_interval`` not negative.");
    duration_property(cls, "idle", &calp::session_rules::idle, false,
                      "A session unused this long is closed (default 30 minutes).");
    duration_property(cls, "absolute", &calp::session_rules::absolute, false,
                      "A full session closes this long after it opened, used or not (default 12 hours).");
    duration_property(cls, "first_connection", &calp::session_rules::first_connection, false,
                      "A first-connection session lives at most this long (default 1 hour).");
    duration_property(cls, "touch_interval", &calp::session_rules::touch_interval, true,
                      "The last use is recorded at most this often, so ``idle`` is exact to this much "
                      "(default 1 minute).");
    cls.def("__repr__", [](const calp::session_rules& r) {
      return "SessionRules(idle=" + std::to_string(r.idle.count()) + "s, absolute=" +
             std::to_string(r.absolute.count()) + "s, first_connection=" + std::to_string(r.first_connection.count()) +
             "s, touch_interval=" + std::to_string(r.touch_interval.count()) + "s)";
    });
  }

  {
    const calp::franceconnect_config d{};
    py::class_<calp::franceconnect_config> cls(m, "FranceConnectConfig", R"(FranceConnect (R18) for this
deployment: ``issuer`` and ``client_id`` come from the host's configuration, never from a
token. An empty ``issuer`` turns FranceConnect off. Durations are datetime.timedelta in
whole seconds.)");
    cls.def(py::init([](std::string issuer, std::string client_id, const py::object& clock_skew,
                        const py::object& login_validity, std::string_view min_acr) {
              calp::franceconnect_config c;
              c.issuer = std::move(issuer);
              c.client_id = std::move(client_id);
              c.clock_skew = seconds_from(clock_skew, "clock_skew", true);
              c.login_validity = seconds_from(login_validity, "login_validity", false);
              c.min_acr = eidas_named(min_acr);
              return c;
            }),
            py::kw_only(), "issuer"_a = "", "client_id"_a = "", "clock_skew"_a = timedelta_of(d.clock_skew),
            "login_validity"_a = timedelta_of(d.login_validity), "min_acr"_a = std::string(calp::to_string(d.min_acr)),
            "Off by default. An ``issuer`` without a ``client_id`` is refused when an AccountService is "
            "built; ``min_acr`` is ``'eidas1'``, ``'eidas2'`` or ``'eidas3'``.");
    cls.def_readwrite("issuer", &calp::franceconnect_config::issuer,
                      "Exactly FranceConnect's issuer (``iss``); '' when FranceConnect is off.")
        .def_readwrite("client_id", &calp::franceconnect_config::client_id,
                       "The client id FranceConnect gave this service (the token's audience).");
    duration_property(cls, "clock_skew", &calp::franceconnect_config::clock_skew, true,
                      "Tolerated clock difference with FranceConnect on ``exp`` and ``iat`` (default 60 s).");
    duration_property(cls, "login_validity", &calp::franceconnect_config::login_validity, false,
                      "How long a login attempt (``state``, ``nonce``) stays usable (default 10 minutes).");
    cls.def_property(
           "min_acr", [](const calp::franceconnect_config& c) { return std::string(calp::to_string(c.min_acr)); },
           [](calp::franceconnect_config& c, std::string_view v) { c.min_acr = eidas_named(v); },
           "The lowest eIDAS level accepted whatever a login asked for: ``'eidas1'`` (default), "
           "``'eidas2'`` or ``'eidas3'``.")
        .def("__repr__", [](const calp::franceconnect_config& c) {
          return "FranceConnectConfig(issuer='" + c.issuer + "', client_id='" + c.client_id + "', min_acr='" +
                 std::string(calp::to_string(c.min_acr)) + "')";
        });
  }

  {
    const calp::account_config d{};
    py::class_<calp::account_config> cls(m, "AccountConfig", R"(What the account service needs besides its
seams: every setting of the C++ ``account_config``, as keyword arguments and
readable-writable properties. Durations are datetime.timedelta in whole seconds, at most
36500 days (every instant computed must stay within calp's years). The rules
objects (``passwords``, ``codes``, ``throttle``, ``sessions``, ``franceconnect``) are
edited in place (``config.sessions.idle = timedelta(minutes=5)``). An AccountService takes
a copy: later changes do not reach a service already built, which is also where the
settings are checked against each other (ValueError).)");
    cls.def(py::init([](std::string terms_version, const std::optional<calp::password_hash_params>& hashing,
                        const std::optional<calp::password_policy>& passwords,
                        const std::optional<calp::verification_code_rules>& codes,
                        const std::optional<calp::login_throttle_rules>& throttle,
                        const std::optional<calp::session_rules>& sessions, const py::object& activation_validity,
                        const py::object& max_codes_per_day, const py::object& max_reminders_per_day,
                        const py::object& legacy_verifier, const py::object& provisional_transition,
                        const py::object& provisional_id_source,
                        const std::optional<calp::franceconnect_config>& franceconnect,
                        std::string franceconnect_issuer, std::string franceconnect_client_id,
                        const std::optional<std::string>& franceconnect_min_acr) {
              calp::account_config c;
              c.terms_version = std::move(terms_version);
              if (hashing) c.password_hashing = *hashing;
              if (passwords) c.passwords = *passwords;
              if (codes) c.codes = *codes;
              if (throttle) c.throttle = *throttle;
              if (sessions) c.sessions = *sessions;
              c.activation_validity = seconds_from(activation_validity, "activation_validity", false);
              c.max_codes_per_day = count_from<std::uint32_t>(max_codes_per_day, "max_codes_per_day", 1, uint32_max);
              c.max_reminders_per_day =
                  count_from<std::uint32_t>(max_reminders_per_day, "max_reminders_per_day", 0, uint32_max);
              if (!legacy_verifier.is_none()) {
                c.legacy_verifier = python_legacy_verifier{hold_callable(legacy_verifier, "legacy_verifier")};
              }
              c.provisional_transition = seconds_from(provisional_transition, "provisional_transition", true);
              if (!provisional_id_source.is_none()) {
                c.provisional_id_source =
                    python_provisional_id_source{hold_callable(provisional_id_source, "provisional_id_source")};
              }
              const bool shorthand = !franceconnect_issuer.empty() || !franceconnect_client_id.empty() ||
                                     franceconnect_min_acr.has_value();
              if (franceconnect && shorthand) {
                throw py::value_error("give franceconnect or the franceconnect_* arguments, not both");
              }
              if (franceconnect) c.franceconnect = *franceconnect;
              c.franceconnect.issuer = franceconnect ? c.franceconnect.issuer : std::move(franceconnect_issuer);
              c.franceconnect.client_id =
                  franceconnect ? c.franceconnect.client_id : std::move(franceconnect_client_id);
              if (franceconnect_min_acr) c.franceconnect.min_acr = eidas_named(*franceconnect_min_acr);
              return c;
            }),
            "terms_version"_a, py::kw_only(), "password_hashing"_a = py::none(), "passwords"_a = py::none(),
            "codes"_a = py::none(), "throttle"_a = py::none(), "sessions"_a = py::none(),
            "activation_validity"_a = timedelta_of(d.activation_validity),
            "max_codes_per_day"_a = d.max_codes_per_day, "max_reminders_per_day"_a = d.max_reminders_per_day,
            "legacy_verifier"_a = py::none(), "provisional_transition"_a = timedelta_of(d.provisional_transition),
            "provisional_id_source"_a = py::none(), "franceconnect"_a = py::none(), "franceconnect_issuer"_a = "",
            "franceconnect_client_id"_a = "", "franceconnect_min_acr"_a = py::none(),
            "``terms_version``: the current CGU version (R16), required. None for ``password_hashing`` "
            "(PasswordHashing.interactive()), ``passwords``, ``codes``, ``throttle``, ``sessions`` and "
            "``franceconnect`` means calp's defaults. ``franceconnect_issuer``, ``franceconnect_client_id`` "
            "and ``franceconnect_min_acr`` are a shorthand for ``franceconnect=FranceConnectConfig(...)``; "
            "give one or the other. See each property for the others.");
    cls.def("validate", &check_config,
            "Raises ValueError naming the first setting no flow can work with, as AccountService "
            "would (``validate_account_config``): to report a bad configuration before anything starts.");
    cls.def_readwrite("terms_version", &calp::account_config::terms_version,
                      "The current CGU version (R16); must not be empty.")
        .def_readwrite("password_hashing", &calp::account_config::password_hashing, "The Argon2id cost.")
        .def_readwrite("passwords", &calp::account_config::passwords, "The PasswordPolicy of new passwords (R12).")
        .def_readwrite("codes", &calp::account_config::codes,
                       "The VerificationCodeRules of contact-point and recovery codes (R13).")
        .def_readwrite("throttle", &calp::account_config::throttle,
                       "The LoginThrottleRules of logins, activations and password changes (R12b).")
        .def_readwrite("sessions", &calp::account_config::sessions, "The SessionRules.")
        .def_readwrite("franceconnect", &calp::account_config::franceconnect,
                       "The FranceConnectConfig (R18); an empty issuer turns FranceConnect off.");
    duration_property(cls, "activation_validity", &calp::account_config::activation_validity, false,
                      "How long an activation code issued by the Caf stays valid (default 30 days).");
    count_property(cls, "max_codes_per_day", &calp::account_config::max_codes_per_day, 1, uint32_max,
                   "Codes sent to one person per 24 hours, all contact points together (default 10; at "
                   "least 1, or no first connection could end).");
    count_property(cls, "max_reminders_per_day", &calp::account_config::max_reminders_per_day, 0, uint32_max,
                   "Provisional identifier reminders sent to one person per 24 hours (R17, default 3; 0: "
                   "none).");
    duration_property(cls, "provisional_transition", &calp::account_config::provisional_transition, true,
                      "How long a provisional identifier still opens the account after a certified NIR "
                      "replaced it (R3, default 90 days; 0: not at all).");
    cls.def_property(
        "legacy_verifier",
        [](const calp::account_config& c) {
          return callable_of<python_legacy_verifier>(c.legacy_verifier);
        },
        [](calp::account_config& c, const py::object& fn) {
          c.legacy_verifier = fn.is_none() ? calp::legacy_password_verifier{}
                                           : calp::legacy_password_verifier{python_legacy_verifier{
                                                 hold_callable(fn, "legacy_verifier")}};
        },
        R"(None, or ``verifier(person: PersonRecord, password: str) -> bool`` checking a legacy
8-digit dossier password against the host's own system, for accounts imported without a
legacy hash, before la bascule. Called from the service's threads (it takes the GIL); must be
thread-safe and must not keep or log the password (a str calp cannot wipe, unlike its own
copy). Only ``True`` signs in: an exception it
raises, or an answer that is not a bool, is a refusal like a wrong password (R12b), reported
to ``sys.unraisablehook`` with the exception's type and line, never its message.
KeyboardInterrupt and SystemExit go on up through ``login``. A password that is not UTF-8 is
refused without a call.)");
    cls.def_property(
        "provisional_id_source",
        [](const calp::account_config& c) {
          return callable_of<python_provisional_id_source>(c.provisional_id_source);
        },
        [](calp::account_config& c, const py::object& fn) {
          c.provisional_id_source =
              fn.is_none() ? std::function<calp::provisional_id()>{}
                           : std::function<calp::provisional_id()>{
                                 python_provisional_id_source{hold_callable(fn, "provisional_id_source")}};
        },
        R"(None (new provisional identifiers are ``P`` and 8 digits from libsodium's random
generator, R3), or ``source() -> str`` answering one in that exact form (or a
ProvisionalId): for tests that force collisions (a taken one is drawn again). Anything else
raises out of ``register_primo_demandeur`` (TypeError, calp.InvalidProvisionalId) before
anything is stored; so does an exception it raises.)");
  }

  py::class_<calp::password_check>(m, "PasswordCheck", "The seed's ✓ list for a new password (R12).")
      .def_readonly("valid", &calp::password_check::valid, "Every rule holds and nothing is refused.")
      .def_readonly("length", &calp::password_check::length, "Long enough.")
      .def_readonly("digit", &calp::password_check::digit, "Holds a digit.")
      .def_readonly("lower", &calp::password_check::lower, "Holds a lower-case letter.")
      .def_readonly("upper", &calp::password_check::upper, "Holds an upper-case letter.")
      .def_readonly("confirmation", &calp::password_check::confirmation, "Both entries are the same.")
      .def_property_readonly(
          "refusals",
          [](const calp::password_check& c) {
            std::vector<std::string> out;
            for (const auto r : c.refusals) out.emplace_back(calp::to_string(r));
            return out;
          },
          "Why it is refused beyond the ✓ list, as stable names.")
      .def_readonly("code_points", &calp::password_check::code_points, "Its length in code points.");

  py::class_<calp::login_result>(m, "LoginResult", R"(What a login or an activation came to. WARNING:
``token`` opens the session: hand it to the browser, never log it.)")
      .def_property_readonly(
          "outcome", [](const calp::login_result& r) { return std::string(calp::to_string(r.outcome)); },
          "``'signed_in'``, ``'refused'`` (one answer for every refusal, R12b) or "
          "``'malformed_identifier'``.")
      .def_property_readonly(
          "token", [](const calp::login_result& r) { return secret_or_none(r.token); },
          "The session token (str) when signed in, else None.")
      .def_property_readonly(
          "person", [](const calp::login_result& r) { return person_or_none(r.person); },
          "The person id when signed in, else None.")
      .def_property_readonly(
          "next_step", [](const calp::login_result& r) { return std::string(calp::to_string(r.next_step)); },
          "``'done'`` for a full session, else the first-connection step to do now.")
      .def_property_readonly(
          "identifier_error", [](const calp::login_result& r) { return error_or_none(r.identifier_error); },
          "For ``'malformed_identifier'``: the calp.Error (not raised); else None.")
      .def("__bool__", [](const calp::login_result& r) { return r.outcome == calp::login_outcome::signed_in; })
      .def("__repr__", [](const calp::login_result& r) {
        return "LoginResult('" + std::string(calp::to_string(r.outcome)) + "', next_step='" +
               std::string(calp::to_string(r.next_step)) + "')";
      });

  py::class_<calp::session_info>(m, "SessionInfo", "A valid session.")
      .def_property_readonly(
          "person", [](const calp::session_info& s) { return std::string(s.person.str()); }, "The person id.")
      .def_property_readonly(
          "kind", [](const calp::session_info& s) { return std::string(calp::to_string(s.kind)); },
          "``'full'`` or ``'first_connection'``.")
      .def_readonly("method", &calp::session_info::method, "How the person logged in.")
      .def_property_readonly(
          "next_step", [](const calp::session_info& s) { return std::string(calp::to_string(s.next_step)); },
          "``'done'``, or the first-connection step to do now.")
      .def_readonly("expires_at", &calp::session_info::expires_at, "When it closes at the latest (UTC).");

  py::class_<civil_status_update>(m, "CivilStatusUpdate", "What a correction of the civil status came to.")
      .def_readonly("outcome", &civil_status_update::outcome,
                    "``'done'``, ``'not_signed_in'``, ``'invalid'`` or ``'locked'`` (after FranceConnect, R18).")
      .def_readonly("errors", &civil_status_update::errors,
                    "When ``'invalid'``: a calp.Error per field (``field`` names it, french_message reads it).")
      .def("__bool__", [](const civil_status_update& u) { return u.outcome == "done"; })
      .def("__repr__", [](const civil_status_update& u) { return "CivilStatusUpdate(" + quoted(u.outcome) + ")"; });

  py::class_<calp::step_result>(m, "StepResult", R"(What a step of a flow came to. WARNING: ``token``
(after a password change) opens the new session: never log it.)")
      .def_property_readonly(
          "outcome", [](const calp::step_result& r) { return std::string(calp::to_string(r.outcome)); },
          "``'done'``, ``'not_signed_in'``, ``'out_of_order'``, ``'stale_terms'``, "
          "``'password_rejected'``, ``'wrong_password'``, ``'invalid_contact'``, "
          "``'email_not_personal'``, ``'code_sent'``, ``'code_not_delivered'``, ``'too_many_codes'``, "
          "``'no_code_pending'``, ``'wrong_code'``, ``'expired_code'``, ``'void_code'``, "
          "``'malformed_code'``, ``'not_applicable'`` or ``'password_required'``.")
      .def_property_readonly(
          "next_step", [](const calp::step_result& r) { return std::string(calp::to_string(r.next_step)); },
          "What the person must do next (``'done'`` when nothing).")
      .def_readonly("password", &calp::step_result::password,
                    "For the password steps: the PasswordCheck; else None.")
      .def_property_readonly(
          "contact_error", [](const calp::step_result& r) { return error_or_none(r.contact_error); },
          "For ``'invalid_contact'``: the calp.Error (not raised); else None.")
      .def_readonly("attempts_left", &calp::step_result::attempts_left,
                    "For ``'wrong_code'``: wrong entries still allowed against this code.")
      .def_readonly("new_codes_left", &calp::step_result::new_codes_left,
                    "For ``'code_sent'``: new codes still allowed at this contact point.")
      .def_readonly("sent_to", &calp::step_result::sent_to,
                    "For ``'code_sent'``: where the code went, as the screen shows it.")
      .def_property_readonly(
          "token", [](const calp::step_result& r) { return secret_or_none(r.token); },
          "After a password change: the new session token (str); else None.")
      .def("__bool__", [](const calp::step_result& r) {
        return r.outcome == calp::step_outcome::done || r.outcome == calp::step_outcome::code_sent;
      })
      .def("__repr__", [](const calp::step_result& r) {
        return "StepResult('" + std::string(calp::to_string(r.outcome)) + "', next_step='" +
               std::string(calp::to_string(r.next_step)) + "')";
      });

  py::class_<calp::activation_code>(m, "ActivationCode", R"(A one-time activation code for a member aged
15+ (R11), to print on a letter. WARNING: ``code`` opens the account: never log it.)")
      .def_property_readonly(
          "code", [](const calp::activation_code& a) { return py::str(a.code.view().data(), a.code.view().size()); },
          "The code, ``7KQM-4TZP-X2RC``.")
      .def_readonly("expires_at", &calp::activation_code::expires_at, "When it stops opening the account (UTC).")
      .def("__repr__", [](const calp::activation_code&) { return std::string("ActivationCode(<secret>)"); });

  py::class_<calp::benefit_request_check>(m, "BenefitRequestCheck", "Whether a benefit request may be filed (R15).")
      .def_readonly("allowed", &calp::benefit_request_check::allowed, "Whether it may.")
      .def_readonly("reason", &calp::benefit_request_check::reason,
                    "``'not_signed_in'``, ``'first_connection_incomplete'`` or the policy's reason.")
      .def_readonly("message", &calp::benefit_request_check::message, "The French explanation.")
      .def("__bool__", [](const calp::benefit_request_check& c) { return c.allowed; });

  py::class_<calp::registration_result>(m, "RegistrationResult", R"(What a primo-demandeur registration
came to (R15, R4). WARNING: ``token`` opens the first-connection session: never log it.)")
      .def_property_readonly(
          "outcome", [](const calp::registration_result& r) { return std::string(calp::to_string(r.outcome)); },
          "``'registered'``, ``'invalid'`` (see ``errors``) or ``'already_registered'``.")
      .def_property_readonly(
          "errors", [](const calp::registration_result& r) { return errors_list(r.errors); },
          "For ``'invalid'``: one calp.Error (not raised) per field, ``field`` naming it.")
      .def_property_readonly(
          "person", [](const calp::registration_result& r) { return person_or_none(r.person); },
          "The new person id, or None.")
      .def_readonly("provisional", &calp::registration_result::provisional,
                    "The ProvisionalId issued (no NIR, or one inconsistent with the civil status), or None.")
      .def_property_readonly(
          "nir_mismatches",
          [](const calp::registration_result& r) {
            std::vector<std::string> out;
            for (const auto x : r.nir_mismatches) out.emplace_back(calp::to_string(x));
            return out;
          },
          "Why the NIR typed was not taken (``'sex'``, ``'birth_year'``, …).")
      .def_property_readonly(
          "token", [](const calp::registration_result& r) { return secret_or_none(r.token); },
          "The first-connection session token (str) when registered, else None.")
      .def_property_readonly(
          "next_step",
          [](const calp::registration_result& r) { return std::string(calp::to_string(r.next_step)); },
          "The first-connection step to do now.")
      .def("__bool__",
           [](const calp::registration_result& r) { return r.outcome == calp::registration_outcome::registered; })
      .def("__repr__", [](const calp::registration_result& r) {
        return "RegistrationResult('" + std::string(calp::to_string(r.outcome)) + "')";
      });

  py::class_<calp::registration_recap>(m, "RegistrationRecap", "The seed's « Récapitulatif de ma création de compte ».")
      .def_readonly("identifier", &calp::registration_recap::identifier,
                    "What the person logs in with: the provisional identifier, or the NIR masked.")
      .def_readonly("provisional", &calp::registration_recap::provisional, "Whether it is a provisional identifier.")
      .def_readonly("civil", &calp::registration_recap::civil, "The CivilStatus recorded.")
      .def_readonly("contacts", &calp::registration_recap::contacts, "The ContactPoints recorded.");

  py::class_<calp::franceconnect_start>(m, "FranceConnectStart", R"(The start of a FranceConnect login:
``state`` and ``nonce`` go into the authorization request. WARNING: both are secrets.)")
      .def_property_readonly(
          "state", [](const calp::franceconnect_start& s) { return secret_or_none(s.state); }, "The ``state`` (str).")
      .def_property_readonly(
          "nonce", [](const calp::franceconnect_start& s) { return secret_or_none(s.nonce); }, "The ``nonce`` (str).")
      .def_property_readonly(
          "acr", [](const calp::franceconnect_start& s) { return std::string(calp::to_string(s.acr)); },
          "The ``acr_values`` to ask for (``'eidas1'``…).")
      .def("__repr__", [](const calp::franceconnect_start& s) {
        return "FranceConnectStart(acr='" + std::string(calp::to_string(s.acr)) + "')";
      });

  py::class_<calp::franceconnect_result>(m, "FranceConnectResult", R"(What a FranceConnect login came to
(R18). WARNING: ``token`` opens the session: never log it.)")
      .def_property_readonly(
          "outcome", [](const calp::franceconnect_result& r) { return std::string(calp::to_string(r.outcome)); },
          "``'signed_in'``, ``'refused'`` (see ``problem``), ``'malformed_claims'``, "
          "``'identity_unknown'``, ``'identity_ambiguous'`` or ``'disabled'``.")
      .def_property_readonly(
          "problem",
          [](const calp::franceconnect_result& r) -> py::object {
            if (!r.problem) return py::none();
            return py::str(std::string(calp::to_string(*r.problem)));
          },
          "For ``'refused'``: the failed check (``'wrong_issuer'``, ``'expired'``, …); else None.")
      .def_property_readonly(
          "claims_error", [](const calp::franceconnect_result& r) { return error_or_none(r.claims_error); },
          "For ``'malformed_claims'``: the calp.Error (not raised); else None.")
      .def_property_readonly(
          "token", [](const calp::franceconnect_result& r) { return secret_or_none(r.token); },
          "The session token (str) when signed in, else None.")
      .def_property_readonly(
          "person", [](const calp::franceconnect_result& r) { return person_or_none(r.person); },
          "The person id when signed in, else None.")
      .def_property_readonly(
          "next_step",
          [](const calp::franceconnect_result& r) { return std::string(calp::to_string(r.next_step)); },
          "``'done'``, or the first-connection step to do now.")
      .def_readonly("linked", &calp::franceconnect_result::linked,
                    "Whether this login linked the FranceConnect identity to the account.")
      .def("__bool__",
           [](const calp::franceconnect_result& r) { return r.outcome == calp::franceconnect_outcome::signed_in; })
      .def("__repr__", [](const calp::franceconnect_result& r) {
        return "FranceConnectResult('" + std::string(calp::to_string(r.outcome)) + "')";
      });

  py::class_<py_account_service>(m, "AccountService", R"(The account service (R11–R17): one method per
screen of the seed. Person mistakes are outcomes, never exceptions; storage failures raise
StorageError. Thread-safe: one object serves every thread; every call releases the GIL
(password hashing and storage I/O run while other Python threads do).)")
      .def(py::init([](const py::object& store, const py::object& notifier, const py::object& clock,
                       const calp::account_config& config, code_key_handle& key) {
             if (!key.key->has_value()) throw py::value_error("this CodeKey was already given to a service");
             std::shared_ptr<calp::clock> clk = clock.is_none() ? std::make_shared<calp::system_clock>()
                                                                : retain<calp::clock>(clock, "Clock");
             auto s = retain<calp::storage>(store, "Storage");
             auto n = retain<calp::notifier>(notifier, "Notifier");
             check_config(config);
             calp::code_key taken = std::move(**key.key);
             key.key->reset();
             return std::make_unique<py_account_service>(std::move(s), std::move(n), std::move(clk), config,
                                                         std::move(taken));
           }),
           "storage"_a, "notifier"_a, "clock"_a, "config"_a, "code_key"_a,
           "A service over ``storage`` that reaches people through ``notifier`` and reads the time from "
           "``clock`` (None: SystemClock), with a copy of ``config``. Takes ``code_key``; keeps the others "
           "alive. Raises ValueError, before taking the key, when ``config`` is inconsistent: empty "
           "``terms_version``, hashing cost outside Argon2id's limits, ``passwords.max_length`` below "
           "``min_length``, a FranceConnect issuer without a client id.")
      .def(
          "import_account",
          [](py_account_service& self, const calp::person_record& person, std::string legacy_hash) {
            unwrap(without_gil([&] { return self.service->import_account(person, std::move(legacy_hash)); }));
          },
          "person"_a, "legacy_password_hash"_a = "",
          "Records a person and their account before la bascule, with the hash of the legacy dossier "
          "password (from ``hash_legacy_password``). Raises StorageError ``calp.storage.conflict`` "
          "(the person or account exists) or ``.duplicate`` (NIR or provisional id taken).")
      .def(
          "hash_legacy_password",
          [](py_account_service& self, secret_arg& password) {
            return without_gil([&] { return self.service->hash_legacy_password(password.value); });
          },
          "password"_a, "The hash to import for a legacy dossier password (Argon2id; releases the GIL).")
      .def(
          "issue_activation_code",
          [](py_account_service& self, const person_arg& person, std::string_view agent) {
            return unwrap(without_gil([&] { return self.service->issue_activation_code(*person, agent); }));
          },
          "person"_a, "agent"_a,
          "A one-time ActivationCode for ``person``, issued by ``agent``. Raises calp.Error "
          "``calp.account.unknown`` or ``calp.account.state``.")
      .def(
          "login",
          [](py_account_service& self, std::string_view identifier, secret_arg& password) {
            return without_gil([&] { return self.service->login(identifier, std::move(password.value)); });
          },
          "identifier"_a, "password"_a,
          "Logs in with a NIR or a provisional identifier and a password (str or bytes): a "
          "LoginResult. Throttled per identifier; every refusal looks the same (R12b).")
      .def(
          "activate",
          [](py_account_service& self, std::string_view identifier, secret_arg& code) {
            return without_gil([&] { return self.service->activate(identifier, code.value.view()); });
          },
          "identifier"_a, "code"_a, "First access with an activation code: a LoginResult.")
      .def(
          "session",
          [](py_account_service& self, secret_arg& token) {
            return without_gil([&] { return self.service->session(token.value); });
          },
          "token"_a, "The SessionInfo of ``token`` if it is valid now (records its use), else None.")
      .def(
          "logout",
          [](py_account_service& self, secret_arg& token) {
            without_gil([&] { self.service->logout(token.value); });
          },
          "token"_a, "Closes the session; an unknown or closed one is ignored.")
      .def(
          "accept_terms",
          [](py_account_service& self, secret_arg& token, std::string_view version) {
            return without_gil([&] { return self.service->accept_terms(token.value, version); });
          },
          "token"_a, "version"_a, "Accepts the CGU ``version``, which must be the current one.")
      .def(
          "create_password",
          [](py_account_service& self, secret_arg& token, secret_arg& password, secret_arg& confirmation) {
            return without_gil([&] {
              return self.service->create_password(token.value, std::move(password.value),
                                                   std::move(confirmation.value));
            });
          },
          "token"_a, "password"_a, "confirmation"_a,
          "Sets the personal password (typed twice); ``password`` on the result holds the ✓ list.")
      .def(
          "send_contact_code",
          [](py_account_service& self, secret_arg& token, std::string_view kind, std::string_view contact) {
            const auto k = contact_kind_named(kind);
            return without_gil([&] { return self.service->send_contact_code(token.value, k, contact); });
          },
          "token"_a, "kind"_a, "contact"_a,
          "Gives a contact point (``kind`` ``'mobile'`` or ``'email'``) and sends a code to it; again "
          "with another point, it is « Modifier vos coordonnées ».")
      .def(
          "resend_contact_code",
          [](py_account_service& self, secret_arg& token) {
            return without_gil([&] { return self.service->resend_contact_code(token.value); });
          },
          "token"_a, "« Demander l'envoi d'un nouveau code »: a new code to the same point (R13 limits).")
      .def(
          "confirm_contact",
          [](py_account_service& self, secret_arg& token, secret_arg& code) {
            return without_gil([&] { return self.service->confirm_contact(token.value, code.value.view()); });
          },
          "token"_a, "code"_a, "Checks the code typed for the pending contact point.")
      .def(
          "answer_delegation_offer",
          [](py_account_service& self, secret_arg& token, bool grant) {
            return without_gil([&] { return self.service->answer_delegation_offer(token.value, grant); });
          },
          "token"_a, "grant"_a,
          "The allocataire in a couple answers the délégation offer; yes grants it from today.")
      .def(
          "change_password",
          [](py_account_service& self, secret_arg& token, secret_arg& current, secret_arg& password,
             secret_arg& confirmation) {
            return without_gil([&] {
              return self.service->change_password(token.value, std::move(current.value),
                                                   std::move(password.value), std::move(confirmation.value));
            });
          },
          "token"_a, "current"_a, "password"_a, "confirmation"_a,
          "Changes the password of a full session; closes every session and opens a new one "
          "(``token`` on the result).")
      .def(
          "request_password_reset",
          [](py_account_service& self, std::string_view identifier, std::string_view via) {
            const auto k = contact_kind_named(via);
            return std::string(
                calp::to_string(without_gil([&] { return self.service->request_password_reset(identifier, k); })));
          },
          "identifier"_a, "via"_a,
          "« Mot de passe oublié ? »: sends a code to a verified contact point. ``'accepted'`` whether or "
          "not an account exists, or ``'malformed_identifier'``.")
      .def(
          "reset_password",
          [](py_account_service& self, std::string_view identifier, secret_arg& code, secret_arg& password,
             secret_arg& confirmation) {
            return without_gil([&] {
              return self.service->reset_password(identifier, code.value.view(), std::move(password.value),
                                                  std::move(confirmation.value));
            });
          },
          "identifier"_a, "code"_a, "password"_a, "confirmation"_a,
          "Sets a new password with the code sent by ``request_password_reset``; closes every session.")
      .def(
          "may_request_benefit",
          [](py_account_service& self, secret_arg& token) {
            return without_gil([&] { return self.service->may_request_benefit(token.value); });
          },
          "token"_a, "R15: may the person of ``token`` file a benefit request now?")
      .def(
          "certify_nir",
          [](py_account_service& self, const person_arg& person, const nir_arg& certified,
             std::string_view agent) {
            unwrap(without_gil([&] { return self.service->certify_nir(*person, *certified, agent); }));
          },
          "person"_a, "nir"_a, "agent"_a,
          "The Caf certified ``nir`` for a person known by a provisional identifier, which still opens "
          "the account for a transition. Raises calp.Error ``calp.account.unknown``, "
          "``calp.account.state``; StorageError ``calp.storage.duplicate``.")
      .def(
          "next_step",
          [](py_account_service& self, const person_arg& person) {
            return std::string(
                calp::to_string(unwrap(without_gil([&] { return self.service->next_step(*person); }))));
          },
          "person"_a, "The first-connection step ``person`` must do next, or ``'done'``. Raises "
          "calp.Error ``calp.account.unknown``.")
      .def(
          "register_primo_demandeur",
          [](py_account_service& self, const calp::civil_status& civil, std::string nir) {
            calp::primo_declaration declaration{civil, std::move(nir)};
            return without_gil([&] { return self.service->register_primo_demandeur(declaration); });
          },
          "civil"_a, "nir"_a = "",
          "Creates the personal space of a person with no dossier (R15, R4): a RegistrationResult. With a "
          "valid NIR consistent with ``civil`` the NIR is the identifier, else a provisional one is issued.")
      .def(
          "recap",
          [](py_account_service& self, secret_arg& token) {
            return without_gil([&] { return self.service->recap(token.value); });
          },
          "token"_a, "The RegistrationRecap of the person of ``token``, or None.")
      .def(
          "remind_provisional_id",
          [](py_account_service& self, std::string family_name, calp::date birth_date, std::string_view via,
             std::string contact) {
            calp::provisional_id_reminder_request request{std::move(family_name), birth_date,
                                                          contact_kind_named(via), std::move(contact)};
            return std::string(
                calp::to_string(without_gil([&] { return self.service->remind_provisional_id(request); })));
          },
          "family_name"_a, "birth_date"_a, "via"_a, "contact"_a,
          "« Identifiant provisoire oublié ? » (R17): ``'accepted'`` whether or not a person matches, or "
          "``'invalid_contact'``.")
      .def(
          "update_civil_status",
          [](py_account_service& self, secret_arg& token, const calp::civil_status& civil) {
            std::vector<calp::error> errors;
            const auto outcome =
                without_gil([&] { return self.service->update_civil_status(token.value, civil, &errors); });
            static constexpr const char* names[] = {"done", "not_signed_in", "invalid", "locked"};
            return civil_status_update{names[static_cast<int>(outcome)], errors_list(errors)};
          },
          "token"_a, "civil"_a,
          "The person of a full session corrects their civil status: a CivilStatusUpdate (``outcome`` "
          "``'done'``, ``'not_signed_in'``, ``'invalid'`` with ``errors`` per field, or ``'locked'``).")
      .def(
          "begin_franceconnect",
          [](py_account_service& self, const std::optional<std::string>& acr) {
            std::optional<calp::eidas_level> level;
            if (acr) level = eidas_named(*acr);
            return without_gil([&] { return self.service->begin_franceconnect(level); });
          },
          "acr"_a = py::none(), "Starts a FranceConnect login (R18): a FranceConnectStart.")
      .def(
          "complete_franceconnect",
          [](py_account_service& self, secret_arg& state, std::string_view claims_json) {
            return without_gil([&] { return self.service->complete_franceconnect(state.value.view(), claims_json); });
          },
          "state"_a, "claims_json"_a,
          "Ends a FranceConnect login with the ``state`` returned to the callback and the verified claims "
          "(ID token merged with userinfo, one JSON object): a FranceConnectResult.")
      .def(
          "unlink_franceconnect",
          [](py_account_service& self, secret_arg& token) {
            return without_gil([&] { return self.service->unlink_franceconnect(token.value); });
          },
          "token"_a,
          "Removes the FranceConnect link of the person of ``token``; ``'password_required'`` when the "
          "account has no password to log in with afterwards.")
      .def(
          "add_password",
          [](py_account_service& self, secret_arg& token, secret_arg& password, secret_arg& confirmation) {
            return without_gil([&] {
              return self.service->add_password(token.value, std::move(password.value),
                                                std::move(confirmation.value));
            });
          },
          "token"_a, "password"_a, "confirmation"_a,
          "An account opened by FranceConnect, which has no password, adds one (R12 policy).");
}

}  // namespace calp::python
