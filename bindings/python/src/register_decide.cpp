// The pure decision (R5–R9): Policy, calp.decide, and the batch form that decides a
// list of requests with the GIL released. A Decision keeps its policy alive, since its
// reason and message are the policy's strings.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calp/action.hpp"
#include "calp/authorizer.hpp"
#include "calp/policy.hpp"
#include "calp/roles.hpp"
#include "common.hpp"
#include "policy_handle.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

struct py_decision {
  calp::decision value;
  std::shared_ptr<const calp::policy> rules;  // owns the strings `value` points to
};

struct py_decisions {
  std::vector<calp::decision> values;
  std::shared_ptr<const calp::policy> rules;
};

calp::action action_from(std::string_view name) {
  return unwrap(calp::parse_action(name));
}
calp::channel channel_from(std::string_view name) {
  return unwrap(calp::parse_channel(name));
}

std::string_view utf8(py::handle text, const char* what) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_Check(text.ptr()) ? PyUnicode_AsUTF8AndSize(text.ptr(), &size) : nullptr;
  if (data == nullptr) {
    PyErr_Clear();
    throw py::type_error(std::string(what) + " must be a str");
  }
  return {data, static_cast<std::size_t>(size)};
}

// One request of a batch: (household, person, action, at[, channel[, agent]]). The
// views point into the tuple's strings, which the caller keeps alive.
calp::household_request batch_request(py::handle item, std::size_t index) {
  if (!PyTuple_Check(item.ptr()) || PyTuple_GET_SIZE(item.ptr()) < 4 || PyTuple_GET_SIZE(item.ptr()) > 6) {
    throw py::type_error("request " + std::to_string(index) +
                         ": expected a tuple (household, person, action, at[, channel[, agent]])");
  }
  const auto size = PyTuple_GET_SIZE(item.ptr());
  const auto at = [&](Py_ssize_t i) { return py::handle(PyTuple_GET_ITEM(item.ptr(), i)); };
  calp::household_request r;
  py::detail::make_caster<calp::household> household;
  if (!household.load(at(0), false)) {
    throw py::type_error("request " + std::to_string(index) + ": the first item must be a calp.Household");
  }
  r.in = &py::detail::cast_op<const calp::household&>(household);
  r.what.person = utf8(at(1), "person");
  r.what.action = action_from(utf8(at(2), "action"));
  py::detail::make_caster<calp::date> day;
  if (!day.load(at(3), false)) {
    throw py::type_error("request " + std::to_string(index) + ": `at` must be a datetime.date");
  }
  r.what.at = py::detail::cast_op<calp::date>(day);
  if (size > 4) r.what.channel = channel_from(utf8(at(4), "channel"));
  if (size > 5) r.what.agent = utf8(at(5), "agent");
  return r;
}

std::shared_ptr<const calp::policy> rules_of(const std::optional<policy_handle>& p) {
  return p ? p->rules : policy_handle::caf_default().rules;
}

}  // namespace

