// The pure functions a web layer calls to check what a person types into a form and to
// show calp's French texts: the civil status and its consistency with a NIR
// (civil_status.hpp), the password rules' ✓ list (password_policy.hpp), the contact
// points (contact.hpp) and the texts of the notices a host sends itself (notices.hpp).
//
// No I/O, no clock, no state: every function answers from its arguments alone. Enumerations
// travel as their stable names (`to_string`); errors are `calp.Error` instances, returned
// by the validators and raised by the parsers. Passwords and codes come in as `str` or
// `bytes` into a `calp::secret` (`secret_arg`), which wipes them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/civil_status.hpp"
#include "calp/contact.hpp"
#include "calp/nir.hpp"
#include "calp/notices.hpp"
#include "calp/password_policy.hpp"
#include "calp/storage.hpp"
#include "common.hpp"
#include "detail/input_text.hpp"

namespace calp::python {

/// A `calp.Error` instance given to `french_message`, read back into a `calp::error`.
struct error_arg {
  calp::error error;
};

}  // namespace calp::python

namespace pybind11::detail {

template <>
struct type_caster<calp::python::error_arg> {
  PYBIND11_TYPE_CASTER(calp::python::error_arg, const_name("Error"));

  // Only an instance of `calp.Error` (a Python class, calp/__init__.py) loads, so that
  // `french_message` tells it apart from a refusal name. Its `code` must be one of
  // `calp.error_codes()`: ValueError otherwise.
  bool load(handle src, bool) {
    if (!src) return false;
    const object error_class = module_::import("calp").attr("Error");
    if (!isinstance(src, error_class)) return false;
    const object code = getattr(src, "code", none());
    const object message = getattr(src, "message", str(""));
    const object field = getattr(src, "field", str(""));
    if (!isinstance<str>(code) || !isinstance<str>(message) || !isinstance<str>(field)) {
      throw type_error("a calp.Error's code, message and field must be str");
    }
    const std::string wanted = code.cast<std::string>();
    if (const auto known = calp::python::errc_named(wanted)) {
      value.error = calp::error{*known, message.cast<std::string>(), field.cast<std::string>()};
      return true;
    }
    throw value_error("unknown error code `" + wanted + "`: not one of calp.error_codes()");
  }
};

}  // namespace pybind11::detail

