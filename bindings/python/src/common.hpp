#pragma once
// What every register_*.cpp shares: the date and instant conversions, the error bridge
// to the calp.Error hierarchy, argument types that take either a parsed identifier or a
// string, and `retain`, which keeps a Python object alive while C++ holds it.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

// CPython's date and time API; it needs Python.h first, which pybind11 includes.
#include <datetime.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "calp/date.hpp"
#include "calp/error.hpp"
#include "calp/ids.hpp"
#include "calp/secret.hpp"
#include "calp/time.hpp"

namespace calp::python {

namespace py = pybind11;

/// A `calp::error` on its way to Python: the translator installed by `bind_errors`
/// raises the `calp.Error` subclass of its family, with its code, message and field.
struct raised_error {
  calp::error error;
};

/// The value of `r`, or a `raised_error`.
template <class T>
T unwrap(calp::result<T>&& r) {
  if (!r) throw raised_error{std::move(r).error()};
  return std::move(*r);
}

inline void unwrap(calp::result<void>&& r) {
  if (!r) throw raised_error{r.error()};
}

/// A `calp.Error` instance for `e`, not raised (an outcome's `problem`).
[[nodiscard]] py::object error_object(const calp::error& e);

/// `s` as Python writes a str in a repr (`'zoé'`, quotes and control characters escaped).
inline std::string quoted(std::string_view s) { return py::repr(py::str(std::string(s))).cast<std::string>(); }

/// The bytes of `raw`, read in place: a key given as bytes is not copied into memory
/// nobody would wipe (the Python object is the caller's to drop).
inline std::span<const unsigned char> byte_span(const py::bytes& raw) {
  const std::string_view view = raw;
  return {reinterpret_cast<const unsigned char*>(view.data()), view.size()};
}

/// The error code whose stable name is `name` (`"calp.nir.key"`), if there is one.
[[nodiscard]] std::optional<calp::errc> errc_named(std::string_view name) noexcept;

/// The enumerator of `E` among `all` whose stable name (`to_string`) is `name`;
/// ValueError listing the names otherwise (`what` names the argument).
template <class E, std::size_t N>
E named(std::string_view name, const E (&all)[N], const char* what) {
  std::string names;
  for (const E e : all) {
    if (calp::to_string(e) == name) return e;
    names += (names.empty() ? "'" : ", '") + std::string(calp::to_string(e)) + "'";
  }
  throw py::value_error(std::string(what) + " must be one of " + names);
}

/// `f()` with the GIL released, for calls that hash passwords or wait on a storage while
/// other Python threads run. `f` must not touch Python objects.
template <class F>
auto without_gil(F&& f) {
  py::gil_scoped_release nogil;
  return f();
}

/// The name of `object`'s class, for a message (`int`, `DictStorage`).
inline std::string type_name(py::handle object) {
  return py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>();
}

/// A `shared_ptr` to the C++ object inside `object` that also owns a reference to the
/// Python object. pybind11 2.10 keeps only the C++ part of a Python subclass alive
/// through its holder: a Python notifier collected while a service still holds it fails
/// with "Tried to call pure virtual function" (STYLE.md, the lifetime trap). Through
/// this pointer the Python object lives as long as the last C++ owner.
/// Raises TypeError when `object` is not a `T` (`what` names T's Python class).
template <class T>
std::shared_ptr<T> retain(py::handle object, const char* what) {
  if (!py::isinstance<T>(object)) {
    throw py::type_error(std::string("expected a calp.") + what + ", not " +
                         type_name(object));
  }
  T* target = object.cast<T*>();
  auto* keep = new py::object(py::reinterpret_borrow<py::object>(object));
  return std::shared_ptr<T>(target, [keep](T*) {
    py::gil_scoped_acquire gil;
    delete keep;
  });
}

/// Calls the Python override of `name` on `self` with `args`, holding the GIL throughout.
/// Not PYBIND11_OVERRIDE_PURE: when the override is missing, pybind11 2.10 raises its
/// error after giving the GIL back, and its debug build then reads the Python error
/// state without the GIL (a crash, met when a service called a notifier with the GIL
/// released).
template <class Return, class Base, class... Args>
Return call_override(const Base* self, const char* name, const char* qualified, Args&&... args) {
  py::gil_scoped_acquire gil;
  const py::function override = py::get_override(self, name);
  if (!override)
    pybind11::pybind11_fail(std::string("Tried to call pure virtual function \"") + qualified + "\"");
  if constexpr (std::is_void_v<Return>) {
    override(std::forward<Args>(args)...);
  } else {
    return override(std::forward<Args>(args)...).template cast<Return>();
  }
}

/// A dossier number given as `calp.DossierNumber` or as a string (parsed; a malformed
/// one raises `calp.InvalidDossierNumber`).
struct dossier_arg {
  std::optional<calp::dossier_number> parsed;  // always set once loaded
  [[nodiscard]] const calp::dossier_number& operator*() const noexcept { return *parsed; }
};

/// A NIR or provisional identifier given as `calp.Nir`/`calp.ProvisionalId` or as a
/// string (parsed; a malformed one raises `calp.InvalidNir`/`calp.InvalidProvisionalId`).
template <class Id>
struct identifier_arg {
  std::optional<Id> parsed;  // always set once loaded
  [[nodiscard]] const Id& operator*() const noexcept { return *parsed; }
};
using nir_arg = identifier_arg<calp::nir>;
using provisional_id_arg = identifier_arg<calp::provisional_id>;

/// A secret (password, code, token) given from Python as `str` (its UTF-8 bytes) or
/// `bytes`, copied straight into a `calp::secret`, which wipes it.
struct secret_arg {
  calp::secret value;
};

/// A person id given as a string (`calp.InvalidPersonId` when malformed).
struct person_arg {
  std::optional<calp::person_id> parsed;  // always set once loaded
  [[nodiscard]] const calp::person_id& operator*() const noexcept { return *parsed; }
};

void bind_errors(py::module_& m);
void bind_ids(py::module_& m);
void bind_household(py::module_& m);
void bind_decide(py::module_& m);
void bind_storage(py::module_& m);
void bind_services(py::module_& m);
void bind_accounts(py::module_& m);
void bind_forms(py::module_& m);

}  // namespace calp::python

