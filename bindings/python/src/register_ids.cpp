// Identifiers (R1–R3): Nir, ProvisionalId, DossierNumber, LoginIdentifier. Each is
// immutable and hashable. A NIR is sensitive: its str() and repr() are masked, and only
// `.value` and `.formatted` give it whole.
#include <functional>
#include <string>
#include <string_view>

#include "calp/ids.hpp"
#include "calp/nir.hpp"
#include "common.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

calp::nir_profile profile(bool lenient) {
  return lenient ? calp::nir_profile::lenient : calp::nir_profile::strict;
}

std::string_view month_kind_name(calp::nir_month_kind k) {
  switch (k) {
    case calp::nir_month_kind::calendar:
      return "calendar";
    case calp::nir_month_kind::unknown:
      return "unknown";
    case calp::nir_month_kind::pseudo_fictitious:
      return "pseudo_fictitious";
  }
  return "unknown";
}

// Equality, hashing and str() from the canonical form, for the small identifier types.
template <class T>
void add_value_semantics(py::class_<T>& cls) {
  cls.def(
         "__eq__", [](const T& a, const T& b) { return a == b; }, py::is_operator())
      .def("__hash__", [](const T& a) { return std::hash<std::string_view>{}(a.str()); });
}

}  // namespace

void bind_ids(py::module_& m) {
  py::class_<calp::nir> nir(m, "Nir", R"(A NIR that passed every check of its profile (R1, R2).

WARNING: a NIR is sensitive (décret n° 2019-341). ``str()`` and ``repr()`` show it
masked; only ``value`` and ``formatted`` give it whole: never log them.)");
  nir.def_static(
         "parse",
         [](std::string_view text, bool lenient) { return unwrap(calp::nir::parse(text, profile(lenient))); },
         "text"_a, py::kw_only(), "lenient"_a = false,
         R"(Parses a NIR typed by a person: ASCII spaces, no-break spaces, ``.`` and ``-`` are
stripped and ``a``/``b`` upper-cased. ``lenient`` also accepts the sex digits 3, 4, 7
and 8. Raises InvalidNir whose ``code`` names the first failed check
(``calp.nir.length``, ``.character``, ``.sex``, ``.month``, ``.department``, ``.order``,
``.key``).)")
      .def_static(
          "compute_key", [](std::string_view body) { return unwrap(calp::nir::compute_key(body)); }, "body"_a,
          "The key (1–97) of a 13-character body, normalised as by ``parse``. Raises InvalidNir "
          "(``calp.nir.length``, ``calp.nir.character``).")
      .def_property_readonly(
          "value", [](const calp::nir& n) { return std::string(n.str()); },
          "The canonical 15 characters. WARNING: sensitive.")
      .def_property_readonly("formatted", &calp::nir::formatted,
                             "Grouped for reading, ``2 84 05 2A 321 025 52``. WARNING: sensitive.")
      .def_property_readonly("masked", &calp::nir::masked, "Safe to show and log: ``2 84 05 ** *** *** 52``.")
      .def_property_readonly(
          "sex_digit", [](const calp::nir& n) { return std::string(1, n.sex_digit()); },
          "The first digit, as a one-character string.")
      .def_property_readonly("year_of_birth", &calp::nir::year_of_birth,
                             "Two-digit year of birth, 0–99 (the century is not in the NIR).")
      .def_property_readonly("month_field", &calp::nir::month_field, "The month field as written, 1–99.")
      .def_property_readonly(
          "month_kind", [](const calp::nir& n) { return std::string(month_kind_name(n.month_kind())); },
          "``'calendar'``, ``'unknown'`` or ``'pseudo_fictitious'``.")
      .def_property_readonly("birth_month", &calp::nir::birth_month,
                             "The birth month 1–12 when the NIR states it, else 0.")
      .def_property_readonly(
          "department", [](const calp::nir& n) { return std::string(n.department()); },
          "``'01'``–``'99'``, ``'2A'`` or ``'2B'``.")
      .def_property_readonly(
          "commune", [](const calp::nir& n) { return std::string(n.commune()); },
          "Positions 8–10: commune, or country code when born abroad.")
      .def_property_readonly("born_abroad", &calp::nir::born_abroad, "Department ``99``.")
      .def_property_readonly("order", &calp::nir::order, "The order number, 1–999.")
      .def_property_readonly("key", &calp::nir::key, "The control key, 1–97.")
      .def("__str__", &calp::nir::masked, "The masked NIR.")
      .def("__repr__", [](const calp::nir& n) { return "Nir('" + n.masked() + "')"; });
  add_value_semantics(nir);

  py::class_<calp::provisional_id> pid(m, "ProvisionalId",
                                       "A provisional identifier, ``P`` + 8 digits (R3).");
  pid.def_static(
         "parse", [](std::string_view text) { return unwrap(calp::provisional_id::parse(text)); }, "text"_a,
         "Strips separators, upper-cases a leading ``p``, then requires ``P`` + 8 digits. Raises "
         "InvalidProvisionalId (``calp.provisional_id.format``).")
      .def_property_readonly(
          "value", [](const calp::provisional_id& p) { return std::string(p.str()); },
          "The 9-character form.")
      .def("__str__", [](const calp::provisional_id& p) { return std::string(p.str()); })
      .def("__repr__",
           [](const calp::provisional_id& p) { return "ProvisionalId('" + std::string(p.str()) + "')"; });
  add_value_semantics(pid);

  py::class_<calp::dossier_number> dossier(m, "DossierNumber", "A Caf dossier number (matricule): 7 digits.");
  dossier
      .def_static(
          "parse", [](std::string_view text) { return unwrap(calp::dossier_number::parse(text)); }, "text"_a,
          "Strips ASCII spaces, then requires 7 digits. Raises InvalidDossierNumber "
          "(``calp.dossier_number.format``).")
      .def_property_readonly(
          "value", [](const calp::dossier_number& d) { return std::string(d.str()); }, "The 7 digits.")
      .def("__str__", [](const calp::dossier_number& d) { return std::string(d.str()); })
      .def("__repr__",
           [](const calp::dossier_number& d) { return "DossierNumber('" + std::string(d.str()) + "')"; });
  add_value_semantics(dossier);

  py::class_<calp::login_identifier> login(
      m, "LoginIdentifier", "What a person types in the login form (R1): a NIR or a provisional identifier.");
  login
      .def_static(
          "parse",
          [](std::string_view text, bool lenient) {
            return unwrap(calp::login_identifier::parse(text, profile(lenient)));
          },
          "text"_a, py::kw_only(), "lenient"_a = false,
          "A value starting with ``P``/``p`` is read as a provisional identifier, anything else "
          "as a NIR. Raises InvalidNir or InvalidProvisionalId.")
      .def_property_readonly("is_nir", &calp::login_identifier::is_nir, "Whether it is a NIR.")
      .def_property_readonly(
          "nir",
          [](const calp::login_identifier& l) -> std::optional<calp::nir> {
            if (l.is_nir()) return l.as_nir();
            return std::nullopt;
          },
          "The NIR, or None.")
      .def_property_readonly(
          "provisional_id",
          [](const calp::login_identifier& l) -> std::optional<calp::provisional_id> {
            if (l.is_provisional()) return l.as_provisional();
            return std::nullopt;
          },
          "The provisional identifier, or None.")
      .def_property_readonly("masked", &calp::login_identifier::masked,
                             "The NIR masked, or the provisional identifier as is.")
      .def("__str__", &calp::login_identifier::masked, "The masked form.")
      .def("__repr__",
           [](const calp::login_identifier& l) { return "LoginIdentifier('" + l.masked() + "')"; })
      .def(
          "__eq__", [](const calp::login_identifier& a, const calp::login_identifier& b) { return a == b; },
          py::is_operator())
      .def("__hash__",
           [](const calp::login_identifier& l) { return std::hash<std::string_view>{}(l.str()); });
}

}  // namespace calp::python