namespace calp::python {

namespace {

using namespace pybind11::literals;

constexpr calp::password_refusal password_refusals[] = {
    calp::password_refusal::invalid_utf8,        calp::password_refusal::control_character,
    calp::password_refusal::common,              calp::password_refusal::contains_nir,
    calp::password_refusal::contains_birth_date, calp::password_refusal::contains_name};

constexpr calp::nir_mismatch nir_mismatches[] = {calp::nir_mismatch::sex, calp::nir_mismatch::birth_year,
                                                 calp::nir_mismatch::birth_month,
                                                 calp::nir_mismatch::born_abroad,
                                                 calp::nir_mismatch::born_in_france};

constexpr calp::contact_kind contact_kinds[] = {calp::contact_kind::mobile, calp::contact_kind::email};

py::list errors_list(const std::vector<calp::error>& errors) {
  py::list out;
  for (const auto& e : errors) out.append(error_object(e));
  return out;
}

std::string given_or_not(bool given) { return given ? "<given>" : "None"; }

// A code about to be printed in a notice: well-formed UTF-8, or ValueError. Checked here,
// in place, so that a bad code neither becomes a Python object that nobody wipes nor fails
// later as a UnicodeDecodeError on the notice, whose message would quote the code's bytes.
const calp::secret& printable_code(const secret_arg& code) {
  for (std::string_view rest = code.value.view(); !rest.empty();) {
    const std::size_t length = calp::detail::utf8_sequence_length(rest);
    if (length == 0) throw py::value_error("code is not valid UTF-8");
    rest.remove_prefix(length);
  }
  return code.value;
}

void bind_civil_status(py::module_& m) {
  {
    const calp::civil_status_limits d{};
    py::class_<calp::civil_status_limits>(m, "CivilStatusLimits", R"(The bounds of
``validate_civil_status``. The defaults are the primo-demandeur's (R15); each setting is a
keyword argument and a readable-writable property. Lengths count Unicode code points.)")
        .def(py::init([](std::size_t family_name_max, std::size_t given_names_max, std::size_t birth_city_max,
                         bool postal_code_required) {
               calp::civil_status_limits l;
               l.family_name_max = family_name_max;
               l.given_names_max = given_names_max;
               l.birth_city_max = birth_city_max;
               l.postal_code_required = postal_code_required;
               return l;
             }),
             py::kw_only(), "family_name_max"_a = d.family_name_max, "given_names_max"_a = d.given_names_max,
             "birth_city_max"_a = d.birth_city_max, "postal_code_required"_a = d.postal_code_required,
             "The primo-demandeur's bounds by default (80, 120, 80, postal code required).")
        .def_readwrite("family_name_max", &calp::civil_status_limits::family_name_max,
                       "Most code points in a family name, a parent's too (default 80).")
        .def_readwrite("given_names_max", &calp::civil_status_limits::given_names_max,
                       "Most code points in the given names, separators included (default 120).")
        .def_readwrite("birth_city_max", &calp::civil_status_limits::birth_city_max,
                       "Most code points in a city of birth (default 80).")
        .def_readwrite("postal_code_required", &calp::civil_status_limits::postal_code_required,
                       "Whether the postal code of residence is required (default True); a host "
                       "checking an imported record that lacks it may relax this.")
        .def("__repr__", [](const calp::civil_status_limits& l) {
          return "CivilStatusLimits(family_name_max=" + std::to_string(l.family_name_max) +
                 ", given_names_max=" + std::to_string(l.given_names_max) +
                 ", birth_city_max=" + std::to_string(l.birth_city_max) +
                 ", postal_code_required=" + (l.postal_code_required ? "True" : "False") + ")";
        });
  }

  m.def(
      "validate_civil_status",
      [](const calp::civil_status& cs, calp::date today, const calp::civil_status_limits& limits) {
        return errors_list(calp::validate_civil_status(cs, today, limits));
      },
      "cs"_a, "today"_a, "limits"_a = calp::civil_status_limits{},
      R"(Checks every field of the CivilStatus ``cs`` (R4, R15) and returns one
calp.InvalidCivilStatus per faulty field, in field order, not raised (``[]``: valid). Each
error's ``field`` names the member (``'family_name'``, ``'parents[1].given_names'``, …) and
its ``code`` the rule (``calp.civil_status.name``, ``.date``, ``.birth_place``,
``.parents``, ``.postal_code``); messages never quote the person's data. ``today`` bounds
the birth date (no clock is read); ``limits`` a CivilStatusLimits. Names are expected as
``normalize_name`` returns them. Show ``french_message(error)`` next to each field.)");

  m.def(
      "normalize_name",
      [](std::string_view name) { return unwrap(calp::normalize_name(name)); }, "name"_a,
      R"(The normal form of a name, in which calp stores and compares names: NFC, trimmed,
white space folded to one space, upper-cased with accents kept (``'  éloïse  d’arc '`` →
``'ÉLOÏSE D’ARC'``), ``ß`` and ``ẞ`` written ``SS``. May be ``''``; not validated (digits
pass through: ``validate_civil_status`` refuses them). ``name`` is a str (or bytes, read
as UTF-8). Raises calp.InvalidCivilStatus (``calp.civil_status.name``, field ``''``) for
input over 4096 bytes, malformed UTF-8, or a control character other than white space.)");

  m.def(
      "nir_consistency",
      [](const calp::nir& nir, const calp::civil_status& cs) {
        std::vector<std::string> out;
        for (const auto mismatch : calp::nir_consistency(nir, cs)) out.emplace_back(calp::to_string(mismatch));
        return out;
      },
      "nir"_a, "cs"_a,
      R"(Every way the CivilStatus ``cs`` disagrees with the Nir ``nir`` (R3), as stable
names in this order: ``'sex'``, ``'birth_year'``, ``'birth_month'``, ``'born_abroad'``,
``'born_in_france'`` (``[]``: consistent; a provisional identifier is issued otherwise).
Only what the NIR states for sure is compared: the provisional sex digits 3, 4, 7, 8, the
unknown and pseudo-fictitious months, the commune and the country after ``99`` never are;
departments 91–96 with Algeria, Morocco or Tunisia are not ``'born_in_france'``.)");

  m.def(
      "french_reason",
      [](std::string_view mismatch) {
        return std::string(calp::french_reason(named(mismatch, nir_mismatches, "mismatch")));
      },
      "mismatch"_a,
      R"(The French sentence an agent reads out, or a screen shows, for a mismatch name of
``nir_consistency`` (``'sex'`` → ``'Le sexe indiqué par le NIR ne correspond pas à la
civilité déclarée.'``); it never quotes the NIR. Raises ValueError for another name.)");
}

void bind_passwords(py::module_& m) {
  py::class_<calp::password_personal_data>(m, "PasswordPersonalData", R"(What a new password must not
contain (R12): the person's NIR, birth date and names, any of them absent (a primo-demandeur
may have no NIR yet). Personal data: ``repr()`` only says which are given.)")
      .def(py::init([](std::optional<calp::nir> nir, std::optional<calp::date> birth_date,
                       std::vector<std::string> names) {
             return calp::password_personal_data{std::move(nir), birth_date, std::move(names)};
           }),
           py::kw_only(), "nir"_a = py::none(), "birth_date"_a = py::none(),
           "names"_a = std::vector<std::string>{},
           "``nir`` a Nir or None, ``birth_date`` a datetime.date or None, ``names`` the family name, "
           "usage name and given names as str.")
      .def_readwrite("nir", &calp::password_personal_data::nir,
                     "The Nir, or None: its 13-character body is looked for, separators removed.")
      .def_readwrite("birth_date", &calp::password_personal_data::birth_date,
                     "The birth date, or None: looked for as DDMMYYYY, DDMMYY, YYYYMMDD, MMDDYYYY, with or "
                     "without separators.")
      .def_readwrite("names", &calp::password_personal_data::names,
                     "The names (a copy: assign a new list to change them); each part of 3 letters or more "
                     "is looked for, case and accents ignored.")
      .def("__repr__", [](const calp::password_personal_data& p) {
        return "PasswordPersonalData(nir=" + given_or_not(p.nir.has_value()) +
               ", birth_date=" + given_or_not(p.birth_date.has_value()) +
               ", names=<" + std::to_string(p.names.size()) + ">)";
      });

  m.def(
      "check_password",
      [](const calp::password_policy& policy, const secret_arg& password, const secret_arg& confirmation,
         const std::optional<calp::password_personal_data>& personal) {
        return calp::check_password(policy, password.value, confirmation.value,
                                    personal ? *personal : calp::password_personal_data{});
      },
      "policy"_a, "password"_a, "confirmation"_a, "personal"_a = py::none(),
      R"(The seed's ✓ list for a new ``password`` typed twice (``confirmation``), under the
PasswordPolicy ``policy`` (R12), as a PasswordCheck: each rule's status (for a screen that
ticks them as the person types), ``refusals`` as stable names (``'invalid_utf8'``,
``'control_character'``, ``'common'``, ``'contains_nir'``, ``'contains_birth_date'``,
``'contains_name'``), ``valid``. ``personal`` a PasswordPersonalData, or None. Passwords
are str or bytes (their bytes exactly as typed, never normalised: bytes that are not UTF-8
are refused as ``'invalid_utf8'``); they go into a wiped buffer and nothing returned holds
any part of them.)");

  m.def(
      "is_common_password",
      [](const secret_arg& password) { return calp::is_common_password(password.value.view()); }, "password"_a,
      R"(True when ``password`` (str or bytes) is on calp's block-list of common passwords,
whole or dressed with leading and trailing digits and symbols (``'Azerty123!'``); False for
bytes that are not UTF-8. ``check_password`` already applies it.)");

  m.def(
      "french_message",
      [](const error_arg& error) { return calp::french_message(error.error); }, "error"_a,
      R"(The French sentence for the person of an error of ``validate_civil_status`` (or of the
NIR typed with a declaration, field ``'nir'``), naming the field as the seed's screens do:
``'Le nom de naissance du parent 2 ne doit contenir que des lettres, …'``. ``error`` is a
calp.Error (its ``code``, ``field`` are read; its ``message``, for developers, is never
shown); a code that is not one of ``calp.error_codes()`` raises ValueError. Never quotes
what was typed.)");

