// The audit trail (R19) from Python: the key that chains it, its events, verification,
// retention, the two queries people make of it, the batching writer and the GDPR export.
// Every call that reads or writes a storage releases the GIL.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pybind11/operators.h>

#include "audit_handle.hpp"
#include "calp/audit.hpp"
#include "calp/audit_key.hpp"
#include "calp/audit_writer.hpp"
#include "calp/gdpr.hpp"
#include "calp/storage.hpp"
#include "common.hpp"

namespace calp::python {

namespace {

using namespace pybind11::literals;

audit_key_handle share(calp::result<calp::audit_key>&& key) {
  return audit_key_handle{std::make_shared<const calp::audit_key>(unwrap(std::move(key)))};
}

}  // namespace

void bind_audit_key(py::module_& m) {
  py::class_<audit_key_handle>(m, "AuditKey", R"(The server key that chains the audit trail (R19):
32 secret bytes. Give the same key to every storage that writes the trail and to
``verify_audit_trail``; keep it out of the database and apart from the code key. It is
never printed: its repr shows no byte of it, and there is no way to read it back.)")
      .def_static(
          "generate", [] { return audit_key_handle{std::make_shared<const calp::audit_key>(calp::audit_key::generate())}; },
          "A new key from libsodium's random generator.")
      .def_static(
          "from_hex", [](std::string_view hex) { return share(calp::audit_key::from_hex(hex)); }, "hex"_a,
          "A key from exactly 64 hex digits (either case; surrounding white space ignored, so a key "
          "file's text can be given as read). Raises calp.Error ``calp.audit.key``, whose message never "
          "quotes the text.")
      .def_static(
          "from_bytes",
          [](const py::bytes& raw) { return share(calp::audit_key::from_bytes(byte_span(raw))); },
          "raw"_a, "A key from exactly 32 bytes. Raises calp.Error ``calp.audit.key``.")
      .def("__repr__", [](const audit_key_handle&) { return std::string("AuditKey(<secret>)"); });
}

void bind_audit(py::module_& m) {
  py::class_<calp::audit_event>(m, "AuditEvent", R"(One entry of the audit trail (R19): who acted,
for whom, what, when. Events carry person ids and dossier numbers, never a full NIR, a
secret or a contact point.)")
      .def(py::init([](std::string kind, std::string actor, calp::timestamp at, std::string subject,
                       std::string dossier, std::string outcome, std::string detail, std::uint64_t seq,
                       std::string link) {
             return calp::audit_event{.seq = seq,
                                      .at = at,
                                      .kind = std::move(kind),
                                      .actor = std::move(actor),
                                      .subject = std::move(subject),
                                      .dossier = std::move(dossier),
                                      .outcome = std::move(outcome),
                                      .detail = std::move(detail),
                                      .link = std::move(link)};
           }),
           "kind"_a, "actor"_a, "at"_a, py::kw_only(), "subject"_a = "", "dossier"_a = "", "outcome"_a = "",
           "detail"_a = "", "seq"_a = 0, "link"_a = "",
           "An event to submit to an AuditWriter; the storage sets ``seq`` and ``link``. ``at`` is an "
           "aware datetime; ``detail`` a small JSON object (text) with no secret, or empty.")
      .def_readwrite("seq", &calp::audit_event::seq,
                     "Its number in the trail, increasing in commit order (0 before it is stored); a "
                     "storage written in Python sets it when appending.")
      .def_readonly("at", &calp::audit_event::at, "When, an aware datetime.datetime in UTC.")
      .def_readonly("kind", &calp::audit_event::kind, "The stable event name (``'decision'``, …).")
      .def_readonly("actor", &calp::audit_event::actor, "Who acted: a person id, or ``'agent:<id>'``.")
      .def_readonly("subject", &calp::audit_event::subject, "Whose data or account it concerns, or ''.")
      .def_readonly("dossier", &calp::audit_event::dossier, "The dossier concerned, or ''.")
      .def_readonly("outcome", &calp::audit_event::outcome, "The stable outcome name (``'denied'``, ``'ok'``).")
      .def_readonly("detail", &calp::audit_event::detail, "A small JSON object (text) with no secret, or ''.")
      .def_readwrite("link", &calp::audit_event::link,
                     "The chain link to the event before (64 hex digits), '' when not chained; a storage "
                     "written in Python that chains sets it with ``audit_link``.")
      .def(py::self == py::self)  // NOLINT(misc-redundant-expression)
      .def("__repr__", [](const calp::audit_event& e) {
        return "AuditEvent(seq=" + std::to_string(e.seq) + ", kind=" + quoted(e.kind) + ", actor=" +
               quoted(e.actor) + ", outcome=" + quoted(e.outcome) + ")";
      });

  py::class_<calp::audit_verification>(m, "AuditVerification", "What verify_audit_trail found.")
      .def_readonly("intact", &calp::audit_verification::intact,
                    "Every link follows from the one before, from the first event (or a purge's anchor) "
                    "to the stored tail.")
      .def_readonly("events", &calp::audit_verification::events, "Events read.")
      .def_readonly("first_seq", &calp::audit_verification::first_seq,
                    "The ``seq`` of the first event read (0 for an empty trail).")
      .def_readonly("last_seq", &calp::audit_verification::last_seq,
                    "The ``seq`` of the last event read (0 for an empty trail).")
      .def_readonly("tail_link", &calp::audit_verification::tail_link,
                    "The link of the last event: keep it where the database's administrators cannot "
                    "write, to detect the removal of newer events later.")
      .def_readonly("broken_at", &calp::audit_verification::broken_at,
                    "The ``seq`` of the first event whose link does not follow, or 0.")
      .def_readonly("problem", &calp::audit_verification::problem,
                    "What is wrong, in English for the operator; '' when intact.")
      .def("__bool__", [](const calp::audit_verification& v) { return v.intact; })
      .def("__repr__", [](const calp::audit_verification& v) {
        return std::string("AuditVerification(intact=") + (v.intact ? "True" : "False") +
               ", events=" + std::to_string(v.events) + ", broken_at=" + std::to_string(v.broken_at) + ")";
      });

  py::class_<calp::audit_purge>(m, "AuditPurge", "What purge_audit_trail did.")
      .def_readonly("removed", &calp::audit_purge::removed, "Events removed.")
      .def_readonly("first_kept_seq", &calp::audit_purge::first_kept_seq,
                    "The ``seq`` of the oldest event kept (the ``audit.purged`` event's when none was).")
      .def_readonly("event_seq", &calp::audit_purge::event_seq, "The ``seq`` of the ``audit.purged`` event.")
      .def("__repr__", [](const calp::audit_purge& p) {
        return "AuditPurge(removed=" + std::to_string(p.removed) +
               ", first_kept_seq=" + std::to_string(p.first_kept_seq) + ")";
      });

  m.def(
      "audit_event_kinds",
      [] {
        std::vector<std::string> out;
        for (const auto k : calp::audit_event_kinds()) out.emplace_back(k);
        return out;
      },
      "Every event kind calp writes, in alphabetical order.");

  m.def(
      "audit_link",
      [](const audit_key_handle& key, std::string_view previous, const calp::audit_event& event) {
        return calp::audit_link(*key.key, previous, event);
      },
      "key"_a, "previous"_a, "event"_a,
      R"(The chain link of ``event`` (its ``seq`` set) after an event whose link is ``previous`` ('' for
the first event): what a storage opened with ``key`` stores in ``event.link``. A storage
written in Python that chains calls it when appending, inside the commit that numbers
the event.)");