namespace pybind11::detail {

/// `datetime.date` <-> `calp::date`. A `datetime.datetime` is refused: which day an
/// instant falls on depends on a time zone the caller must choose.
template <>
struct type_caster<calp::date> {
  PYBIND11_TYPE_CASTER(calp::date, const_name("datetime.date"));

  bool load(handle src, bool) {
    if (!PyDateTimeAPI) PyDateTime_IMPORT;
    if (!src || !PyDate_Check(src.ptr()) || PyDateTime_Check(src.ptr())) return false;
    value = std::chrono::year{PyDateTime_GET_YEAR(src.ptr())} /
            std::chrono::month{static_cast<unsigned>(PyDateTime_GET_MONTH(src.ptr()))} /
            std::chrono::day{static_cast<unsigned>(PyDateTime_GET_DAY(src.ptr()))};
    return true;
  }

  static handle cast(calp::date d, return_value_policy, handle) {
    if (!PyDateTimeAPI) PyDateTime_IMPORT;
    return PyDate_FromDate(static_cast<int>(d.year()), static_cast<int>(static_cast<unsigned>(d.month())),
                           static_cast<int>(static_cast<unsigned>(d.day())));
  }
};

/// Aware `datetime.datetime` <-> `calp::timestamp` (UTC, whole seconds: fractions are
/// dropped). A naive datetime raises ValueError: calp never guesses a time zone. Out,
/// the datetime is in `datetime.timezone.utc`.
template <>
struct type_caster<calp::timestamp> {
  PYBIND11_TYPE_CASTER(calp::timestamp, const_name("datetime.datetime"));

