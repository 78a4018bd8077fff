// Notifiers written in Python, and the household service (délégation de gestion, R7,
// and the household changes). A service holds its storage, notifier and clock through
// `retain`: a Python notifier stays alive as long as the service, even when the caller
// dropped every reference to it (STYLE.md, the pybind11 2.10 lifetime trap). Service
// calls release the GIL; a Python notifier or clock takes it back when called.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/clock.hpp"
#include "calp/delegation.hpp"
#include "calp/household.hpp"
#include "calp/notifier.hpp"
#include "common.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

// A Python subclass of calp.Notifier.
class py_notifier : public calp::notifier {
 public:
  void send_sms(const calp::sms_notice& notice) override {
    call_override<void>(static_cast<const calp::notifier*>(this), "send_sms", "calp::notifier::send_sms",
                        notice);
  }
  void send_email(const calp::email_notice& notice) override {
    call_override<void>(static_cast<const calp::notifier*>(this), "send_email", "calp::notifier::send_email",
                        notice);
  }
};

struct py_household_service {
  std::shared_ptr<calp::storage> store;
  std::shared_ptr<calp::notifier> notify;
  std::shared_ptr<calp::clock> clock;
  calp::household_service service;

  py_household_service(std::shared_ptr<calp::storage> s, std::shared_ptr<calp::notifier> n,
                       std::shared_ptr<calp::clock> c)
      : store(std::move(s)), notify(std::move(n)), clock(std::move(c)), service(*store, *notify, *clock) {}
};

// Runs a change of the service with the GIL released.
template <class Change>
calp::household_change change(Change&& run) {
  py::gil_scoped_release nogil;
  return run();
}

}  // namespace