  m.def(
      "verify_audit_trail",
      [](calp::storage& store, const audit_key_handle& key) {
        py::gil_scoped_release nogil;
        return calp::verify_audit_trail(store, *key.key);
      },
      "storage"_a, "key"_a,
      R"(Reads the whole trail of ``storage`` in ``seq`` order and recomputes every link with ``key``:
an AuditVerification naming the first event edited, removed or moved. Releases the GIL.
Raises StorageError when the storage fails.)");

  m.def(
      "purge_audit_trail",
      [](calp::storage& store, calp::timestamp before, std::string_view actor, calp::timestamp now) {
        calp::result<calp::audit_purge> done = calp::fail(calp::errc::audit_invalid, "");
        {
          py::gil_scoped_release nogil;
          done = calp::purge_audit_trail(store, before, actor, now);
        }
        return unwrap(std::move(done));
      },
      "storage"_a, "before"_a, "actor"_a, "now"_a,
      R"(Retention: removes, in one commit, the oldest events stamped before ``before`` and appends an
``audit.purged`` event by ``actor`` that anchors the chain (the storage must hold the audit
key for it to be chained). Raises calp.Error ``calp.audit.invalid`` (``before`` after ``now``,
an empty or too long ``actor``) and StorageError; on failure nothing was removed.)");

  m.def(
      "audit_events_about",
      [](calp::storage& store, const person_arg& person, std::uint64_t after_seq, std::size_t limit) {
        py::gil_scoped_release nogil;
        return calp::audit_events_about(store, *person, after_seq, limit);
      },
      "storage"_a, "person"_a, "after_seq"_a = 0, "limit"_a = 1000,
      "The events whose subject or actor is ``person`` (GDPR Art. 15), in ``seq`` order, after "
      "``after_seq``, at most ``limit``: page with the last ``seq`` returned.");

