// Household facts (DESIGN.md §3): read from the interchange format by the library's own
// codec (`household::from_json`), as a JSON string or as a dict, and written back the
// same way. The Python objects are read-only views of an immutable household.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calp/household.hpp"
#include "calp/roles.hpp"
#include "common.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

// json.dumps with dates written as ISO days, so a dict may hold either strings or
// datetime.date values.
std::string dump_json(const py::handle& document) {
  const py::object json = py::module_::import("json");
  const py::cpp_function iso_dates([](const py::object& value) -> py::object {
    if (!PyDateTimeAPI) PyDateTime_IMPORT;
    if (PyDate_Check(value.ptr()) && !PyDateTime_Check(value.ptr())) return value.attr("isoformat")();
    throw py::type_error("not JSON serializable: " + std::string(py::str(value.get_type())));
  });
  return json.attr("dumps")(document, "default"_a = iso_dates).cast<std::string>();
}

}  // namespace

void bind_household(py::module_& m) {
  py::class_<calp::benefit>(m, "Benefit", "A benefit held from ``from_`` to ``until`` inclusive.")
      .def(py::init([](std::string code, calp::date from, std::optional<calp::date> until) {
             return calp::benefit{std::move(code), from, until};
           }),
           "code"_a, "from_"_a, "until"_a = py::none(),
           "A benefit to record (HouseholdService); the code is checked where it is recorded.")
      .def_readonly("code", &calp::benefit::code, "Upper-case code (``AAH``, ``AF``).")
      .def_readonly("from_", &calp::benefit::from, "First day held.")
      .def_readonly("until", &calp::benefit::until, "Last day held, or None: still held.")
      .def("held_at", &calp::benefit::held_at, "day"_a, "Whether the benefit is held on ``day``.")
      .def_property_readonly("is_personal", &calp::benefit::is_personal,
                             "One of AJPA, BAFA, AAH, PALA (they make a conjoint a conjoint allocataire).")
      .def("__repr__", [](const calp::benefit& b) {
        return "Benefit('" + b.code + "', " + calp::format_date(b.from) + ", " +
               (b.until ? calp::format_date(*b.until) : std::string("None")) + ")";
      });

  py::class_<calp::member>(m, "Member", "A person's membership of the household.")
      .def_property_readonly(
          "id", [](const calp::member& mb) { return std::string(mb.id.str()); },
          "The person id in the household.")
      .def_property_readonly(
          "role", [](const calp::member& mb) { return std::string(calp::to_string(mb.role)); },
          "The recorded role: ``'allocataire'``, ``'conjoint'`` or ``'other'``.")
      .def_readonly("birth_date", &calp::member::birth_date, "Birth date.")
      .def_readonly("benefits", &calp::member::benefits, "Benefits held, as a list of Benefit.")
      .def_readonly("left", &calp::member::left, "Not a member on and after this day, or None.")
      .def("member_at", &calp::member::member_at, "day"_a, "Whether still a member on ``day``.")
      .def("__repr__", [](const calp::member& mb) {
        return "Member('" + std::string(mb.id.str()) + "', '" + std::string(calp::to_string(mb.role)) + "')";
      });

  py::class_<calp::delegation>(m, "Delegation", "The délégation de gestion to the conjoint (R7).")
      .def_property_readonly(
          "to", [](const calp::delegation& d) { return std::string(d.to.str()); },
          "The conjoint's person id.")
      .def_readonly("granted", &calp::delegation::granted, "Applies from this day.")
      .def_readonly("revoked", &calp::delegation::revoked,
                    "No longer applies on and after this day, or None.")
      .def("active_at", &calp::delegation::active_at, "day"_a, "Whether it applies on ``day``.");

  py::class_<calp::household>(m, "Household", R"(One dossier and its members: immutable, built only from the
interchange format of DESIGN.md §3, which checks every invariant.)")
      .def_static(
          "from_json", [](std::string_view text) { return unwrap(calp::household::from_json(text)); },
          "text"_a,
          R"(Reads a household document. Raises InvalidJson (``calp.json.*``: syntax, type, unknown or
missing field, over a limit), InvalidHousehold (``calp.household.*``), InvalidDate or
InvalidPersonId; the error's ``field`` names the place (``members[1].role``).)")
      .def_static(
          "from_dict",
          [](const py::dict& document) { return unwrap(calp::household::from_json(dump_json(document))); },
          "document"_a,
          "Reads a household from a dict of the interchange format (dates as ``'YYYY-MM-DD'`` or "
          "datetime.date). Raises as ``from_json``.")
      .def("to_json", &calp::household::to_json, "The interchange format; ``from_json`` reads it back equal.")
      .def(
          "to_dict",
          [](const calp::household& h) { return py::module_::import("json").attr("loads")(h.to_json()); },
          "The interchange format as a dict (dates as ``'YYYY-MM-DD'`` strings).")
      .def_property_readonly("dossier", &calp::household::dossier, "The DossierNumber.")
      .def_property_readonly(
          "members",
          [](const calp::household& h) {
            return std::vector<calp::member>(h.members().begin(), h.members().end());
          },
          "Every member, as listed (also those who left).")
      .def_property_readonly("delegation", &calp::household::delegation, "The Delegation, or None.")
      .def_property_readonly("allocataire", &calp::household::allocataire, "The allocataire's Member.")
      .def_property_readonly(
          "conjoint",
          [](const calp::household& h) -> std::optional<calp::member> {
            if (const auto* c = h.conjoint()) return *c;
            return std::nullopt;
          },
          "The conjoint's Member (even one who left), or None.")
      .def(
          "find",
          [](const calp::household& h, std::string_view id) -> std::optional<calp::member> {
            if (const auto* mb = h.find(id)) return *mb;
            return std::nullopt;
          },
          "id"_a, "The member with this id, or None.")
      .def(
          "role_at",
          [](const calp::household& h, std::string_view person, calp::date at) {
            return std::string(calp::to_string(calp::role_at(h, person, at)));
          },
          "person"_a, "at"_a,
          "The role derived on ``at`` (R5–R7): ``'allocataire'``, ``'conjoint'``, "
          "``'conjoint_allocataire'``, ``'other'``, ``'under_15'`` or ``'not_member'``.")
      .def(
          "standing_at",
          [](const calp::household& h, std::string_view person, calp::date at) {
            const calp::standing st = calp::standing_at(h, person, at);
            return py::dict("role"_a = std::string(calp::to_string(st.role)),
                            "libelle"_a = std::string(calp::libelle(st.role)),
                            "has_delegation"_a = st.has_delegation, "in_couple"_a = st.in_couple);
          },
          "person"_a, "at"_a,
          "What the policy knows of ``person`` on ``at``, for a front-desk screen: a dict with "
          "``role`` (as ``role_at``), ``libelle`` (the role in French, ``'conjoint allocataire'``), "
          "``has_delegation`` (the conjoint's délégation applies, R7) and ``in_couple``.")
      .def(
          "__eq__", [](const calp::household& a, const calp::household& b) { return a == b; },
          py::is_operator())
      .def("__repr__", [](const calp::household& h) {
        return "Household(dossier='" + std::string(h.dossier().str()) +
               "', members=" + std::to_string(h.members().size()) + ")";
      });
}

}  // namespace calp::python
