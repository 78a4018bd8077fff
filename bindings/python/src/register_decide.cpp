// The pure decision (R5–R9): Policy, calp.decide, and the batch form that decides a
// list of requests with the GIL released. A Decision keeps its policy alive, since its
// reason and message are the policy's strings.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
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

// The answers of a batch, 4 bytes each instead of a `calp::decision`'s 48: the reason and
// message of a decision are one of the policy's few outcomes, kept once in `outcomes`.
// A batch of a million requests thus needs 4 MB, not 48 MB of fresh memory (each page of
// which costs a page fault, about 12 µs on the benchmark's VM).
struct py_decisions {
  explicit py_decisions(std::shared_ptr<const calp::policy> policy) : rules(std::move(policy)) {}

  struct answer {
    bool allowed;
    calp::household_role role;
    std::uint16_t outcome;  // index in `outcomes`
  };
  std::vector<answer> values;
  std::vector<std::pair<std::string_view, std::string_view>> outcomes;  // (reason, message)
  std::shared_ptr<const calp::policy> rules;  // owns the strings of `outcomes`

  [[nodiscard]] py_decision at(std::size_t i) const {
    const answer a = values[i];
    const auto& [reason, message] = outcomes[a.outcome];
    return py_decision{calp::decision{a.allowed, reason, message, a.role}, rules};
  }

  void append(const calp::decision& d) {
    // The same outcome repeats: look in the slot of its reason's address first.
    auto& hint = hints_[(reinterpret_cast<std::uintptr_t>(d.reason.data()) >> 3U) % hints_.size()];
    if (hint >= outcomes.size() || !same(outcomes[hint], d)) {
      hint = 0;
      while (hint < outcomes.size() && !same(outcomes[hint], d)) ++hint;
      if (hint == outcomes.size()) {
        if (hint > UINT16_MAX) throw std::length_error("more than 65,536 distinct decision outcomes");
        outcomes.emplace_back(d.reason, d.message);
      }
    }
    values.push_back(answer{d.allowed, d.role, static_cast<std::uint16_t>(hint)});
  }

 private:
  static bool same(const std::pair<std::string_view, std::string_view>& o, const calp::decision& d) noexcept {
    // By address: the policy keeps each text once, and the same address is the same text.
    return o.first.data() == d.reason.data() && o.first.size() == d.reason.size() &&
           o.second.data() == d.message.data() && o.second.size() == d.message.size();
  }
  std::array<std::size_t, 32> hints_{};
};

calp::action action_from(std::string_view name) {
  return unwrap(calp::parse_action(name));
}
calp::channel channel_from(std::string_view name) {
  return unwrap(calp::parse_channel(name));
}

// Converts the requests of one `decide_batch` call with the CPython API, without
// pybind11's casters: these cost several hundred nanoseconds per tuple where the
// decision itself costs tens. A batch repeats the same few action, channel and date
// objects, so those are converted once per object (memoized by identity, which is stable
// because the caller holds every item for the whole call). The views of each request
// point into the items' strings.
class batch_reader {
 public:
  batch_reader() {
    if (!PyDateTimeAPI) PyDateTime_IMPORT;
    household_type_ = py::detail::get_type_handle(typeid(calp::household), true).ptr();
  }

  // One request: (household, person, action, at[, channel[, agent]]). Raises TypeError,
  // UnknownAction or UnknownChannel naming `index`.
  calp::household_request read(PyObject* item, std::size_t index) {
    const Py_ssize_t size = PyTuple_Check(item) ? PyTuple_GET_SIZE(item) : 0;
    if (size < 4 || size > 6) {
      throw py::type_error("request " + std::to_string(index) +
                           ": expected a tuple (household, person, action, at[, channel[, agent]])");
    }
    calp::household_request r;
    r.in = household(PyTuple_GET_ITEM(item, 0), index);
    r.what.person = text(PyTuple_GET_ITEM(item, 1), "person", index);
    r.what.action = action(PyTuple_GET_ITEM(item, 2), index);
    r.what.at = day(PyTuple_GET_ITEM(item, 3), index);
    if (size > 4) r.what.channel = channel(PyTuple_GET_ITEM(item, 4), index);
    if (size > 5) r.what.agent = text(PyTuple_GET_ITEM(item, 5), "agent", index);
    return r;
  }

 private:
  static constexpr std::size_t slots = 16;  // a power of 2, more than the 8 actions

  static std::size_t slot_of(PyObject* o) noexcept {
    return (reinterpret_cast<std::uintptr_t>(o) >> 4U) & (slots - 1);
  }

  [[noreturn]] static void raise_at(std::size_t index, raised_error e) {
    e.error.message = "request " + std::to_string(index) + ": " + e.error.message;
    throw e;
  }

  const calp::household* household(PyObject* o, std::size_t index) const {
    const void* value = nullptr;
    if (Py_TYPE(o) == reinterpret_cast<PyTypeObject*>(household_type_)) {
      // The exact class (the common case): its instance holds the pointer directly.
      auto* self = reinterpret_cast<py::detail::instance*>(o);
      value = self->simple_layout ? self->simple_value_holder[0] : self->get_value_and_holder().value_ptr();
    } else {
      py::detail::make_caster<calp::household> caster;  // a subclass, or not a Household
      if (caster.load(o, false)) value = py::detail::cast_op<const calp::household*>(caster);
    }
    if (value == nullptr) {
      throw py::type_error("request " + std::to_string(index) + ": the first item must be a calp.Household");
    }
    return static_cast<const calp::household*>(value);
  }