  m.def(
      "audit_events_of_agent",
      [](calp::storage& store, std::string_view agent, std::uint64_t after_seq, std::size_t limit) {
        py::gil_scoped_release nogil;
        return calp::audit_events_of_agent(store, agent, after_seq, limit);
      },
      "storage"_a, "agent"_a, "after_seq"_a = 0, "limit"_a = 1000,
      "The events of the front-desk agent ``agent`` (actor ``agent:<agent>``), in ``seq`` order, "
      "after ``after_seq``, at most ``limit``.");

  m.def(
      "gdpr_export",
      [](calp::storage& store, const person_arg& person, calp::timestamp now) {
        py::gil_scoped_release nogil;
        return calp::gdpr_export(store, *person, now);
      },
      "storage"_a, "person"_a, "now"_a,
      R"(Everything ``storage`` holds about ``person`` (GDPR Art. 15) as one line of UTF-8 JSON, stamped
``now``; None when it knows nothing of them. No secret, no full NIR, nothing of the other
members beyond what is the person's to see. Raises StorageError.)");

  py::class_<calp::audit_writer_stats>(m, "AuditWriterStats", "What an AuditWriter did so far.")
      .def_readonly("committed", &calp::audit_writer_stats::committed, "Events committed.")
      .def_readonly("commits", &calp::audit_writer_stats::commits, "Commits that succeeded.")
      .def_readonly("failures", &calp::audit_writer_stats::failures,
                    "Commits that failed (their events were kept and retried).")
      .def_readonly("pending", &calp::audit_writer_stats::pending, "Events waiting now.")
      .def("__repr__", [](const calp::audit_writer_stats& s) {
        return "AuditWriterStats(committed=" + std::to_string(s.committed) + ", commits=" +
               std::to_string(s.commits) + ", failures=" + std::to_string(s.failures) +
               ", pending=" + std::to_string(s.pending) + ")";
      });

  py::class_<audit_writer_handle, std::shared_ptr<audit_writer_handle>>(m, "AuditWriter",
                                                                         R"(Appends audit events in groups,
on a thread of its own, so that every decision can be audited at the speed of deciding:
up to ``max_batch`` events per commit, at most ``max_delay`` after the oldest arrived.
``submit`` returns before the event is durable: a crash loses the last ``max_delay``; call
``flush()`` before acting on an answer that must be on record. Thread-safe.)")
      .def(py::init([](const py::object& store, std::size_t max_batch, const py::object& max_delay,
                       std::size_t max_pending) {
             const py::object timedelta = py::module_::import("datetime").attr("timedelta");
             if (!py::isinstance(max_delay, timedelta))
               throw py::type_error("max_delay must be a datetime.timedelta");
             const double seconds = max_delay.attr("total_seconds")().cast<double>();
             if (!(seconds >= 0) || seconds > 3600) throw py::value_error("max_delay must be 0 to 3600 seconds");
             if (max_batch == 0) throw py::value_error("max_batch must be at least 1");
             if (max_pending == 0) throw py::value_error("max_pending must be at least 1");
             calp::audit_writer_options options;
             options.max_batch = max_batch;
             options.max_delay = std::chrono::milliseconds{static_cast<std::int64_t>(seconds * 1000)};
             options.max_pending = max_pending;
             return std::make_shared<audit_writer_handle>(retain<calp::storage>(store, "Storage"), options);
           }),
           "storage"_a, py::kw_only(), "max_batch"_a = 1000,
           "max_delay"_a = py::module_::import("datetime").attr("timedelta")("milliseconds"_a = 20),
           "max_pending"_a = 100000,
           "Starts a writer to ``storage`` (kept alive as long as the writer). ``max_delay`` is a "
           "datetime.timedelta; ``max_pending`` bounds the events held, beyond which ``submit`` refuses.")
      .def(
          "submit",
          [](audit_writer_handle& self, calp::audit_event e) {
            calp::result<void> done;
            {
              py::gil_scoped_release nogil;
              done = self.writer().submit(std::move(e));
            }
            unwrap(std::move(done));
          },
          "event"_a,
          "Queues ``event`` (its ``seq`` and ``link`` are the storage's to set). Raises StorageError "
          "``calp.storage.invalid`` (a field too long) or ``calp.storage.unavailable`` (``max_pending`` "
          "events waiting: the storage is failing).")
      .def(
          "flush",
          [](audit_writer_handle& self) {
            calp::result<void> done;
            {
              py::gil_scoped_release nogil;
              done = self.writer().flush();
            }
            unwrap(std::move(done));
          },
          "Waits until every event submitted before the call is committed. Raises StorageError "
          "``calp.storage.unavailable`` when a commit failed meanwhile (the events stay queued). "
          "Releases the GIL.")
      .def(
          "stats", [](audit_writer_handle& self) { return self.writer().stats(); },
          "An AuditWriterStats: what the writer did so far.");
}

}  // namespace calp::python