  m.def(
      "french_message",
      [](const py::str& refusal) {
        return std::string(
            calp::french_message(named(refusal.cast<std::string>(), password_refusals, "password refusal")));
      },
      "refusal"_a,
      R"(The French sentence for the person of a password refusal, a stable name of
``PasswordCheck.refusals`` (``'contains_name'`` → ``'Votre mot de passe ne doit contenir ni
votre nom ni votre prénom.'``), ending with a period; it never holds the password. Raises
ValueError for another name.)");
}

void bind_contacts(py::module_& m) {
  m.def(
      "parse_mobile", [](std::string_view typed) { return unwrap(calp::parse_mobile(typed)); }, "typed"_a,
      R"(A French mobile number in E.164 form from what a person typed: ``'06 12 15 45 45'``,
``'06.12.15.45.45'``, ``'+33 6 12 15 45 45'``, ``'0033612154545'`` → ``'+33612154545'``;
overseas mobiles take their territory's code (``'0690 12 34 56'`` → ``'+590690123456'``).
Raises calp.InvalidContact (``calp.contact.mobile``, the input never quoted) for anything
else: a landline, another country, letters, a wrong length.)");

  m.def(
      "parse_email", [](std::string_view typed) { return unwrap(calp::parse_email(typed)); }, "typed"_a,
      R"(An e-mail address, trimmed, its domain lower-cased (``' Jean.Dupont@Test.FR '`` →
``'Jean.Dupont@test.fr'``). ASCII only, at most 254 bytes, 1 to 64 before the one ``@``, a
dotted domain of letters, digits and hyphens; no spaces, quotes or ``()<>[],;:`` before the
``@``. Raises calp.InvalidContact (``calp.contact.email``, the input never quoted).)");