void bind_services(py::module_& m) {
  py::class_<calp::sms_notice>(m, "SmsNotice",
                               R"(One SMS, ready to send. WARNING: when ``carries_secret``, ``text``
holds a code: never log it nor keep it.)")
      .def_property_readonly(
          "kind", [](const calp::sms_notice& n) { return std::string(calp::to_string(n.kind)); },
          "Why it is sent (``'delegation_granted'``, ``'verification_code'``, …).")
      .def_property_readonly(
          "carries_secret", [](const calp::sms_notice& n) { return calp::carries_secret(n.kind); },
          "Whether ``text`` holds a code that opens or changes an account.")
      .def_readonly("to", &calp::sms_notice::to, "The mobile number.")
      .def_readonly("text", &calp::sms_notice::text, "The UTF-8 text.");

  py::class_<calp::email_notice>(m, "EmailNotice",
                                 "One plain-text e-mail, ready to send. Same WARNING as SmsNotice.")
      .def_property_readonly(
          "kind", [](const calp::email_notice& n) { return std::string(calp::to_string(n.kind)); },
          "Why it is sent.")
      .def_property_readonly(
          "carries_secret", [](const calp::email_notice& n) { return calp::carries_secret(n.kind); },
          "Whether ``text`` holds a code that opens or changes an account.")
      .def_readonly("to", &calp::email_notice::to, "The address.")
      .def_readonly("subject", &calp::email_notice::subject, "The subject line.")
      .def_readonly("text", &calp::email_notice::text, "The UTF-8 text.");

  py::class_<calp::notifier, py_notifier, std::shared_ptr<calp::notifier>>(m, "Notifier",
                                                                           R"(How calp reaches a person:
subclass it and define ``send_sms(notice)`` and ``send_email(notice)``. calp calls them only
after the change they report was committed, possibly from several threads; raising means
"not delivered" and undoes nothing. Never log the text of a notice that ``carries_secret``.)")
      .def(py::init<>())
      .def("send_sms", &calp::notifier::send_sms, "notice"_a,
           "Sends an SmsNotice; raise if it cannot be handed over.")
      .def("send_email", &calp::notifier::send_email, "notice"_a,
           "Sends an EmailNotice; raise if it cannot be handed over.");

  py::class_<calp::household_change>(m, "HouseholdChange", "What a délégation or household change came to.")
      .def_property_readonly(
          "outcome", [](const calp::household_change& c) { return std::string(calp::to_string(c.outcome)); },
          "``'done'``, ``'unknown'``, ``'not_allocataire'``, ``'no_conjoint'``, ``'already_granted'``, "
          "``'no_delegation'``, ``'not_allowed'``, ``'conjoint_present'``, ``'benefit_overlaps'``, "
          "``'no_open_benefit'`` or ``'invalid'``.")
      .def_property_readonly(
          "problem",
          [](const calp::household_change& c) -> py::object {
            if (!c.problem) return py::none();
            return error_object(*c.problem);
          },
          "For ``'invalid'``: the calp.Error (not raised) naming the field; else None.")
      .def("__bool__",
           [](const calp::household_change& c) { return c.outcome == calp::household_outcome::done; })
      .def("__repr__", [](const calp::household_change& c) {
        return "HouseholdChange('" + std::string(calp::to_string(c.outcome)) + "')";
      });

  py::class_<calp::delegation_screen_data>(m, "DelegationScreen",
                                           "The seed's « Mes autorisations » screen for one person (R7).")
      .def_readonly("applies", &calp::delegation_screen_data::applies,
                    "True only for the allocataire of a couple today; else every other field is empty.")
      .def_readonly("granted", &calp::delegation_screen_data::granted, "The délégation applies today.")
      .def_readonly("granted_on", &calp::delegation_screen_data::granted_on,
                    "The day it was granted, or None.")
      .def_property_readonly(
          "conjoint",
          [](const calp::delegation_screen_data& s) -> std::optional<std::string> {
            if (s.conjoint) return std::string(s.conjoint->str());
            return std::nullopt;
          },
          "The conjoint's person id, or None.")
      .def_readonly("conjoint_name", &calp::delegation_screen_data::conjoint_name,
                    "The conjoint's name as recorded.")
      .def_readonly("sentence", &calp::delegation_screen_data::sentence, "The state in one sentence.")
      .def_readonly("introduction", &calp::delegation_screen_data::introduction, "The seed's introduction.")
      .def_property_readonly(
          "capabilities",
          [](const calp::delegation_screen_data& s) {
            py::list out;
            for (const auto c : s.capabilities) out.append(std::string(c));
            return out;
          },
          "What the délégation gives, in the seed's words.")
      .def_readonly("question", &calp::delegation_screen_data::question, "The seed's yes/no question.")
      .def_readonly("reminder", &calp::delegation_screen_data::reminder, "The seed's reminder.");

  py::class_<py_household_service>(m, "HouseholdService", R"(The délégation de gestion (R7) and the household
changes: each change is one commit at the version read, audited in that commit, and
takes effect on the next decision (R10). Thread-safe; calls release the GIL.)")
      .def(py::init([](const py::object& store, const py::object& notifier, const py::object& clock) {
             std::shared_ptr<calp::clock> clk = clock.is_none() ? std::make_shared<calp::system_clock>()
                                                                : retain<calp::clock>(clock, "Clock");
             return std::make_unique<py_household_service>(retain<calp::storage>(store, "Storage"),
                                                           retain<calp::notifier>(notifier, "Notifier"),
                                                           std::move(clk));
           }),
           "storage"_a, "notifier"_a, "clock"_a = py::none(),
           "A service over ``storage`` that informs people through ``notifier`` and reads the day from "
           "``clock`` (default: SystemClock). Keeps the three alive.")
      .def(
          "grant_delegation",
          [](py_household_service& self, const person_arg& by, const dossier_arg& dossier) {
            return change([&] { return self.service.grant_delegation(*by, *dossier); });
          },
          "by"_a, "dossier"_a,
          "The allocataire ``by`` authorises the conjoint from today; both are informed. Outcomes: "
          "``done``, ``unknown``, ``not_allocataire``, ``no_conjoint``, ``already_granted``.")
      .def(
          "revoke_delegation",
          [](py_household_service& self, const person_arg& by, const dossier_arg& dossier) {
            return change([&] { return self.service.revoke_delegation(*by, *dossier); });
          },
          "by"_a, "dossier"_a,
          "The allocataire ``by`` withdraws the délégation from today; both are informed. Outcomes: "
          "``done``, ``unknown``, ``not_allocataire``, ``no_conjoint``, ``no_delegation``.")
      .def(
          "delegation_screen",
          [](py_household_service& self, const person_arg& person, const dossier_arg& dossier) {
            py::gil_scoped_release nogil;
            return self.service.delegation_screen(*person, *dossier);
          },
          "person"_a, "dossier"_a,
          "The « Mes autorisations » screen of ``person`` today, or None when the dossier is unknown "
          "or ``person`` is not a member.")
      .def(
          "declare_separation",
          [](py_household_service& self, const person_arg& by, const dossier_arg& dossier, calp::date on) {
            return change([&] { return self.service.declare_separation(*by, *dossier, on); });
          },
          "by"_a, "dossier"_a, "on"_a,
          "The allocataire or the conjoint declares a separation on ``on``; a délégation ends that day. "
          "Outcomes: ``done``, ``unknown``, ``no_conjoint``, ``not_allowed``, ``invalid``.")
      .def(
          "add_conjoint",
          [](py_household_service& self, std::string_view agent, const dossier_arg& dossier,
             const person_arg& person, calp::date birth_date, std::vector<calp::benefit> benefits) {
            calp::member newcomer{*person, calp::member_role::conjoint, birth_date, std::move(benefits),
                                  std::nullopt};
            return change([&] { return self.service.add_conjoint(agent, *dossier, std::move(newcomer)); });
          },
          "agent"_a, "dossier"_a, "person"_a, "birth_date"_a, py::kw_only(),
          "benefits"_a = std::vector<calp::benefit>{},
          "The agent ``agent`` records a new conjoint ``person`` (no délégation comes with them). "
          "Outcomes: ``done``, ``unknown``, ``conjoint_present``, ``invalid`` (an id already in the "
          "household, a malformed benefit…).")
      .def(
          "record_benefit",
          [](py_household_service& self, std::string_view agent, const dossier_arg& dossier,
             const person_arg& person, const calp::benefit& b) {
            return change([&] { return self.service.record_benefit(agent, *dossier, *person, b); });
          },
          "agent"_a, "dossier"_a, "person"_a, "benefit"_a,
          "The agent records that ``person`` holds ``benefit``; roles follow from its dates. Outcomes: "
          "``done``, ``unknown``, ``benefit_overlaps``, ``invalid``.")
      .def(
          "end_benefit",
          [](py_household_service& self, std::string_view agent, const dossier_arg& dossier,
             const person_arg& person, std::string_view code, calp::date last_day) {
            return change([&] { return self.service.end_benefit(agent, *dossier, *person, code, last_day); });
          },
          "agent"_a, "dossier"_a, "person"_a, "code"_a, "last_day"_a,
          "The open-ended benefit ``code`` of ``person`` is held through ``last_day``, no longer after. "
          "Outcomes: ``done``, ``unknown``, ``no_open_benefit``, ``invalid``.");
}

}  // namespace calp::python