void bind_decide(py::module_& m) {
  py::list actions;
  for (const auto a : calp::all_actions) actions.append(std::string(calp::to_string(a)));
  m.attr("ACTIONS") = py::tuple(actions);
  m.attr("CHANNELS") = py::make_tuple(std::string(calp::to_string(calp::channel::online)),
                                      std::string(calp::to_string(calp::channel::front_desk)));

  m.def(
      "action_description",
      [](std::string_view name) { return std::string(calp::description(action_from(name))); }, "action"_a,
      "What the action is, in English (``'read own personal data'``). Raises UnknownAction.");
  m.def(
      "action_libelle", [](std::string_view name) { return std::string(calp::libelle(action_from(name))); },
      "action"_a, "What the action is, in French for a front-desk screen. Raises UnknownAction.");

  py::class_<policy_handle>(m, "Policy",
                            R"(A loaded, validated and compiled policy (R5, R9): which role may do
which action, and the French explanation of each outcome. Immutable; thread-safe.)")
      .def_static("caf_default", &policy_handle::caf_default,
                  "The Caf's default policy, embedded in the library.")
      .def_static(
          "caf_default_json", [] { return std::string(calp::policy::caf_default_json()); },
          "The text of the default policy, e.g. to start a reviewed variant.")
      .def_static(
          "from_json",
          [](std::string_view text) {
            return policy_handle{std::make_shared<const calp::policy>(unwrap(calp::policy::from_json(text)))};
          },
          "text"_a,
          "Loads a ``calp.policy.v1`` document, whole or not at all. Raises InvalidPolicy, "
          "InvalidJson or UnknownAction, whose ``field`` names the place.")
      .def_property_readonly(
          "id", [](const policy_handle& p) { return std::string(p.rules->id()); }, "The policy's id.")
      .def(
          "table", [](const policy_handle& p) { return p.rules->table(); },
          "The role × action table in Markdown, computed from the compiled decisions.")
      .def("__repr__", [](const policy_handle& p) { return "Policy('" + std::string(p.rules->id()) + "')"; });

  py::class_<py_decision>(m, "Decision", "The answer to one question (R9): a value, never an exception.")
      .def_property_readonly(
          "allowed", [](const py_decision& d) { return d.value.allowed; }, "Whether the action is allowed.")
      .def_property_readonly(
          "reason", [](const py_decision& d) { return std::string(d.value.reason); },
          "Stable reason code (``'conjoint_without_delegation'``).")
      .def_property_readonly(
          "message", [](const py_decision& d) { return std::string(d.value.message); },
          "A short French explanation an agent can read out.")
      .def_property_readonly(
          "role", [](const py_decision& d) { return std::string(calp::to_string(d.value.role)); },
          "The role derived at the date, for diagnostics.")
      .def("__bool__", [](const py_decision& d) { return d.value.allowed; })
      .def("__repr__", [](const py_decision& d) {
        return std::string("Decision(allowed=") + (d.value.allowed ? "True" : "False") + ", reason='" +
               std::string(d.value.reason) + "')";
      });

  py::class_<py_decisions>(m, "Decisions", "The answers of ``decide_batch``, in the order of the requests.")
      .def("__len__", [](const py_decisions& ds) { return ds.values.size(); })
      .def(
          "__getitem__",
          [](const py_decisions& ds, py::ssize_t i) {
            const auto n = static_cast<py::ssize_t>(ds.values.size());
            if (i < 0) i += n;
            if (i < 0 || i >= n) throw py::index_error("decision index out of range");
            return py_decision{ds.values[static_cast<std::size_t>(i)], ds.rules};
          },
          "index"_a, "The Decision of request ``index`` (negative indices count from the end).")
      .def(
          "__iter__",
          [](const py_decisions& ds) {
            py::list out(ds.values.size());
            for (std::size_t i = 0; i < ds.values.size(); ++i)
              out[i] = py::cast(py_decision{ds.values[i], ds.rules});
            return py::iter(out);
          },
          "Every Decision, in the order of the requests.")
      .def_property_readonly(
          "allowed",
          [](const py_decisions& ds) {
            py::list out(ds.values.size());
            for (std::size_t i = 0; i < ds.values.size(); ++i) out[i] = py::bool_(ds.values[i].allowed);
            return out;
          },
          "Whether each request is allowed, as a list of bool (no Decision objects built).");

  m.def(
      "decide",
      [](const calp::household& h, std::string_view person, std::string_view action, calp::date at,
         std::string_view channel, std::string_view agent, const std::optional<policy_handle>& policy) {
        auto rules = rules_of(policy);
        const calp::request r{person, action_from(action), at, channel_from(channel), agent};
        return py_decision{calp::decide(*rules, h, r), std::move(rules)};
      },
      "household"_a, "person"_a, "action"_a, "at"_a, py::kw_only(), "channel"_a = "online", "agent"_a = "",
      "policy"_a = py::none(),
      R"(Decides whether ``person`` may do ``action`` (a name of ACTIONS) in ``household`` on the day
``at``, through ``channel`` (``'online'`` or ``'front-desk'``, which needs ``agent``), under
``policy`` (default: Policy.caf_default()). Returns a Decision; a denial is never an
exception. Raises UnknownAction or UnknownChannel for a name that is not one.)");

  m.def(
      "decide_batch",
      [](const py::sequence& requests, const std::optional<policy_handle>& policy) {
        const auto rules = rules_of(policy);
        // The tuples are held for the whole call: the views of each request point into
        // their strings, which must outlive the GIL-free part even if another thread
        // changes `requests` meanwhile.
        const auto n = static_cast<std::size_t>(py::len(requests));
        std::vector<py::object> held;
        std::vector<calp::household_request> batch;
        held.reserve(n);
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          held.push_back(requests[i]);
          batch.push_back(batch_request(held.back(), i));
        }
        py_decisions out{std::vector<calp::decision>(n), rules};
        {
          py::gil_scoped_release release;
          calp::decide_batch(*rules, batch, out.values);
        }
        return out;
      },
      "requests"_a, py::kw_only(), "policy"_a = py::none(),
      R"(Decides every request of ``requests``, a sequence of tuples ``(household, person, action, at)``
or ``(household, person, action, at, channel, agent)``, exactly as ``decide`` would one by
one, with the GIL released while deciding. Returns Decisions in the same order. Raises
TypeError for a malformed request, UnknownAction or UnknownChannel, before deciding any.)");
}

}  // namespace calp::python
