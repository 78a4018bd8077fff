// Expected failures (`calp::error`, `calp::storage_error`) become exceptions of the
// calp.Error hierarchy, which is defined in Python (calp/__init__.py) so that it is
// plain Python classes with docstrings; the family of a code picks the class there.
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "calp/storage.hpp"
#include "common.hpp"

namespace calp::python {

py::object error_object(const calp::error& e) {
  const std::string code(to_string(e.code));
  const py::object cls = py::module_::import("calp").attr("_error_class")(code);
  return cls(e.message, code, e.field);
}

std::optional<calp::errc> errc_named(std::string_view name) noexcept {
  // The codes are numbered from 0 without gaps; past the last one `to_string` answers
  // "calp.unknown".
  for (std::uint16_t c = 0;; ++c) {
    const auto code = static_cast<calp::errc>(c);
    const std::string_view known = to_string(code);
    if (known == "calp.unknown") return std::nullopt;
    if (known == name) return code;
  }
}

namespace {

void set_error(const calp::error& e) {
  const py::object instance = error_object(e);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(instance.ptr())), instance.ptr());
}

}  // namespace

void bind_errors(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const raised_error& e) {
      set_error(e.error);
    } catch (const calp::storage_error& e) {
      // what() starts with the code, which the Python error carries apart.
      std::string_view message = e.what();
      const std::string prefix = std::string(to_string(e.code())) + ": ";
      if (message.substr(0, prefix.size()) == prefix) message.remove_prefix(prefix.size());
      set_error(calp::error{e.code(), std::string(message)});
    } catch (const calp::bad_result_access& e) {
      set_error(e.error());
    }
  });

  m.def(
      "error_codes",
      [] {
        py::list codes;
        // Numbered from 0 without gaps, as `errc_named` reads them.
        for (std::uint16_t c = 0; to_string(static_cast<calp::errc>(c)) != "calp.unknown"; ++c) {
          codes.append(std::string(to_string(static_cast<calp::errc>(c))));
        }
        return codes;
      },
      "Every stable error code of this calp (``\"calp.nir.key\"``, …), in declaration order.");
}

}  // namespace calp::python