  m.def(
      "parse_contact",
      [](std::string_view kind, std::string_view typed) {
        return unwrap(calp::parse_contact(named(kind, contact_kinds, "contact kind"), typed));
      },
      "kind"_a, "typed"_a,
      "``parse_mobile`` (``kind`` ``'mobile'``) or ``parse_email`` (``'email'``); another kind raises "
      "ValueError.");

  m.def(
      "masked", [](const calp::contact_point& contact) { return calp::masked(contact); }, "contact"_a,
      R"(A ContactPoint shown without giving it away, for a screen or a log: ``'06 ** ** ** 45'``
for a mobile (``'**'`` when it is not one ``parse_mobile`` returned), ``'d***@test.fr'`` for
an address (``'***'`` without an ``@``).)");

  m.def(
      "national_mobile", [](const py::str& e164) { return calp::national_mobile(e164.cast<std::string>()); },
      "e164"_a,
      R"(The national form of a number ``parse_mobile`` returned, ``'+33612154545'`` →
``'06 12 15 45 45'`` (``'+590690123456'`` → ``'06 90 12 34 56'``), for the screen that says
where the code went; anything else is returned unchanged.)");
}

void bind_notices(py::module_& m) {
  m.attr("EMAIL_FOOTER") = std::string(calp::notices::email_footer);

  m.def(
      "format_french_date", [](calp::date date) { return calp::notices::format_french_date(date); }, "date"_a,
      "A datetime.date as the Caf's screens and notices show a day: ``'15/01/2026'``.");

  m.def(
      "format_paris_time", [](calp::timestamp instant) { return calp::notices::format_paris_time(instant); },
      "instant"_a,
      R"(An aware datetime in the legal time of metropolitan France, as every notice shows it:
``'28/11/2026 à 12 h 27 (heure de Paris)'`` (UTC+1, UTC+2 from the last Sunday of March to
the last Sunday of October, 01:00 UTC). Seconds are dropped; a naive datetime raises
ValueError.)");

  m.def(
      "activation_letter_text",
      [](const secret_arg& code, calp::timestamp expires_at) {
        return calp::notices::activation_letter_text(printable_code(code), expires_at);
      },
      "code"_a, "expires_at"_a,
      R"(The body of the paper letter carrying an activation code (R11) and the instant it
expires (``ActivationCode.code`` and ``.expires_at``), for the host's mail merge, which
adds the address block, the date and the letterhead. WARNING: the text holds the code in
clear, necessarily: print it, never log it nor keep it.)");

  m.def(
      "activation_code_sms",
      [](std::string to, const secret_arg& code, calp::timestamp expires_at) {
        return calp::notices::activation_code_sms(std::move(to), printable_code(code), expires_at);
      },
      "to"_a, "code"_a, "expires_at"_a,
      R"(The SMS to the mobile ``to`` carrying an activation code and the instant it
expires, an SmsNotice (``carries_secret`` True). WARNING: its text holds the code: send it,
never log it nor keep it.)");

  m.def(
      "activation_code_email",
      [](std::string to, const secret_arg& code, calp::timestamp expires_at) {
        return calp::notices::activation_code_email(std::move(to), printable_code(code), expires_at);
      },
      "to"_a, "code"_a, "expires_at"_a,
      R"(The e-mail to the address ``to`` carrying an activation code and the instant it
expires, an EmailNotice (``carries_secret`` True), subject ``'Votre code d'activation'``,
ending with EMAIL_FOOTER. WARNING: its text holds the code: send it, never log it nor keep
it.)");
}

}  // namespace

void bind_forms(py::module_& m) {
  bind_civil_status(m);
  bind_passwords(m);
  bind_contacts(m);
  bind_notices(m);
}

}  // namespace calp::python
