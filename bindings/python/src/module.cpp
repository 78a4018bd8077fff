// The extension `calp._core`; the package `calp` (calp/__init__.py) re-exports it with
// the exception hierarchy. One bind_* function per area, in the order their types are
// needed: a signature may name only classes already registered.
#include <string>

#include "calp/version.hpp"
#include "audit_handle.hpp"
#include "common.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "calp: personal accounts and one authorization policy for Caf households";
  m.attr("__version__") = std::string(calp::version_string);
  calp::python::bind_errors(m);
  calp::python::bind_ids(m);
  calp::python::bind_household(m);
  calp::python::bind_decide(m);
  calp::python::bind_audit_key(m);
  calp::python::bind_storage(m);
  calp::python::bind_audit(m);
  calp::python::bind_authorizer(m);
  calp::python::bind_services(m);
  calp::python::bind_accounts(m);
  calp::python::bind_forms(m);
}
