// The account service (DESIGN.md §4, R11–R17) from Python: login, sessions, the first
// connection step by step, password change and recovery, activation codes.
//
// Secrets (passwords, codes, session tokens) come in as `str` or `bytes` and are copied
// straight into a `calp::secret`, which wipes them; they go out as `str` (the token, an
// activation code) and never appear in a repr. Every service call releases the GIL:
// password hashing (Argon2id) takes tenths of a second and storages block on I/O. A
// Python notifier or clock takes the GIL back when the service calls it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/accounts.hpp"
#include "calp/civil_status.hpp"
#include "calp/franceconnect.hpp"
#include "calp/clock.hpp"
#include "calp/notifier.hpp"
#include "calp/password_hasher.hpp"
#include "calp/password_policy.hpp"
#include "calp/secret.hpp"
#include "calp/storage.hpp"
#include "calp/verification_code.hpp"
#include <pybind11/operators.h>

#include "common.hpp"

namespace calp::python {

/// A secret given from Python as `str` (its UTF-8 bytes) or `bytes`.
struct secret_arg {
  calp::secret value;
};

}  // namespace calp::python

namespace pybind11::detail {

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

}  // namespace pybind11::detail

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

calp::gender gender_named(std::string_view name) {
  for (const auto g : {calp::gender::female, calp::gender::male}) {
    if (calp::to_string(g) == name) return g;
  }
  throw py::value_error("gender must be 'female' or 'male'");
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

// Runs `call` on the service with the GIL released.
template <class Call>
auto released(Call&& call) {
  py::gil_scoped_release nogil;
  return call();
}

}  // namespace

