// The extension `calp._testing`: calp's storage conformance suite
// (calp/testing/storage_conformance.hpp, the same doctest cases every C++ storage
// passes) run against storages made by Python callables. calp/testing.py wraps it.
// A module of its own so that `calp._core` carries neither doctest nor the suite.
#define DOCTEST_CONFIG_IMPLEMENT
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS  // the host process's signals are Python's
#include <doctest/doctest.h>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "calp/testing/storage_conformance.hpp"
#include "audit_handle.hpp"
#include "common.hpp"

namespace calp::python {
namespace {

using namespace pybind11::literals;

// What one test case came to, collected by `collecting_reporter`.
struct case_result {
  std::string name;
  bool passed = true;
  std::vector<std::string> failures;
};

// The state of the one run in progress (doctest's registry and reporters are global).
struct run_state {
  py::object make;
  py::object make_chained;
  std::vector<case_result> results;
  std::vector<std::string> listed;
  std::vector<std::string> subcases;
};
run_state* current = nullptr;
std::mutex one_run_at_a_time;

// A storage made in Python, held by C++: the shared_ptr from `retain` keeps the Python
// object alive until the suite drops the storage.
class held_storage : public calp::storage_wrapper {
 public:
  explicit held_storage(std::shared_ptr<calp::storage> s) : storage_wrapper(*s), keep_(std::move(s)) {}

 private:
  std::shared_ptr<calp::storage> keep_;
};

std::unique_ptr<calp::storage> storage_from(const py::object& made, const char* factory) {
  if (!py::isinstance<calp::storage>(made)) {
    throw std::runtime_error(std::string(factory) + " returned " + type_name(made) + ", not a calp.Storage");
  }
  return std::make_unique<held_storage>(retain<calp::storage>(made, "Storage"));
}

// The factory the suite is instantiated with: it calls the Python callables of the run.
// A Python exception is turned into a C++ one while the GIL is held: doctest reports it
// as the test case's failure, and the Python error must not outlive the GIL.
struct python_factory {
  static std::unique_ptr<calp::storage> make() {
    py::gil_scoped_acquire gil;
    try {
      return storage_from(current->make(), "make()");
    } catch (const py::error_already_set& e) {
      throw std::runtime_error(std::string("make() raised ") + e.what());
    }
  }
  static std::unique_ptr<calp::storage> make_chained(std::shared_ptr<const calp::audit_key> key) {
    py::gil_scoped_acquire gil;
    try {
      return storage_from(current->make_chained(audit_key_handle{std::move(key)}), "make_chained(key)");
    } catch (const py::error_already_set& e) {
      throw std::runtime_error(std::string("make_chained(key) raised ") + e.what());
    }
  }
};

std::string where(const char* file, int line) {
  std::string f(file == nullptr ? "" : file);
  if (const auto slash = f.find_last_of('/'); slash != std::string::npos) f.erase(0, slash + 1);
  return f + ":" + std::to_string(line);
}

class collecting_reporter : public doctest::IReporter {
 public:
  explicit collecting_reporter(const doctest::ContextOptions&) {}

  void report_query(const doctest::QueryData& q) override {
    for (unsigned i = 0; i < q.num_data; ++i) current->listed.emplace_back(q.data[i]->m_name);
  }
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    current->results.push_back({tc.m_name, true, {}});
    current->subcases.clear();
  }
  void test_case_reenter(const doctest::TestCaseData&) override { current->subcases.clear(); }
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    current->results.back().passed = stats.testCaseSuccess && current->results.back().failures.empty();
  }
  void test_case_exception(const doctest::TestCaseException& e) override {
    fail(std::string("exception: ") + e.error_string.c_str());
  }
  void subcase_start(const doctest::SubcaseSignature& s) override { current->subcases.emplace_back(s.m_name.c_str()); }
  void subcase_end() override {
    if (!current->subcases.empty()) current->subcases.pop_back();
  }
  void log_assert(const doctest::AssertData& a) override {
    if (!a.m_failed) return;
    std::string text = where(a.m_file, a.m_line) + ": " + doctest::assertString(a.m_at) + "(" + a.m_expr + ")";
    if (a.m_threw) {
      text += std::string(" threw: ") + a.m_exception.c_str();
    } else if (a.m_decomp.size() > 0) {
      text += std::string(" is ") + a.m_decomp.c_str();
    }
    fail(text);
  }
  void log_message(const doctest::MessageData& m) override {
    if ((m.m_severity & (doctest::assertType::is_check | doctest::assertType::is_require)) == 0) return;
    fail(where(m.m_file, m.m_line) + ": " + m.m_string.c_str());
  }
  void test_case_skipped(const doctest::TestCaseData&) override {}

 private:
  static void fail(std::string text) {
    if (current->results.empty()) return;
    std::string path;
    for (const auto& s : current->subcases) path += "[" + s + "] ";
    current->results.back().passed = false;
    current->results.back().failures.push_back(path + std::move(text));
  }
};

// doctest filters are comma-separated wildcards: a name matches itself, its commas
// escaped.
std::string filter_for(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ',';
    for (const char c : name) {
      if (c == ',') out += '\\';
      out += c;
    }
  }
  return out;
}

// Runs doctest over the suite with command-line `options` (`--test-case=…`); GIL
// released, as the suite's threads call Python storages.
void run(run_state& state, std::vector<std::string> options) {
  const std::unique_lock lock(one_run_at_a_time, std::try_to_lock);
  if (!lock) throw std::runtime_error("a storage conformance run is already in progress");
  current = &state;
  const std::unique_ptr<run_state*, void (*)(run_state**)> done(&current, [](run_state** c) { *c = nullptr; });
  options.insert(options.begin(), {"calp", "--reporters=calp_python", "--no-breaks", "--no-path-filenames"});
  std::vector<const char*> argv;
  for (const auto& o : options) argv.push_back(o.c_str());
  doctest::Context context;
  context.applyCommandLine(static_cast<int>(argv.size()), argv.data());
  py::gil_scoped_release nogil;
  context.run();
}

}  // namespace
}  // namespace calp::python

TYPE_TO_STRING_AS("python storage", calp::python::python_factory);
CALP_STORAGE_CONFORMANCE(calp::python::python_factory);
REGISTER_REPORTER("calp_python", 1, calp::python::collecting_reporter);

PYBIND11_MODULE(_testing, m) {
  namespace py = pybind11;
  using namespace calp::python;
  m.doc() = "calp's storage conformance suite, run against storages written in Python (see calp.testing)";
  py::module_::import("calp._core");  // the types the suite passes to Python (AuditKey)

  m.def(
      "cases",
      [] {
        run_state state;
        run(state, {"--list-test-cases"});
        return state.listed;
      },
      "The names of the conformance cases, in order.");

  m.def(
      "run",
      [](py::object make, py::object make_chained, const std::optional<std::vector<std::string>>& cases) {
        run_state state;
        state.make = std::move(make);
        state.make_chained = std::move(make_chained);
        std::vector<std::string> options;
        if (cases) options.push_back("--test-case=" + filter_for(*cases));
        run(state, options);
        py::list out;
        for (auto& r : state.results) out.append(py::make_tuple(r.name, r.passed, r.failures));
        return out;
      },
      "make"_a, "make_chained"_a, "cases"_a = py::none(),
      "Runs the cases named (default: all) with storages from ``make()`` and ``make_chained(key)``; "
      "a list of (name, passed, failures).");
}
