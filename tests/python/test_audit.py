"""The audit trail from Python (R19): the key that chains it, verification and tamper
detection, retention, the two queries, the batching writer and the GDPR export."""

from __future__ import annotations

import datetime
import gc
import json
import pathlib
import sqlite3
import sys
import threading
import uuid

import pytest

import calp
from conftest import COUPLE, NOW, TODAY, FixedClock, postgres_required, postgres_uri

HEX = "00112233445566778899aabbccddeeff" * 2
UTC = datetime.timezone.utc


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def keyed(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> tuple[calp.Storage, calp.AuditKey]:
    """Each storage this build has, opened with an audit key."""
    key = calp.AuditKey.generate()
    if request.param == "memory":
        return calp.MemoryStorage(audit_key=key), key
    if request.param == "sqlite":
        return calp.SqliteStorage(str(tmp_path / "calp.sqlite"), audit_key=key), key
    uri = postgres_uri()
    if uri is None:
        if postgres_required():
            pytest.fail("CALP_REQUIRE_POSTGRES is set but CALP_TEST_POSTGRES_URI is not")
        pytest.skip("no PostgreSQL server (CALP_TEST_POSTGRES_URI)")
    return calp.PostgresStorage(uri, schema="py_" + uuid.uuid4().hex[:16], audit_key=key), key


def front_desk_decisions(storage: calp.Storage, clock: calp.Clock | None = None, count: int = 3) -> None:
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    authorizer = calp.StorageAuthorizer(storage, clock=clock or FixedClock())
    for person in ["alloc", "conj", "child"][:count]:
        a = authorizer.authorize(person, "7654321", "own_data.read", TODAY, channel="front-desk", agent="A4521")
        assert a.audit_seq is not None


def test_an_audit_key_is_never_printable() -> None:
    key = calp.AuditKey.from_hex(" " + HEX.upper() + "\n")
    assert repr(key) == "AuditKey(<secret>)" and HEX not in str(key)
    assert not [name for name in dir(key) if not name.startswith("_") and name not in
                {"generate", "from_hex", "from_bytes"}]
    calp.AuditKey.from_bytes(bytes(range(32)))
    with pytest.raises(calp.Error) as bad:
        calp.AuditKey.from_hex(HEX[:-1] + "z")
    assert bad.value.code == "calp.audit.key" and HEX[:20] not in str(bad.value)
    with pytest.raises(calp.Error, match="") as short:
        calp.AuditKey.from_bytes(b"short")
    assert short.value.code == "calp.audit.key"


def test_the_event_kinds_are_the_catalogue() -> None:
    kinds = calp.audit_event_kinds()
    assert kinds == sorted(kinds) and {"decision", "audit.purged", "login.failed"} <= set(kinds)


def test_r19_the_chain_is_intact_after_authorizer_decisions(keyed: tuple[calp.Storage, calp.AuditKey]) -> None:
    storage, key = keyed
    empty = calp.verify_audit_trail(storage, key)
    assert empty.intact and empty.events == 0 and empty.first_seq == 0 and empty.last_seq == 0
    front_desk_decisions(storage)
    check = calp.verify_audit_trail(storage, key)
    assert check and check.intact and check.events == 3 and check.problem == "" and check.broken_at == 0
    assert check.last_seq - check.first_seq == 2
    assert len(check.tail_link) == 64 and int(check.tail_link, 16) >= 0
    events = calp.audit_events_of_agent(storage, "A4521")
    assert events[-1].link == check.tail_link
    assert repr(check) == "AuditVerification(intact=True, events=3, broken_at=0)"
    other = calp.verify_audit_trail(storage, calp.AuditKey.generate())
    assert not other.intact and other.broken_at == check.first_seq and other.problem


def test_r19_events_appended_without_the_key_break_the_chain() -> None:
    storage = calp.MemoryStorage()
    front_desk_decisions(storage, count=1)
    check = calp.verify_audit_trail(storage, calp.AuditKey.generate())
    assert not check.intact and check.broken_at == 1 and check.problem


def test_r19_an_event_edited_in_the_sqlite_file_is_found(tmp_path: pathlib.Path) -> None:
    key = calp.AuditKey.from_hex(HEX)
    path = tmp_path / "tampered.sqlite"
    storage = calp.SqliteStorage(str(path), audit_key=key)
    front_desk_decisions(storage)
    before = calp.verify_audit_trail(storage, key)
    assert before.intact
    seqs = [e.seq for e in calp.audit_events_of_agent(storage, "A4521")]
    with sqlite3.connect(path) as db:
        (outcome,) = db.execute("SELECT outcome FROM audit WHERE seq = ?", (seqs[1],)).fetchone()
        assert outcome == "allowed"
        db.execute("UPDATE audit SET outcome = 'denied' WHERE seq = ?", (seqs[1],))
    db.close()
    after = calp.verify_audit_trail(calp.SqliteStorage(str(path), audit_key=key), key)
    assert not after.intact and after.broken_at == seqs[1] and after.problem

    with sqlite3.connect(path) as db:  # put it back: intact again
        db.execute("UPDATE audit SET outcome = ? WHERE seq = ?", (outcome, seqs[1]))
    db.close()
    assert calp.verify_audit_trail(storage, key).intact
    with sqlite3.connect(path) as db:  # remove the oldest without a purge
        db.execute("DELETE FROM audit WHERE seq = ?", (seqs[0],))
    db.close()
    removed = calp.verify_audit_trail(storage, key)
    assert not removed.intact and removed.broken_at == seqs[1] and "removed" in removed.problem


def test_open_storage_takes_the_audit_key(tmp_path: pathlib.Path) -> None:
    key = calp.AuditKey.generate()
    storage = calp.open_storage(str(tmp_path / "opened.sqlite"), create=True, audit_key=key)
    front_desk_decisions(storage, count=1)
    assert calp.verify_audit_trail(storage, key).intact
    memory = calp.open_storage(":memory:", audit_key=key)
    front_desk_decisions(memory, count=1)
    assert calp.verify_audit_trail(memory, key).intact


def test_r19_the_queries_answer_about_a_person_and_of_an_agent(keyed: tuple[calp.Storage, calp.AuditKey]) -> None:
    storage, _ = keyed
    front_desk_decisions(storage)
    about = calp.audit_events_about(storage, "conj")
    assert len(about) == 1
    e = about[0]
    assert e.kind == "decision" and e.subject == "conj" and e.actor == "agent:A4521"
    assert e.dossier == "7654321" and e.outcome and isinstance(e.detail, str)
    assert e.at == NOW and e.at.tzinfo is not None and e.at.utcoffset() == datetime.timedelta(0)
    assert repr(e).startswith(f"AuditEvent(seq={e.seq}, kind='decision', actor='agent:A4521'")
    of_agent = calp.audit_events_of_agent(storage, "A4521")
    assert [x.subject for x in of_agent] == ["alloc", "conj", "child"]
    assert [x.seq for x in of_agent] == sorted(x.seq for x in of_agent)
    page = calp.audit_events_of_agent(storage, "A4521", after_seq=of_agent[0].seq, limit=1)
    assert page == [of_agent[1]]
    assert calp.audit_events_of_agent(storage, "B0000") == []
    assert calp.audit_events_about(storage, "nobody") == []
    with pytest.raises(calp.InvalidPersonId):
        calp.audit_events_about(storage, "")


def test_r19_a_purge_removes_the_past_and_keeps_the_chain(keyed: tuple[calp.Storage, calp.AuditKey]) -> None:
    storage, key = keyed
    clock = FixedClock(datetime.datetime(2020, 1, 1, tzinfo=UTC))
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    authorizer = calp.StorageAuthorizer(storage, clock=clock)
    for when, person in [(2020, "alloc"), (2021, "conj"), (2026, "child")]:
        clock.instant = datetime.datetime(when, 6, 1, tzinfo=UTC)
        authorizer.authorize(person, "7654321", "own_data.read", TODAY, channel="front-desk", agent="A1")
    done = calp.purge_audit_trail(storage, datetime.datetime(2025, 1, 1, tzinfo=UTC), "operator:ops", NOW)
    assert done.removed == 2 and done.event_seq > done.first_kept_seq
    assert repr(done).startswith("AuditPurge(removed=2")
    assert [e.subject for e in calp.audit_events_of_agent(storage, "A1")] == ["child"]
    check = calp.verify_audit_trail(storage, key)
    assert check.intact and check.events == 2 and check.first_seq == done.first_kept_seq
    purged = [e for e in calp.audit_events_about(storage, "operator:ops")] or None
    assert purged is None or purged[0].kind == "audit.purged"
    with pytest.raises(calp.Error) as bad:
        calp.purge_audit_trail(storage, NOW + datetime.timedelta(days=1), "operator:ops", NOW)
    assert bad.value.code == "calp.audit.invalid"
    with pytest.raises(calp.Error) as nobody:
        calp.purge_audit_trail(storage, NOW, "", NOW)
    assert nobody.value.code == "calp.audit.invalid"
    with pytest.raises(ValueError, match="naive"):
        calp.purge_audit_trail(storage, datetime.datetime(2025, 1, 1), "operator:ops", NOW)


def test_r19_the_writer_commits_in_groups_and_flush_makes_them_durable(
        keyed: tuple[calp.Storage, calp.AuditKey]) -> None:
    storage, key = keyed
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    writer = calp.AuditWriter(storage, max_batch=50, max_delay=datetime.timedelta(seconds=30))
    authorizer = calp.StorageAuthorizer(storage, clock=FixedClock(), writer=writer)
    for _ in range(10):
        a = authorizer.authorize("conj", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A7")
        assert not a.allowed and a.audit_seq is None
    writer.submit(calp.AuditEvent("decision", "agent:A7", NOW, subject="alloc", dossier="7654321",
                                  outcome="allowed", detail='{"action":"dossier.read"}'))
    writer.flush()
    stats = writer.stats()
    assert stats.committed == 11 and stats.pending == 0 and stats.failures == 0
    assert 1 <= stats.commits < 11
    assert repr(stats).startswith("AuditWriterStats(committed=11")
    events = calp.audit_events_of_agent(storage, "A7")
    assert len(events) == 11 and events[-1].detail == '{"action":"dossier.read"}'
    assert calp.verify_audit_trail(storage, key).intact


def test_the_writer_refuses_bad_settings_and_events() -> None:
    storage = calp.MemoryStorage()
    with pytest.raises(TypeError, match="timedelta"):
        calp.AuditWriter(storage, max_delay=0.02)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        calp.AuditWriter(storage, max_batch=0)
    with pytest.raises(TypeError, match="Storage"):
        calp.AuditWriter(object())  # type: ignore[arg-type]
    writer = calp.AuditWriter(storage)
    with pytest.raises(calp.StorageError) as bad:
        writer.submit(calp.AuditEvent("decision", "x" * 100_000, NOW))
    assert bad.value.code == "calp.storage.invalid"
    with pytest.raises(ValueError, match="naive"):
        calp.AuditEvent("decision", "agent:A1", datetime.datetime(2026, 1, 1))


def test_the_writer_keeps_its_storage_and_the_authorizer_its_writer_alive(tmp_path: pathlib.Path) -> None:
    key = calp.AuditKey.generate()
    storage = calp.SqliteStorage(str(tmp_path / "kept.sqlite"), audit_key=key)
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    writer = calp.AuditWriter(storage)
    authorizer = calp.StorageAuthorizer(storage, writer=writer)
    del storage, writer
    gc.collect()
    authorizer.authorize("alloc", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A1")
    del authorizer
    gc.collect()  # the writer commits what waits as it goes
    reopened = calp.SqliteStorage(str(tmp_path / "kept.sqlite"), audit_key=key)
    assert len(calp.audit_events_of_agent(reopened, "A1")) == 1
    assert calp.verify_audit_trail(reopened, key).intact


def test_gdpr_export_holds_the_person_households_and_events(keyed: tuple[calp.Storage, calp.AuditKey]) -> None:
    storage, _ = keyed
    assert calp.gdpr_export(storage, "conj", NOW) is None
    front_desk_decisions(storage)
    text = calp.gdpr_export(storage, "conj", NOW)
    assert isinstance(text, str) and "\n" not in text
    doc = json.loads(text)
    assert list(doc) == ["exported_at", "person", "account", "households", "audit_events"]
    assert doc["exported_at"] == "2026-11-28T10:00:00Z"
    assert [h["dossier"] for h in doc["households"]] == ["7654321"]
    assert doc["households"][0]["role"] == "conjoint"
    assert [e["actor"] for e in doc["audit_events"]] == ["agent:A4521"]
    assert "alloc" not in text and "child" not in text  # the other members stay out
    assert "link" not in doc["audit_events"][0]


def test_verify_releases_the_gil(tmp_path: pathlib.Path) -> None:
    key = calp.AuditKey.generate()
    storage = calp.SqliteStorage(str(tmp_path / "long.sqlite"), audit_key=key, durability="process_crash")
    writer = calp.AuditWriter(storage, max_batch=5000)
    for i in range(10_000):
        writer.submit(calp.AuditEvent("decision", "agent:A1", NOW, subject=f"p{i}", outcome="allowed"))
    writer.flush()
    result: list[calp.AuditVerification] = []
    thread = threading.Thread(target=lambda: result.append(calp.verify_audit_trail(storage, key)))
    # With a switch interval this long, the verifying thread keeps the GIL until it gives
    # it up itself: this thread runs again during the verification only if verify
    # releases the GIL, and otherwise only once the other thread has ended.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        thread.start()
        during = not result
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert result[0].intact and result[0].events == 10_000
    assert during, "the main thread could not run while verify_audit_trail ran"