  static std::string_view text(PyObject* o, const char* what, std::size_t index) {
    if (PyUnicode_Check(o) && PyUnicode_IS_COMPACT_ASCII(o)) {
      // Most ids and names: ASCII, which is its own UTF-8, stored in the object.
      return {static_cast<const char*>(PyUnicode_DATA(o)), static_cast<std::size_t>(PyUnicode_GET_LENGTH(o))};
    }
    Py_ssize_t size = 0;
    const char* data = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, &size) : nullptr;
    if (data == nullptr) {
      PyErr_Clear();
      throw py::type_error("request " + std::to_string(index) + ": " + what + " must be a str");
    }
    return {data, static_cast<std::size_t>(size)};
  }

  calp::action action(PyObject* o, std::size_t index) {
    auto& [key, value] = actions_[slot_of(o)];
    if (key != o) {
      const auto parsed = calp::parse_action(text(o, "action", index));
      if (!parsed) raise_at(index, raised_error{parsed.error()});
      key = o;
      value = *parsed;
    }
    return value;
  }

  calp::channel channel(PyObject* o, std::size_t index) {
    if (channel_key_ != o) {
      const auto parsed = calp::parse_channel(text(o, "channel", index));
      if (!parsed) raise_at(index, raised_error{parsed.error()});
      channel_key_ = o;
      channel_ = *parsed;
    }
    return channel_;
  }

  calp::date day(PyObject* o, std::size_t index) {
    if (day_key_ != o) {
      // As the `calp::date` caster: a datetime.datetime is refused.
      if (!PyDate_Check(o) || PyDateTime_Check(o)) {
        throw py::type_error("request " + std::to_string(index) + ": `at` must be a datetime.date");
      }
      day_key_ = o;
      day_ = std::chrono::year{PyDateTime_GET_YEAR(o)} /
             std::chrono::month{static_cast<unsigned>(PyDateTime_GET_MONTH(o))} /
             std::chrono::day{static_cast<unsigned>(PyDateTime_GET_DAY(o))};
    }
    return day_;
  }

  PyObject* household_type_ = nullptr;
  std::array<std::pair<PyObject*, calp::action>, slots> actions_{};
  PyObject* channel_key_ = nullptr;
  calp::channel channel_ = calp::channel::online;
  PyObject* day_key_ = nullptr;
  calp::date day_{};
};

std::shared_ptr<const calp::policy> rules_of(const std::optional<policy_handle>& p) {
  return p ? p->rules : policy_handle::caf_default().rules;
}

// Decides the requests of `decide_batch`. Not inlined into the binding's lambda: there,
// GCC 12 -O3 warns (-Wmaybe-uninitialized, wrongly) about the `Policy | None` argument's
// caster.
[[gnu::noinline]] py_decisions decide_requests(const py::sequence& requests,
                                                std::shared_ptr<const calp::policy> rules) {
  // A tuple of the items, which holds them (and so their strings, the views of each
  // request) for the whole call, even if another thread changes `requests` while the GIL
  // is released.
  const auto items = py::reinterpret_steal<py::tuple>(PySequence_Tuple(requests.ptr()));
  if (!items) throw py::error_already_set();
  const auto n = static_cast<std::size_t>(PyTuple_GET_SIZE(items.ptr()));
  const auto item = [&](std::size_t i) { return PyTuple_GET_ITEM(items.ptr(), static_cast<Py_ssize_t>(i)); };
  batch_reader reader;
  // Every request is checked before any is decided; then they are converted again (the
  // reader's memos make that cheap) and decided a chunk at a time, so that the converted
  // requests never take more than a chunk of memory.
  for (std::size_t i = 0; i < n; ++i) static_cast<void>(reader.read(item(i), i));
  py_decisions out(std::move(rules));
  out.values.reserve(n);
  constexpr std::size_t chunk = 1024;
  std::vector<calp::household_request> batch(std::min(n, chunk));
  std::vector<calp::decision> decided(batch.size());
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t count = std::min(chunk, n - first);
    for (std::size_t j = 0; j < count; ++j) batch[j] = reader.read(item(first + j), first + j);
    {
      py::gil_scoped_release release;
      calp::decide_batch(*out.rules, std::span(batch).first(count), decided);
    }
    for (std::size_t j = 0; j < count; ++j) out.append(decided[j]);
  }
  return out;
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
            return ds.at(static_cast<std::size_t>(i));
          },
          "index"_a, "The Decision of request ``index`` (negative indices count from the end).")
      .def(
          "__iter__",
          [](const py_decisions& ds) {
            py::list out(ds.values.size());
            for (std::size_t i = 0; i < ds.values.size(); ++i) out[i] = py::cast(ds.at(i));
            return py::iter(out);
          },
          "Every Decision, in the order of the requests.")
      .def_property_readonly(
          "allowed",
          [](const py_decisions& ds) {
            py::list out(ds.values.size());
            for (std::size_t i = 0; i < ds.values.size(); ++i) {
              PyObject* b = ds.values[i].allowed ? Py_True : Py_False;
              Py_INCREF(b);
              PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), b);
            }
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
        return decide_requests(requests, rules_of(policy));
      },
      "requests"_a, py::kw_only(), "policy"_a = py::none(),
      R"(Decides every request of ``requests``, a sequence of tuples ``(household, person, action, at)``,
``(household, person, action, at, channel)`` or ``(household, person, action, at, channel, agent)``,
exactly as ``decide`` would one by one, with the GIL released while deciding. Returns
Decisions in the same order; read ``.allowed`` for a list of bool without building a
Decision per request. Raises TypeError for a malformed request, UnknownAction or
UnknownChannel, naming the index of the first bad request, before deciding any.)");
}

}  // namespace calp::python
