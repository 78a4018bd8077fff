// Storage records as Python reads and writes them, the WriteBatch that Storage.commit
// applies, and its operations as a storage written in Python receives them.
// Enumerations travel as their stable names (`to_string` in C++); person ids as str.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <pybind11/operators.h>

#include "calp/storage.hpp"
#include "records.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

constexpr calp::account_state account_states[] = {
    calp::account_state::awaiting_first_connection, calp::account_state::first_connection,
    calp::account_state::active, calp::account_state::disabled};
constexpr calp::contact_kind contact_kinds[] = {calp::contact_kind::mobile, calp::contact_kind::email};
constexpr calp::gender genders[] = {calp::gender::female, calp::gender::male};
constexpr calp::session_kind session_kinds[] = {calp::session_kind::first_connection, calp::session_kind::full};

// `batch.<op>(…)` returning the batch, so that calls chain as in C++.
template <class... Args>
auto chained(calp::write_batch& (calp::write_batch::*op)(Args...)) {
  return [op](const py::object& self, Args... args) {
    (self.cast<calp::write_batch&>().*op)(std::move(args)...);
    return self;
  };
}

template <class Record>
py::object put(const py::object& self, Record record, std::uint64_t expected_version) {
  self.cast<calp::write_batch&>().put(std::move(record), expected_version);
  return self;
}

// A read-only operation class: `record` and `expected_version`.
template <class Record>
void bind_put_op(py::module_& m, const char* name, const char* record_class) {
  using op = calp::write_batch::put_op<Record>;
  py::class_<op>(m, name, (std::string("An operation of a WriteBatch: write this ") + record_class +
                           " if the stored one has ``expected_version`` (0: none may exist).")
                              .c_str())
      .def_readonly("record", &op::record, "The record to store (its key is in it).")
      .def_readonly("expected_version", &op::expected_version,
                    "The version the record was read at, 0 to create it; stored as this + 1.")
      .def("__repr__", [name](const op& o) {
        return std::string(name) + "(expected_version=" + std::to_string(o.expected_version) + ")";
      });
}

void bind_operations(py::module_& m) {
  bind_put_op<calp::person_record>(m, "PutPerson", "PersonRecord");
  bind_put_op<calp::household>(m, "PutHousehold", "Household");
  bind_put_op<calp::account_record>(m, "PutAccount", "AccountRecord");
  bind_put_op<calp::challenge_record>(m, "PutChallenge", "ChallengeRecord");
  bind_put_op<calp::throttle_record>(m, "PutThrottle", "ThrottleRecord");
  bind_put_op<calp::session_record>(m, "PutSession", "SessionRecord");

  using batch = calp::write_batch;
  py::class_<batch::erase_challenge_op>(
      m, "EraseChallenge", "An operation of a WriteBatch: remove the challenge ``key`` at ``expected_version``.")
      .def_readonly("key", &batch::erase_challenge_op::key, "The challenge's key.")
      .def_readonly("expected_version", &batch::erase_challenge_op::expected_version,
                    "The version read; any other (0 included) is a conflict.")
      .def("__repr__", [](const batch::erase_challenge_op& o) {
        return "EraseChallenge(" + quoted(o.key) + ", expected_version=" + std::to_string(o.expected_version) + ")";
      });
  py::class_<batch::erase_session_op>(
      m, "EraseSession",
      "An operation of a WriteBatch: remove the session ``token_hash`` at ``expected_version``.")
      .def_readonly("token_hash", &batch::erase_session_op::token_hash, "The session's key.")
      .def_readonly("expected_version", &batch::erase_session_op::expected_version,
                    "The version read; any other (0 included) is a conflict.")
      .def("__repr__", [](const batch::erase_session_op& o) {
        return "EraseSession(expected_version=" + std::to_string(o.expected_version) + ")";
      });
  py::class_<batch::erase_sessions_of_op>(
      m, "EraseSessionsOf",
      "An operation of a WriteBatch: remove every session of ``person``, including sessions an "
      "earlier operation of the batch wrote; never a conflict.")
      .def_property_readonly(
          "person", [](const batch::erase_sessions_of_op& o) { return std::string(o.person.str()); },
          "The person id.")
      .def("__repr__", [](const batch::erase_sessions_of_op& o) {
        return "EraseSessionsOf(" + quoted(o.person.str()) + ")";
      });
  py::class_<batch::append_audit_op>(
      m, "AppendAudit",
      R"(An operation of a WriteBatch: append ``event`` to the audit trail with the next ``seq``
(and, in a storage that chains, its ``link``); with ``after_seq``, a conflict unless
the trail's last event has that seq (0: the trail never had one).)")
      .def_readonly("event", &batch::append_audit_op::event, "The AuditEvent; its ``seq`` is ignored.")
      .def_readonly("after_seq", &batch::append_audit_op::after_seq, "The seq the tail must have, or None.")
      .def("__repr__", [](const batch::append_audit_op& o) {
        return "AppendAudit(" + quoted(o.event.kind) + ")";
      });
  py::class_<batch::purge_audit_op>(
      m, "PurgeAudit",
      "An operation of a WriteBatch: remove the audit events with ``seq < before_seq``, events "
      "appended earlier in the batch included; the others keep their numbers.")
      .def_readonly("before_seq", &batch::purge_audit_op::before_seq, "The first seq kept.")
      .def("__repr__", [](const batch::purge_audit_op& o) {
        return "PurgeAudit(before_seq=" + std::to_string(o.before_seq) + ")";
      });
}

}  // namespace

