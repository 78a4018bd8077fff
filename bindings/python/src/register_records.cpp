// Storage records as Python reads and writes them, and the WriteBatch that Storage.commit
// applies. Enumerations travel as their stable names (`to_string` in C++).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calp/storage.hpp"
#include "records.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

calp::account_state account_state_from(std::string_view name) {
  for (const auto s : {calp::account_state::awaiting_first_connection, calp::account_state::first_connection,
                       calp::account_state::active, calp::account_state::disabled}) {
    if (calp::to_string(s) == name) return s;
  }
  throw py::value_error(
      "account state must be 'awaiting_first_connection', 'first_connection', 'active' or 'disabled'");
}

calp::contact_kind contact_kind_from(std::string_view name) {
  for (const auto k : {calp::contact_kind::mobile, calp::contact_kind::email}) {
    if (calp::to_string(k) == name) return k;
  }
  throw py::value_error("contact kind must be 'mobile' or 'email'");
}

// `batch.put(record, version)` returning the batch, so puts chain as in C++.
template <class Record>
py::object put(const py::object& self, Record record, std::uint64_t expected_version) {
  self.cast<calp::write_batch&>().put(std::move(record), expected_version);
  return self;
}

}  // namespace

void bind_records(py::module_& m) {
  py::class_<calp::contact_point>(m, "ContactPoint",
                                  "A mobile number or an e-mail address, and when it was proved.")
      .def(py::init([](std::string_view kind, std::string value, std::optional<calp::timestamp> verified_at) {
             return calp::contact_point{contact_kind_from(kind), std::move(value), verified_at};
           }),
           "kind"_a, "value"_a, "verified_at"_a = py::none(),
           "``kind`` is ``'mobile'`` or ``'email'``; ``verified_at`` an aware datetime, or None.")
      .def_property(
          "kind", [](const calp::contact_point& c) { return std::string(calp::to_string(c.kind)); },
          [](calp::contact_point& c, std::string_view kind) { c.kind = contact_kind_from(kind); },
          "``'mobile'`` or ``'email'``.")
      .def_readwrite("value", &calp::contact_point::value, "The number (E.164) or the address.")
      .def_readwrite("verified_at", &calp::contact_point::verified_at, "When a code proved it, or None.")
      .def(
          "__eq__", [](const calp::contact_point& a, const calp::contact_point& b) { return a == b; },
          py::is_operator())
      .def("__repr__", [](const calp::contact_point& c) {
        return "ContactPoint('" + std::string(calp::to_string(c.kind)) + "', '" + c.value + "')";
      });

  py::class_<calp::account_record>(m, "AccountRecord",
                                   R"(A person's own account as stored (R11). Hashes only: a
password never reaches the storage in clear. List fields are copied in and out:
assign a whole new list to change ``contacts``.)")
      .def(py::init([](const person_arg& person, std::string_view state,
                       std::vector<calp::contact_point> contacts, std::optional<std::string> terms_version,
                       std::optional<calp::timestamp> terms_accepted_at,
                       std::optional<calp::timestamp> created_at) {
             return calp::account_record{.person = *person,
                                         .state = account_state_from(state),
                                         .password_hash = {},
                                         .legacy_password_hash = {},
                                         .terms_version = std::move(terms_version),
                                         .terms_accepted_at = terms_accepted_at,
                                         .contacts = std::move(contacts),
                                         .franceconnect_sub = {},
                                         .delegation_offer_accepted = {},
                                         .civil_status_locked = false,
                                         .created_at = created_at.value_or(calp::timestamp{}),
                                         .password_changed_at = {}};
           }),
           "person"_a, py::kw_only(), "state"_a = "awaiting_first_connection",
           "contacts"_a = std::vector<calp::contact_point>{}, "terms_version"_a = py::none(),
           "terms_accepted_at"_a = py::none(), "created_at"_a = py::none(),
           "An account of ``person``; ``created_at`` defaults to the epoch. Raises InvalidPersonId, "
           "ValueError.")
      .def_property_readonly(
          "person", [](const calp::account_record& r) { return std::string(r.person.str()); },
          "The person id.")
      .def_property(
          "state", [](const calp::account_record& r) { return std::string(calp::to_string(r.state)); },
          [](calp::account_record& r, std::string_view s) { r.state = account_state_from(s); },
          "``'awaiting_first_connection'``, ``'first_connection'``, ``'active'`` or ``'disabled'``.")
      .def_readwrite("contacts", &calp::account_record::contacts,
                     "The contact points, as a list of ContactPoint.")
      .def_readwrite("terms_version", &calp::account_record::terms_version,
                     "The CGU version accepted, or None.")
      .def_readwrite("terms_accepted_at", &calp::account_record::terms_accepted_at, "When, or None.")
      .def_readwrite("created_at", &calp::account_record::created_at, "When the account was created.")
      .def(
          "__eq__", [](const calp::account_record& a, const calp::account_record& b) { return a == b; },
          py::is_operator())
      .def("__repr__", [](const calp::account_record& r) {
        return "AccountRecord('" + std::string(r.person.str()) + "', state='" +
               std::string(calp::to_string(r.state)) + "')";
      });

  py::class_<calp::commit_receipt>(m, "CommitReceipt", "What a successful commit assigned.")
      .def_readonly("audit_seqs", &calp::commit_receipt::audit_seqs,
                    "The sequence number of each audit event appended, in batch order.");

  py::class_<calp::write_batch>(m, "WriteBatch",
                                R"(Writes that Storage.commit applies together, all or none. Each
``put`` names the version the record was read at, or 0 to create it. Building a batch
touches nothing.)")
      .def(py::init<>())
      .def("put", &put<calp::household>, "household"_a, "expected_version"_a = 0,
           "Adds a put of a Household; returns the batch.")
      .def("put", &put<calp::account_record>, "account"_a, "expected_version"_a = 0,
           "Adds a put of an AccountRecord; returns the batch.")
      .def("__len__", &calp::write_batch::size, "The number of operations.");
}

}  // namespace calp::python