void bind_accounts(py::module_& m) {
  py::class_<calp::password_hash_params>(m, "PasswordHashing",
                                         "Argon2id cost of the stored password hashes.")
      .def_static("interactive", &calp::password_hash_params::interactive,
                  "The default for logins: 2 passes over 64 MiB, about 0.1 s per login.")
      .def_static("moderate", &calp::password_hash_params::moderate,
                  "3 passes over 256 MiB, about 0.5 s per login.")
      .def_static("for_tests", &calp::password_hash_params::for_tests,
                  "libsodium's minimum (1 pass, 8 KiB): no protection at all, only so tests stay fast.")
      .def_readonly("ops_limit", &calp::password_hash_params::ops_limit, "Passes (Argon2 ``t``).")
      .def_readonly("mem_limit", &calp::password_hash_params::mem_limit, "Bytes of memory per hash.")
      .def("__repr__", [](const calp::password_hash_params& p) {
        return "PasswordHashing(ops_limit=" + std::to_string(p.ops_limit) +
               ", mem_limit=" + std::to_string(p.mem_limit) + ")";
      });

  py::class_<code_key_handle>(m, "CodeKey", R"(The server key that hashes every stored code and
throttle key: every process sharing a storage needs the same one; keep it apart from the
audit key. Never printable. An AccountService takes it: a CodeKey serves one service;
load the key again (``from_hex``) for another.)")
      .def_static(
          "generate", [] { return hold(calp::code_key::generate()); }, "A new key from libsodium's random generator.")
      .def_static(
          "from_hex", [](std::string_view hex) { return hold(unwrap(calp::code_key::from_hex(hex))); }, "hex"_a,
          "A key from exactly 64 hex digits. Raises calp.Error ``calp.code.key`` (the message never "
          "quotes the text).")
      .def_property_readonly(
          "taken", [](const code_key_handle& k) { return !k.key->has_value(); },
          "Whether an AccountService already took this key.")
      .def("__repr__", [](const code_key_handle&) { return std::string("CodeKey(<secret>)"); });

  py::class_<calp::civil_status>(m, "CivilStatus", R"(What a person declares about themselves
(primo-demandeur, R4), or the FranceConnect pivot fields (R18).)")
      .def(py::init([](std::string family_name, std::string given_names, std::string_view gender,
                       calp::date birth_date, std::string birth_country, std::string birth_place,
                       std::string birth_city, const std::vector<std::pair<std::string, std::string>>& parents,
                       std::string postal_code) {
             calp::civil_status c;
             c.family_name = std::move(family_name);
             c.given_names = std::move(given_names);
             c.gender = gender_named(gender);
             c.birth_date = birth_date;
             c.birth_country = std::move(birth_country);
             c.birth_place = std::move(birth_place);
             c.birth_city = std::move(birth_city);
             for (const auto& [family, given] : parents) c.parents.push_back({family, given});
             c.postal_code = std::move(postal_code);
             return c;
           }),
           py::kw_only(), "family_name"_a, "given_names"_a, "gender"_a, "birth_date"_a,
           "birth_country"_a = "99100", "birth_place"_a = "", "birth_city"_a = "",
           "parents"_a = std::vector<std::pair<std::string, std::string>>{}, "postal_code"_a = "",
           "``gender`` ``'female'`` or ``'male'``; ``birth_country`` an INSEE code (``'99100'``: France); "
           "``birth_place`` the INSEE commune code when born in France, else ``birth_city``; "
           "``parents`` as (family name, given names) pairs, both when born abroad (R4).")
      .def_readonly("family_name", &calp::civil_status::family_name, "Nom de naissance.")
      .def_readonly("given_names", &calp::civil_status::given_names, "Every given name.")
      .def_property_readonly(
          "gender", [](const calp::civil_status& c) { return std::string(calp::to_string(c.gender)); },
          "``'female'`` or ``'male'``.")
      .def_readonly("birth_date", &calp::civil_status::birth_date, "The birth date.")
      .def_readonly("birth_country", &calp::civil_status::birth_country, "INSEE country code.")
      .def_readonly("birth_place", &calp::civil_status::birth_place, "INSEE commune code, or ''.")
      .def_readonly("birth_city", &calp::civil_status::birth_city, "Free text when born abroad, or ''.")
      .def_property_readonly(
          "parents",
          [](const calp::civil_status& c) {
            std::vector<std::pair<std::string, std::string>> out;
            for (const auto& p : c.parents) out.emplace_back(p.family_name, p.given_names);
            return out;
          },
          "The parents' (family name, given names) pairs.")
      .def_readonly("postal_code", &calp::civil_status::postal_code, "Postal code of residence, or ''.")
      .def(py::self == py::self);  // NOLINT(misc-redundant-expression)

  py::class_<calp::account_config>(m, "AccountConfig", "What the account service needs besides its seams.")
      .def(py::init([](std::string terms_version, const std::optional<calp::password_hash_params>& hashing,
                       std::uint32_t max_codes_per_day, std::uint32_t max_reminders_per_day,
                       std::string franceconnect_issuer, std::string franceconnect_client_id,
                       std::string_view franceconnect_min_acr) {
             calp::account_config c;
             c.franceconnect.issuer = std::move(franceconnect_issuer);
             c.franceconnect.client_id = std::move(franceconnect_client_id);
             c.franceconnect.min_acr = eidas_named(franceconnect_min_acr);
             c.terms_version = std::move(terms_version);
             if (hashing) c.password_hashing = *hashing;
             c.max_codes_per_day = max_codes_per_day;
             c.max_reminders_per_day = max_reminders_per_day;
             return c;
           }),
           "terms_version"_a, py::kw_only(), "password_hashing"_a = py::none(), "max_codes_per_day"_a = 10,
           "max_reminders_per_day"_a = 3, "franceconnect_issuer"_a = "", "franceconnect_client_id"_a = "",
           "franceconnect_min_acr"_a = "eidas1",
           "``terms_version``: the current CGU version (R16), required. ``password_hashing``: default "
           "PasswordHashing.interactive(). FranceConnect (R18) is off unless ``franceconnect_issuer`` "
           "(the provider pinned) and ``franceconnect_client_id`` are given.")
      .def_readwrite("terms_version", &calp::account_config::terms_version, "The current CGU version (R16).")
      .def_readwrite("password_hashing", &calp::account_config::password_hashing, "The Argon2id cost.")
      .def_readwrite("max_codes_per_day", &calp::account_config::max_codes_per_day,
                     "Codes sent to one person per 24 hours, all contact points together.")
      .def_readwrite("max_reminders_per_day", &calp::account_config::max_reminders_per_day,
                     "Provisional identifier reminders sent to one person per 24 hours (R17).");

  py::class_<calp::person_record>(m, "PersonRecord", "A person as the storage knows them.")
      .def(py::init([](const person_arg& id, std::optional<calp::nir> n, std::optional<calp::provisional_id> p,
                       std::optional<calp::civil_status> civil) {
             return calp::person_record{*id, std::move(n), std::move(p), std::nullopt, std::move(civil)};
           }),
           "id"_a, py::kw_only(), "nir"_a = py::none(), "provisional_id"_a = py::none(),
           "civil_status"_a = py::none(),
           "A person ``id`` known by a Nir and/or a ProvisionalId (what they log in with), and their "
           "CivilStatus when known (FranceConnect matches on it).")
      .def_property_readonly(
          "id", [](const calp::person_record& r) { return std::string(r.id.str()); }, "The person id.")
      .def_readonly("nir", &calp::person_record::nir, "The Nir, or None.")
      .def_readonly("provisional_id", &calp::person_record::provisional_id, "The ProvisionalId, or None.")
      .def_readonly("civil_status", &calp::person_record::civil_status, "The CivilStatus, or None.");

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
             if (config.terms_version.empty()) throw py::value_error("terms_version must not be empty");
             calp::code_key taken = std::move(**key.key);
             key.key->reset();
             return std::make_unique<py_account_service>(std::move(s), std::move(n), std::move(clk), config,
                                                         std::move(taken));
           }),
           "storage"_a, "notifier"_a, "clock"_a, "config"_a, "code_key"_a,
           "A service over ``storage`` that reaches people through ``notifier`` and reads the time from "
           "``clock`` (None: SystemClock). Takes ``code_key``; keeps the others alive.")
      .def(
          "import_account",
          [](py_account_service& self, const calp::person_record& person, std::string legacy_hash) {
            unwrap(released([&] { return self.service->import_account(person, std::move(legacy_hash)); }));
          },
          "person"_a, "legacy_password_hash"_a = "",
          "Records a person and their account before la bascule, with the hash of the legacy dossier "
          "password (from ``hash_legacy_password``). Raises StorageError ``calp.storage.conflict`` "
          "(the person or account exists) or ``.duplicate`` (NIR or provisional id taken).")
      .def(
          "hash_legacy_password",
          [](py_account_service& self, secret_arg& password) {
            return released([&] { return self.service->hash_legacy_password(password.value); });
          },
          "password"_a, "The hash to import for a legacy dossier password (Argon2id; releases the GIL).")
      .def(
          "issue_activation_code",
          [](py_account_service& self, const person_arg& person, std::string_view agent) {
            return unwrap(released([&] { return self.service->issue_activation_code(*person, agent); }));
          },
          "person"_a, "agent"_a,
          "A one-time ActivationCode for ``person``, issued by ``agent``. Raises calp.Error "
          "``calp.account.unknown`` or ``calp.account.state``.")
      .def(
          "login",
          [](py_account_service& self, std::string_view identifier, secret_arg& password) {
            return released([&] { return self.service->login(identifier, std::move(password.value)); });
          },
          "identifier"_a, "password"_a,
          "Logs in with a NIR or a provisional identifier and a password (str or bytes): a "
          "LoginResult. Throttled per identifier; every refusal looks the same (R12b).")
      .def(
          "activate",
          [](py_account_service& self, std::string_view identifier, secret_arg& code) {
            return released([&] { return self.service->activate(identifier, code.value.view()); });
          },
          "identifier"_a, "code"_a, "First access with an activation code: a LoginResult.")
      .def(
          "session",
          [](py_account_service& self, secret_arg& token) {
            return released([&] { return self.service->session(token.value); });
          },
          "token"_a, "The SessionInfo of ``token`` if it is valid now (records its use), else None.")
      .def(
          "logout",
          [](py_account_service& self, secret_arg& token) {
            released([&] { self.service->logout(token.value); });
          },
          "token"_a, "Closes the session; an unknown or closed one is ignored.")
      .def(
          "accept_terms",
          [](py_account_service& self, secret_arg& token, std::string_view version) {
            return released([&] { return self.service->accept_terms(token.value, version); });
          },
          "token"_a, "version"_a, "Accepts the CGU ``version``, which must be the current one.")
      .def(
          "create_password",
          [](py_account_service& self, secret_arg& token, secret_arg& password, secret_arg& confirmation) {
            return released([&] {
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
            return released([&] { return self.service->send_contact_code(token.value, k, contact); });
          },
          "token"_a, "kind"_a, "contact"_a,
          "Gives a contact point (``kind`` ``'mobile'`` or ``'email'``) and sends a code to it; again "
          "with another point, it is « Modifier vos coordonnées ».")
      .def(
          "resend_contact_code",
          [](py_account_service& self, secret_arg& token) {
            return released([&] { return self.service->resend_contact_code(token.value); });
          },
          "token"_a, "« Demander l'envoi d'un nouveau code »: a new code to the same point (R13 limits).")
      .def(
          "confirm_contact",
          [](py_account_service& self, secret_arg& token, secret_arg& code) {
            return released([&] { return self.service->confirm_contact(token.value, code.value.view()); });
          },
          "token"_a, "code"_a, "Checks the code typed for the pending contact point.")
      .def(
          "answer_delegation_offer",
          [](py_account_service& self, secret_arg& token, bool grant) {
            return released([&] { return self.service->answer_delegation_offer(token.value, grant); });
          },
          "token"_a, "grant"_a,
          "The allocataire in a couple answers the délégation offer; yes grants it from today.")
      .def(
          "change_password",
          [](py_account_service& self, secret_arg& token, secret_arg& current, secret_arg& password,
             secret_arg& confirmation) {
            return released([&] {
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
                calp::to_string(released([&] { return self.service->request_password_reset(identifier, k); })));
          },
          "identifier"_a, "via"_a,
          "« Mot de passe oublié ? »: sends a code to a verified contact point. ``'accepted'`` whether or "
          "not an account exists, or ``'malformed_identifier'``.")
      .def(
          "reset_password",
          [](py_account_service& self, std::string_view identifier, secret_arg& code, secret_arg& password,
             secret_arg& confirmation) {
            return released([&] {
              return self.service->reset_password(identifier, code.value.view(), std::move(password.value),
                                                  std::move(confirmation.value));
            });
          },
          "identifier"_a, "code"_a, "password"_a, "confirmation"_a,
          "Sets a new password with the code sent by ``request_password_reset``; closes every session.")
      .def(
          "may_request_benefit",
          [](py_account_service& self, secret_arg& token) {
            return released([&] { return self.service->may_request_benefit(token.value); });
          },
          "token"_a, "R15: may the person of ``token`` file a benefit request now?")
      .def(
          "certify_nir",
          [](py_account_service& self, const person_arg& person, const calp::nir& certified,
             std::string_view agent) {
            unwrap(released([&] { return self.service->certify_nir(*person, certified, agent); }));
          },
          "person"_a, "nir"_a, "agent"_a,
          "The Caf certified ``nir`` for a person known by a provisional identifier, which still opens "
          "the account for a transition. Raises calp.Error ``calp.account.unknown``, "
          "``calp.account.state``; StorageError ``calp.storage.duplicate``.")
      .def(
          "next_step",
          [](py_account_service& self, const person_arg& person) {
            return std::string(
                calp::to_string(unwrap(released([&] { return self.service->next_step(*person); }))));
          },
          "person"_a, "The first-connection step ``person`` must do next, or ``'done'``. Raises "
          "calp.Error ``calp.account.unknown``.")
      .def(
          "register_primo_demandeur",
          [](py_account_service& self, const calp::civil_status& civil, std::string nir) {
            calp::primo_declaration declaration{civil, std::move(nir)};
            return released([&] { return self.service->register_primo_demandeur(declaration); });
          },
          "civil"_a, "nir"_a = "",
          "Creates the personal space of a person with no dossier (R15, R4): a RegistrationResult. With a "
          "valid NIR consistent with ``civil`` the NIR is the identifier, else a provisional one is issued.")
      .def(
          "recap",
          [](py_account_service& self, secret_arg& token) {
            return released([&] { return self.service->recap(token.value); });
          },
          "token"_a, "The RegistrationRecap of the person of ``token``, or None.")
      .def(
          "remind_provisional_id",
          [](py_account_service& self, std::string family_name, calp::date birth_date, std::string_view via,
             std::string contact) {
            calp::provisional_id_reminder_request request{std::move(family_name), birth_date,
                                                          contact_kind_named(via), std::move(contact)};
            return std::string(
                calp::to_string(released([&] { return self.service->remind_provisional_id(request); })));
          },
          "family_name"_a, "birth_date"_a, "via"_a, "contact"_a,
          "« Identifiant provisoire oublié ? » (R17): ``'accepted'`` whether or not a person matches, or "
          "``'invalid_contact'``.")
      .def(
          "update_civil_status",
          [](py_account_service& self, secret_arg& token, const calp::civil_status& civil) {
            std::vector<calp::error> errors;
            const auto outcome =
                released([&] { return self.service->update_civil_status(token.value, civil, &errors); });
            static constexpr const char* names[] = {"done", "not_signed_in", "invalid", "locked"};
            return py::make_tuple(names[static_cast<int>(outcome)], errors_list(errors));
          },
          "token"_a, "civil"_a,
          "The person of a full session corrects their civil status: ``(outcome, errors)`` with outcome "
          "``'done'``, ``'not_signed_in'``, ``'invalid'`` (errors per field) or ``'locked'``.")
      .def(
          "begin_franceconnect",
          [](py_account_service& self, const std::optional<std::string>& acr) {
            std::optional<calp::eidas_level> level;
            if (acr) level = eidas_named(*acr);
            return released([&] { return self.service->begin_franceconnect(level); });
          },
          "acr"_a = py::none(), "Starts a FranceConnect login (R18): a FranceConnectStart.")
      .def(
          "complete_franceconnect",
          [](py_account_service& self, secret_arg& state, std::string_view claims_json) {
            return released([&] { return self.service->complete_franceconnect(state.value.view(), claims_json); });
          },
          "state"_a, "claims_json"_a,
          "Ends a FranceConnect login with the ``state`` returned to the callback and the verified claims "
          "(ID token merged with userinfo, one JSON object): a FranceConnectResult.")
      .def(
          "unlink_franceconnect",
          [](py_account_service& self, secret_arg& token) {
            return released([&] { return self.service->unlink_franceconnect(token.value); });
          },
          "token"_a,
          "Removes the FranceConnect link of the person of ``token``; ``'password_required'`` when the "
          "account has no password to log in with afterwards.")
      .def(
          "add_password",
          [](py_account_service& self, secret_arg& token, secret_arg& password, secret_arg& confirmation) {
            return released([&] {
              return self.service->add_password(token.value, std::move(password.value),
                                                std::move(confirmation.value));
            });
          },
          "token"_a, "password"_a, "confirmation"_a,
          "An account opened by FranceConnect, which has no password, adds one (R12 policy).");
}

}  // namespace calp::python