void bind_records(py::module_& m) {
  py::class_<calp::civil_status>(m, "CivilStatus", R"(What a person declares about themselves
(primo-demandeur, R4), or the FranceConnect pivot fields (R18).)")
      .def(py::init([](std::string family_name, std::string given_names, std::string_view gender,
                       calp::date birth_date, std::string birth_country, std::string birth_place,
                       std::string birth_city, const std::vector<std::pair<std::string, std::string>>& parents,
                       std::string postal_code) {
             calp::civil_status c;
             c.family_name = std::move(family_name);
             c.given_names = std::move(given_names);
             c.gender = named(gender, genders, "gender");
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
      .def_readonly("civil_status", &calp::person_record::civil_status, "The CivilStatus, or None.")
      .def_readwrite("provisional_valid_until", &calp::person_record::provisional_valid_until,
                     "When a certified NIR replaced the provisional identifier: until when the latter still "
                     "opens the account, or None.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::person_record& r) { return "PersonRecord(" + quoted(r.id.str()) + ")"; });

  py::class_<calp::contact_point>(m, "ContactPoint",
                                  "A mobile number or an e-mail address, and when it was proved.")
      .def(py::init([](std::string_view kind, std::string value, std::optional<calp::timestamp> verified_at) {
             return calp::contact_point{named(kind, contact_kinds, "contact kind"), std::move(value), verified_at};
           }),
           "kind"_a, "value"_a, "verified_at"_a = py::none(),
           "``kind`` is ``'mobile'`` or ``'email'``; ``verified_at`` an aware datetime, or None.")
      .def_property(
          "kind", [](const calp::contact_point& c) { return std::string(calp::to_string(c.kind)); },
          [](calp::contact_point& c, std::string_view kind) { c.kind = named(kind, contact_kinds, "contact kind"); },
          "``'mobile'`` or ``'email'``.")
      .def_readwrite("value", &calp::contact_point::value, "The number (E.164) or the address.")
      .def_readwrite("verified_at", &calp::contact_point::verified_at, "When a code proved it, or None.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::contact_point& c) {
        return "ContactPoint(" + quoted(calp::to_string(c.kind)) + ", " + quoted(c.value) + ")";
      });

  py::class_<calp::account_record>(m, "AccountRecord",
                                   R"(A person's own account as stored (R11). Hashes only: a
password never reaches the storage in clear. List fields are copied in and out:
assign a whole new list to change ``contacts``.)")
      .def(py::init([](const person_arg& person, std::string_view state, std::vector<calp::contact_point> contacts,
                       std::optional<std::string> terms_version, std::optional<calp::timestamp> terms_accepted_at,
                       std::optional<calp::timestamp> created_at, std::string password_hash,
                       std::string legacy_password_hash, std::optional<std::string> franceconnect_sub,
                       std::optional<bool> delegation_offer_accepted, bool civil_status_locked,
                       std::optional<calp::timestamp> password_changed_at) {
             return calp::account_record{.person = *person,
                                         .state = named(state, account_states, "account state"),
                                         .password_hash = std::move(password_hash),
                                         .legacy_password_hash = std::move(legacy_password_hash),
                                         .terms_version = std::move(terms_version),
                                         .terms_accepted_at = terms_accepted_at,
                                         .contacts = std::move(contacts),
                                         .franceconnect_sub = std::move(franceconnect_sub),
                                         .delegation_offer_accepted = delegation_offer_accepted,
                                         .civil_status_locked = civil_status_locked,
                                         .created_at = created_at.value_or(calp::timestamp{}),
                                         .password_changed_at = password_changed_at};
           }),
           "person"_a, py::kw_only(), "state"_a = "awaiting_first_connection",
           "contacts"_a = std::vector<calp::contact_point>{}, "terms_version"_a = py::none(),
           "terms_accepted_at"_a = py::none(), "created_at"_a = py::none(), "password_hash"_a = "",
           "legacy_password_hash"_a = "", "franceconnect_sub"_a = py::none(),
           "delegation_offer_accepted"_a = py::none(), "civil_status_locked"_a = false,
           "password_changed_at"_a = py::none(),
           "An account of ``person``; ``created_at`` defaults to the epoch. Raises InvalidPersonId, "
           "ValueError.")
      .def_property(
          "person", [](const calp::account_record& r) { return std::string(r.person.str()); },
          [](calp::account_record& r, const person_arg& p) { r.person = *p; }, "The person id.")
      .def_property(
          "state", [](const calp::account_record& r) { return std::string(calp::to_string(r.state)); },
          [](calp::account_record& r, std::string_view s) { r.state = named(s, account_states, "account state"); },
          "``'awaiting_first_connection'``, ``'first_connection'``, ``'active'`` or ``'disabled'``.")
      .def_readwrite("password_hash", &calp::account_record::password_hash,
                     "The Argon2id hash (``crypto_pwhash_str``), or '' (no password yet).")
      .def_readwrite("legacy_password_hash", &calp::account_record::legacy_password_hash,
                     "The imported hash of the 8-digit dossier password, or '' once la bascule is done.")
      .def_readwrite("contacts", &calp::account_record::contacts,
                     "The contact points, as a list of ContactPoint.")
      .def_readwrite("terms_version", &calp::account_record::terms_version,
                     "The CGU version accepted, or None.")
      .def_readwrite("terms_accepted_at", &calp::account_record::terms_accepted_at, "When, or None.")
      .def_readwrite("franceconnect_sub", &calp::account_record::franceconnect_sub,
                     "The FranceConnect subject linked (unique across the storage), or None.")
      .def_readwrite("delegation_offer_accepted", &calp::account_record::delegation_offer_accepted,
                     "The allocataire's answer to the délégation offer, or None.")
      .def_readwrite("civil_status_locked", &calp::account_record::civil_status_locked,
                     "Whether FranceConnect locked the pivot fields.")
      .def_readwrite("created_at", &calp::account_record::created_at, "When the account was created.")
      .def_readwrite("password_changed_at", &calp::account_record::password_changed_at,
                     "When the password last changed, or None.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::account_record& r) {
        return "AccountRecord(" + quoted(r.person.str()) + ", state=" + quoted(calp::to_string(r.state)) + ")";
      });

  py::class_<calp::challenge_record>(m, "ChallengeRecord", R"(A one-time secret in flight (R13): a
verification, activation or recovery code, a FranceConnect state. Holds the secret's
keyed hash, never the secret.)")
      .def(py::init([](std::string key, const std::optional<person_arg>& person, std::string secret_hash,
                       std::optional<calp::timestamp> issued_at, std::optional<calp::timestamp> expires_at,
                       std::uint32_t issued_count, std::uint32_t failed_attempts, bool consumed,
                       std::string payload) {
             return calp::challenge_record{
                 .key = std::move(key),
                 .person = person ? std::optional<calp::person_id>(**person) : std::nullopt,
                 .secret_hash = std::move(secret_hash),
                 .issued_at = issued_at.value_or(calp::timestamp{}),
                 .expires_at = expires_at.value_or(calp::timestamp{}),
                 .issued_count = issued_count,
                 .failed_attempts = failed_attempts,
                 .consumed = consumed,
                 .payload = std::move(payload)};
           }),
           "key"_a, py::kw_only(), "person"_a = py::none(), "secret_hash"_a = "", "issued_at"_a = py::none(),
           "expires_at"_a = py::none(), "issued_count"_a = 0, "failed_attempts"_a = 0, "consumed"_a = false,
           "payload"_a = "", "A challenge under ``key``; instants default to the epoch.")
      .def_readwrite("key", &calp::challenge_record::key, "What the secret proves (1 to 256 bytes).")
      .def_property(
          "person",
          [](const calp::challenge_record& r) -> std::optional<std::string> {
            if (!r.person) return std::nullopt;
            return std::string(r.person->str());
          },
          [](calp::challenge_record& r, const std::optional<person_arg>& p) {
            r.person = p ? std::optional<calp::person_id>(**p) : std::nullopt;
          },
          "The person id it concerns, or None.")
      .def_readwrite("secret_hash", &calp::challenge_record::secret_hash, "The keyed hash of the secret.")
      .def_readwrite("issued_at", &calp::challenge_record::issued_at, "When the current secret was issued.")
      .def_readwrite("expires_at", &calp::challenge_record::expires_at, "When it stops being accepted.")
      .def_readwrite("issued_count", &calp::challenge_record::issued_count, "Secrets issued under this key (R13).")
      .def_readwrite("failed_attempts", &calp::challenge_record::failed_attempts,
                     "Wrong entries against the current secret (R13).")
      .def_readwrite("consumed", &calp::challenge_record::consumed, "Whether the secret was accepted.")
      .def_readwrite("payload", &calp::challenge_record::payload, "Non-secret context, at most 4096 bytes.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::challenge_record& r) { return "ChallengeRecord(" + quoted(r.key) + ")"; });

  py::class_<calp::throttle_record>(m, "ThrottleRecord",
                                    "Failure counters for one identifier or one code (R12b); the key is never a NIR.")
      .def(py::init([](std::string key, std::uint32_t consecutive_failures,
                       std::vector<calp::timestamp> recent_failures, std::optional<calp::timestamp> blocked_until) {
             return calp::throttle_record{std::move(key), consecutive_failures, std::move(recent_failures),
                                          blocked_until};
           }),
           "key"_a, py::kw_only(), "consecutive_failures"_a = 0,
           "recent_failures"_a = std::vector<calp::timestamp>{}, "blocked_until"_a = py::none(),
           "Counters under ``key``.")
      .def_readwrite("key", &calp::throttle_record::key, "What is counted (1 to 256 bytes).")
      .def_readwrite("consecutive_failures", &calp::throttle_record::consecutive_failures,
                     "Failures since the last success.")
      .def_readwrite("recent_failures", &calp::throttle_record::recent_failures,
                     "The instants of the failures inside the rolling window, oldest first (a list copy).")
      .def_readwrite("blocked_until", &calp::throttle_record::blocked_until, "Blocked until then, or None.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::throttle_record& r) { return "ThrottleRecord(" + quoted(r.key) + ")"; });

  py::class_<calp::session_record>(m, "SessionRecord",
                                   "A logged-in session, keyed by a hash of its token (never the token).")
      .def(py::init([](std::string token_hash, const person_arg& person, std::string_view kind, std::string method,
                       std::optional<calp::timestamp> created_at, std::optional<calp::timestamp> last_seen_at,
                       std::optional<calp::timestamp> expires_at) {
             return calp::session_record{std::move(token_hash),
                                         *person,
                                         named(kind, session_kinds, "session kind"),
                                         std::move(method),
                                         created_at.value_or(calp::timestamp{}),
                                         last_seen_at.value_or(calp::timestamp{}),
                                         expires_at.value_or(calp::timestamp{})};
           }),
           "token_hash"_a, "person"_a, py::kw_only(), "kind"_a = "full", "method"_a = "password",
           "created_at"_a = py::none(), "last_seen_at"_a = py::none(), "expires_at"_a = py::none(),
           "A session of ``person``; ``kind`` ``'full'`` or ``'first_connection'``; instants default to "
           "the epoch.")
      .def_readwrite("token_hash", &calp::session_record::token_hash, "The hash of the token (1 to 256 bytes).")
      .def_property(
          "person", [](const calp::session_record& r) { return std::string(r.person.str()); },
          [](calp::session_record& r, const person_arg& p) { r.person = *p; }, "The person id.")
      .def_property(
          "kind", [](const calp::session_record& r) { return std::string(calp::to_string(r.kind)); },
          [](calp::session_record& r, std::string_view k) { r.kind = named(k, session_kinds, "session kind"); },
          "``'full'`` or ``'first_connection'``.")
      .def_readwrite("method", &calp::session_record::method, "How it was opened (``'password'``, …).")
      .def_readwrite("created_at", &calp::session_record::created_at, "When it was opened.")
      .def_readwrite("last_seen_at", &calp::session_record::last_seen_at, "When it was last used.")
      .def_readwrite("expires_at", &calp::session_record::expires_at, "Its absolute expiry.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::session_record& r) {
        return "SessionRecord(person=" + quoted(r.person.str()) + ", kind=" + quoted(calp::to_string(r.kind)) + ")";
      });

  py::class_<calp::audit_query>(m, "AuditQuery", R"(Which audit events Storage.audit_events reads:
every condition set must hold; in ``seq`` order, at most ``limit``.)")
      .def(py::init([](std::optional<std::string> subject, std::optional<std::string> actor, std::uint64_t after_seq,
                       std::size_t limit) {
             return calp::audit_query{std::move(subject), std::move(actor), after_seq, limit};
           }),
           py::kw_only(), "subject"_a = py::none(), "actor"_a = py::none(), "after_seq"_a = 0, "limit"_a = 1000,
           "Events about ``subject`` and/or by ``actor``, with ``seq > after_seq``, at most ``limit``.")
      .def_readwrite("subject", &calp::audit_query::subject, "The subject every event must have, or None.")
      .def_readwrite("actor", &calp::audit_query::actor, "The actor every event must have, or None.")
      .def_readwrite("after_seq", &calp::audit_query::after_seq, "Only events with a greater seq.")
      .def_readwrite("limit", &calp::audit_query::limit, "At most this many events.")
      .def("__repr__", [](const calp::audit_query& q) {
        return "AuditQuery(after_seq=" + std::to_string(q.after_seq) + ", limit=" + std::to_string(q.limit) + ")";
      });

  py::class_<calp::commit_receipt>(m, "CommitReceipt", "What a successful commit assigned.")
      .def(py::init([](std::vector<std::uint64_t> audit_seqs) { return calp::commit_receipt{std::move(audit_seqs)}; }),
           "audit_seqs"_a = std::vector<std::uint64_t>{},
           "A receipt; a storage written in Python may return one from ``commit``.")
      .def_readonly("audit_seqs", &calp::commit_receipt::audit_seqs,
                    "The sequence number of each audit event appended, in batch order.");

  bind_operations(m);

  using batch = calp::write_batch;
  py::class_<batch>(m, "WriteBatch",
                    R"(Writes that Storage.commit applies together, all or none. Each ``put`` names
the version the record was read at, or 0 to create it. Building a batch touches
nothing; every method returns the batch, so calls chain.)")
      .def(py::init<>())
      .def("put", &put<calp::household>, "household"_a, "expected_version"_a = 0, "Adds a put of a Household.")
      .def("put", &put<calp::account_record>, "account"_a, "expected_version"_a = 0,
           "Adds a put of an AccountRecord.")
      .def("put", &put<calp::person_record>, "person"_a, "expected_version"_a = 0, "Adds a put of a PersonRecord.")
      .def("put", &put<calp::challenge_record>, "challenge"_a, "expected_version"_a = 0,
           "Adds a put of a ChallengeRecord.")
      .def("put", &put<calp::throttle_record>, "throttle"_a, "expected_version"_a = 0,
           "Adds a put of a ThrottleRecord.")
      .def("put", &put<calp::session_record>, "session"_a, "expected_version"_a = 0,
           "Adds a put of a SessionRecord.")
      .def("erase_challenge", chained(&batch::erase_challenge), "key"_a, "expected_version"_a,
           "Adds the removal of the challenge ``key`` read at ``expected_version``.")
      .def("erase_session", chained(&batch::erase_session), "token_hash"_a, "expected_version"_a,
           "Adds the removal of the session ``token_hash`` read at ``expected_version``.")
      .def(
          "erase_sessions_of",
          [](const py::object& self, const person_arg& person) {
            self.cast<batch&>().erase_sessions_of(*person);
            return self;
          },
          "person"_a, "Adds the removal of every session of ``person``.")
      .def("append", chained(&batch::append), "event"_a, "after_seq"_a = py::none(),
           "Adds an AuditEvent to append; with ``after_seq``, only if the trail's last event has it.")
      .def("purge_audit", chained(&batch::purge_audit), "before_seq"_a,
           "Adds the removal of the audit events with ``seq < before_seq``.")
      .def(
          "validate", [](const batch& b) { unwrap(b.validate()); },
          R"(The checks every storage makes before writing anything: text is UTF-8 without NUL and
within its size, no record written twice. Raises StorageError ``calp.storage.invalid``
whose ``field`` names the operation (``operations[3].payload``).)")
      .def_property_readonly(
          "operations",
          [](const batch& b) {
            py::list out;
            for (const auto& op : b.operations()) {
              out.append(std::visit([](const auto& o) { return py::cast(o); }, op));
            }
            return out;
          },
          "The operations, in order, as PutPerson, PutHousehold, PutAccount, PutChallenge, PutThrottle, "
          "PutSession, EraseChallenge, EraseSession, EraseSessionsOf, AppendAudit and PurgeAudit "
          "(copies: changing them changes nothing).")
      .def("__len__", &batch::size, "The number of operations.");
}

}  // namespace calp::python