  bool load(handle src, bool) {
    if (!PyDateTimeAPI) PyDateTime_IMPORT;
    if (!src || !PyDateTime_Check(src.ptr())) return false;
    if (src.attr("utcoffset")().is_none()) {
      throw value_error("naive datetime: give it a time zone (datetime.timezone.utc)");
    }
    const object utc = src.attr("astimezone")(reinterpret_borrow<object>(PyDateTime_TimeZone_UTC));
    PyObject* p = utc.ptr();
    const std::chrono::sys_days day{std::chrono::year{PyDateTime_GET_YEAR(p)} /
                                    std::chrono::month{static_cast<unsigned>(PyDateTime_GET_MONTH(p))} /
                                    std::chrono::day{static_cast<unsigned>(PyDateTime_GET_DAY(p))}};
    value = day + std::chrono::hours{PyDateTime_DATE_GET_HOUR(p)} +
            std::chrono::minutes{PyDateTime_DATE_GET_MINUTE(p)} +
            std::chrono::seconds{PyDateTime_DATE_GET_SECOND(p)};
    return true;
  }

  static handle cast(calp::timestamp t, return_value_policy, handle) {
    if (!PyDateTimeAPI) PyDateTime_IMPORT;
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    return PyDateTimeAPI->DateTime_FromDateAndTime(
        static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
        static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
        static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()), 0,
        PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
  }
};

template <>
struct type_caster<calp::python::dossier_arg> {
  PYBIND11_TYPE_CASTER(calp::python::dossier_arg, const_name("DossierNumber | str"));

  bool load(handle src, bool) {
    if (isinstance<calp::dossier_number>(src)) {
      value.parsed = src.cast<calp::dossier_number>();
      return true;
    }
    if (!isinstance<str>(src)) return false;
    value.parsed = calp::python::unwrap(calp::dossier_number::parse(src.cast<std::string>()));
    return true;
  }
};

template <class Id>
constexpr auto identifier_arg_name() {
  if constexpr (std::is_same_v<Id, calp::nir>) {
    return const_name("Nir | str");
  } else {
    return const_name("ProvisionalId | str");
  }
}

template <class Id>
struct type_caster<calp::python::identifier_arg<Id>> {
  PYBIND11_TYPE_CASTER(calp::python::identifier_arg<Id>, identifier_arg_name<Id>());

  bool load(handle src, bool) {
    if (isinstance<Id>(src)) {
      value.parsed = src.cast<Id>();
      return true;
    }
    if (!isinstance<str>(src)) return false;
    value.parsed = calp::python::unwrap(Id::parse(src.cast<std::string>()));
    return true;
  }
};

template <>
struct type_caster<calp::python::secret_arg> {
  PYBIND11_TYPE_CASTER(calp::python::secret_arg, const_name("str | bytes"));

  bool load(handle src, bool) {
    if (!src) return false;
    // Read the object's own buffer: no intermediate std::string that would outlive the
    // call unwiped.
    if (PyUnicode_Check(src.ptr())) {
      Py_ssize_t size = 0;
      const char* data = PyUnicode_AsUTF8AndSize(src.ptr(), &size);
      if (data == nullptr) throw error_already_set();
      value.value = calp::secret(std::string_view(data, static_cast<std::size_t>(size)));
      return true;
    }
    if (PyBytes_Check(src.ptr())) {
      char* data = nullptr;
      Py_ssize_t size = 0;
      if (PyBytes_AsStringAndSize(src.ptr(), &data, &size) != 0) throw error_already_set();
      value.value = calp::secret(std::string_view(data, static_cast<std::size_t>(size)));
      return true;
    }
    return false;
  }
};

template <>
struct type_caster<calp::python::person_arg> {
  PYBIND11_TYPE_CASTER(calp::python::person_arg, const_name("str"));

  bool load(handle src, bool) {
    if (!isinstance<str>(src)) return false;
    value.parsed = calp::python::unwrap(calp::person_id::parse(src.cast<std::string>()));
    return true;
  }
};

}  // namespace pybind11::detail
