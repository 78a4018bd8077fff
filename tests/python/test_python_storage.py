"""Storages written in Python (``class MyStorage(calp.Storage)``) and Python wrappers
around a storage (``calp.StorageWrapper``): held to calp's storage conformance suite (the
C++ cases every storage of calp passes), kept alive while C++ uses them, and failing
the way a database fails: a Python exception becomes a storage failure carrying the
Python message, and nothing is left half-written."""

from __future__ import annotations

import datetime
import gc
import threading
import weakref

import pytest

import calp
import calp.testing
from conftest import COUPLE, NOW, TODAY, DictStorage, FixedClock, RecordingNotifier

CASES = calp.testing.storage_conformance_cases()


def test_the_suite_is_the_cpp_one() -> None:
    assert len(CASES) >= 26
    assert all(name.startswith("storage conformance: ") for name in CASES)
    assert any("R14" in name for name in CASES) and any("R19" in name for name in CASES)


@pytest.mark.parametrize("case", CASES)
def test_conformance_of_the_example_storage(case: str) -> None:
    report = calp.testing.run_storage_conformance(DictStorage, DictStorage, cases=[case])
    assert [c.name for c in report.cases] == [case]
    assert report.ok, str(report)


class Forwarding(calp.StorageWrapper):
    """Goes through Python for every method, forwarding each one differently."""

    def find_person(self, id: str):
        return super().find_person(id)

    def find_households_of(self, person: str):
        return self.target.find_households_of(person)

    def audit_events(self, query: calp.AuditQuery):
        return list(super().audit_events(query))

    def commit(self, batch: calp.WriteBatch):
        return super().commit(batch)


def test_conformance_of_a_python_wrapper_around_calp_storages() -> None:
    report = calp.testing.run_storage_conformance(
        lambda: Forwarding(calp.MemoryStorage()), lambda key: Forwarding(calp.MemoryStorage(key)))
    assert report.ok, str(report)


def test_the_suite_finds_a_storage_that_breaks_the_contract() -> None:
    class NoVersionCheck(DictStorage):
        def _stage(self, s, i, op):  # type: ignore[no-untyped-def]
            if isinstance(op, calp.PutHousehold) and op.expected_version:
                op = calp.WriteBatch().put(op.record, 0).operations[0]
                s.tables["households"].pop(op.record.dossier.value, None)
                self._tables["households"].pop(op.record.dossier.value, None)
            super()._stage(s, i, op)

    report = calp.testing.run_storage_conformance(NoVersionCheck, NoVersionCheck)
    assert not report.ok
    failed = {c.name for c in report.failed}
    assert any("R7" in name for name in failed), str(report)
    assert all(c.failures for c in report.failed)
    assert "FAILED" in str(report)


def test_a_factory_that_fails_fails_the_case_with_its_message() -> None:
    def broken() -> calp.Storage:
        raise ConnectionError("database down")

    report = calp.testing.run_storage_conformance(broken, DictStorage, cases=CASES[:1])
    assert not report.ok
    assert "ConnectionError: database down" in report.cases[0].failures[0]
    report = calp.testing.run_storage_conformance(lambda: "not a storage", DictStorage, cases=CASES[:1])
    assert "returned str, not a calp.Storage" in report.cases[0].failures[0]


# ----- failures inside a Python storage


class Faulty(DictStorage):
    """A DictStorage that raises where a test says: before publishing a commit, or in a read."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_commit: BaseException | None = None
        self.fail_read: str | None = None

    def _check_unique(self, s, operations):  # type: ignore[no-untyped-def]
        super()._check_unique(s, operations)
        if self.fail_commit is not None:
            raise self.fail_commit

    def find_household(self, dossier):  # type: ignore[no-untyped-def]
        if self.fail_read == "find_household":
            raise OSError("disk read error")
        return super().find_household(dossier)


@pytest.fixture
def faulty() -> Faulty:
    store = Faulty()
    store.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    return store


def snapshot(store: calp.Storage) -> tuple:
    return (store.find_household("7654321"), store.audit_tail(),
            store.audit_events(calp.AuditQuery()), store.find_account("alloc"))


def test_a_python_exception_in_commit_is_a_storage_failure_and_writes_nothing(faulty: Faulty) -> None:
    households = calp.HouseholdService(faulty, RecordingNotifier(), FixedClock())
    before = snapshot(faulty)
    faulty.fail_commit = RuntimeError("replica lag too high")
    with pytest.raises(calp.StorageError) as raised:
        households.grant_delegation("alloc", "7654321")
    assert raised.value.code == "calp.storage.failure"
    assert "RuntimeError: replica lag too high" in raised.value.message
    assert "commit" in raised.value.message
    assert snapshot(faulty) == before

    faulty.fail_commit = None
    assert households.grant_delegation("alloc", "7654321").outcome == "done"
    assert faulty.find_household("7654321")[0].delegation is not None


def test_a_python_exception_in_a_read_fails_the_flow_before_any_write(faulty: Faulty) -> None:
    authorizer = calp.StorageAuthorizer(faulty, clock=FixedClock())
    before = snapshot(faulty)
    faulty.fail_read = "find_household"
    with pytest.raises(calp.StorageError) as raised:
        authorizer.authorize("conj", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A1")
    assert raised.value.code == "calp.storage.failure"
    assert "find_household() raised OSError: disk read error" in raised.value.message
    faulty.fail_read = None
    assert snapshot(faulty) == before


def test_a_storage_error_raised_in_python_keeps_its_code(faulty: Faulty) -> None:
    faulty.fail_commit = calp.StorageError.unavailable("primary is down")
    with pytest.raises(calp.StorageError) as raised:
        calp.Storage.commit(faulty, calp.WriteBatch().put(calp.AccountRecord("alloc"), 0))
    assert raised.value.code == "calp.storage.unavailable" and raised.value.message == "primary is down"
    assert faulty.find_account("alloc") is None


def test_conflicts_and_duplicates_raised_in_python_are_refusals_with_their_field(faulty: Faulty) -> None:
    household, version = faulty.find_household("7654321")
    with pytest.raises(calp.StorageError) as raised:
        calp.Storage.commit(faulty, calp.WriteBatch().put(household, version + 7))
    assert raised.value.code == "calp.storage.conflict" and raised.value.field == "operations[0]"
    person = calp.PersonRecord("alloc", provisional_id=calp.ProvisionalId.parse("P12345678"))
    twin = calp.PersonRecord("conj", provisional_id=calp.ProvisionalId.parse("P12345678"))
    with pytest.raises(calp.StorageError) as raised:
        calp.Storage.commit(faulty, calp.WriteBatch().put(person, 0).put(twin, 0))
    assert raised.value.code == "calp.storage.duplicate" and raised.value.field == "operations[1].provisional_id"
    assert faulty.find_person("alloc") is None


def test_calp_validates_a_batch_before_python_sees_it(faulty: Faulty) -> None:
    seen: list[calp.WriteBatch] = []
    faulty.commit = seen.append  # type: ignore[method-assign]
    bad = calp.ChallengeRecord("k", payload="x" * 4097)
    with pytest.raises(calp.StorageError) as raised:
        calp.Storage.commit(faulty, calp.WriteBatch().put(bad, 0))
    assert raised.value.code == "calp.storage.invalid" and raised.value.field == "operations[0].payload"
    assert seen == []
    with pytest.raises(calp.StorageError, match="operations.0..payload"):
        calp.WriteBatch().put(bad, 0).validate()

    class Wrapped(calp.StorageWrapper):
        def commit(self, batch):  # type: ignore[no-untyped-def]
            seen.append(batch)
            return super().commit(batch)

    with pytest.raises(calp.StorageError) as raised:
        calp.Storage.commit(Wrapped(faulty), calp.WriteBatch().put(bad, 0))
    assert raised.value.code == "calp.storage.invalid" and seen == []


class Shapeless(DictStorage):
    """Answers what a test puts in ``answers``, whatever its shape."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, object] = {}

    def find_account(self, person):  # type: ignore[no-untyped-def]
        return self.answers.get("find_account", super().find_account(person))

    def commit(self, batch):  # type: ignore[no-untyped-def]
        receipt = super().commit(batch)
        return self.answers.get("commit", receipt)


@pytest.mark.parametrize("answer, message", [
    (42, "find_account(): returned int where a (AccountRecord, version) pair was expected"),
    ((calp.AccountRecord("alloc"),), "find_account(): returned tuple where a (AccountRecord, version) pair"),
    ((calp.AccountRecord("alloc"), 0), "returned version 0"),
    ((calp.AccountRecord("alloc"), -1), "find_account(): returned int where a version (int) was expected"),
    (("alloc", 1), "find_account(): returned str where AccountRecord was expected"),
])
def test_an_answer_of_the_wrong_shape_is_a_storage_failure(answer: object, message: str) -> None:
    store = Shapeless()
    store.answers["find_account"] = answer
    service = calp.AccountService(store, RecordingNotifier(), FixedClock(),
                                  calp.AccountConfig("cgu", password_hashing=calp.PasswordHashing.for_tests()),
                                  calp.CodeKey.generate())
    with pytest.raises(calp.StorageError) as raised:
        service.next_step("alloc")
    assert raised.value.code == "calp.storage.failure"
    assert message in raised.value.message


def test_a_receipt_must_number_every_appended_event() -> None:
    store = Shapeless()
    event = calp.AuditEvent("decision", "agent:A1", NOW)
    store.answers["commit"] = [1, 2]
    with pytest.raises(calp.StorageError, match="returned 2 audit seqs for the 1 events"):
        calp.Storage.commit(store, calp.WriteBatch().append(event))
    store.answers["commit"] = None
    with pytest.raises(calp.StorageError, match="returned 0 audit seqs for the 1 events"):
        calp.Storage.commit(store, calp.WriteBatch().append(event))
    store.answers["commit"] = [9]
    assert calp.Storage.commit(store, calp.WriteBatch().append(event)).audit_seqs == [9]


def test_a_storage_must_define_every_method() -> None:
    class Partial(calp.Storage):
        def find_household(self, dossier):  # type: ignore[no-untyped-def]
            return None

    store = Partial()
    with pytest.raises(calp.StorageError, match="find_account\\(\\): not defined"):
        calp.Storage.find_account(store, "alloc")
    authorizer = calp.StorageAuthorizer(store)
    with pytest.raises(calp.StorageError, match="commit\\(\\): not defined"):
        authorizer.authorize("alloc", "7654321", "dossier.read", TODAY)  # audited: needs a commit


def test_a_subclass_must_call_the_base_init() -> None:
    class Forgetful(calp.Storage):
        def __init__(self) -> None:
            pass

    with pytest.raises(TypeError, match="__init__"):
        Forgetful()


# ----- lifetime and threads


def test_a_python_storage_lives_as_long_as_cpp_uses_it() -> None:
    store = DictStorage()
    store.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    alive = weakref.ref(store)
    authorizer = calp.StorageAuthorizer(store, clock=FixedClock())
    writer = calp.AuditWriter(store)
    service = calp.HouseholdService(store, RecordingNotifier(), FixedClock())
    del store
    gc.collect()
    assert alive() is not None
    assert service.grant_delegation("alloc", "7654321").outcome == "done"
    assert authorizer.authorize("conj", "7654321", "dossier.read", TODAY).allowed
    writer.submit(calp.AuditEvent("decision", "agent:A1", NOW))
    writer.flush()
    del authorizer, service
    gc.collect()
    assert alive() is not None  # the writer still holds it
    del writer
    gc.collect()
    assert alive() is None


def test_a_wrapper_keeps_its_target_alive_and_forwards_what_it_does_not_define() -> None:
    calls: list[str] = []

    class Counting(calp.StorageWrapper):
        def find_household(self, dossier):  # type: ignore[no-untyped-def]
            calls.append(str(dossier))
            return super().find_household(dossier)

    inner = DictStorage()
    inner.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    alive = weakref.ref(inner)
    wrapper = Counting(inner)
    assert wrapper.target is inner
    del inner
    gc.collect()
    assert alive() is not None
    authorizer = calp.StorageAuthorizer(wrapper, clock=FixedClock())
    assert authorizer.authorize("alloc", "7654321", "dossier.read", TODAY).allowed
    assert calls == ["7654321"]
    assert wrapper.find_account("alloc") is None  # not defined: the target answers


def test_an_audit_writer_thread_commits_into_a_python_storage_while_python_threads_decide() -> None:
    store = DictStorage(audit_key=calp.AuditKey.from_hex("11" * 32))
    store.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    writer = calp.AuditWriter(store, max_delay=datetime.timedelta(milliseconds=1))
    authorizer = calp.StorageAuthorizer(store, clock=FixedClock(), writer=writer)
    errors: list[BaseException] = []

    def decide() -> None:
        try:
            for _ in range(50):
                authorizer.authorize("conj", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A1")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=decide) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.flush()
    assert errors == []
    assert len(store.audit_events(calp.AuditQuery(limit=1000))) == 200
    check = calp.verify_audit_trail(store, calp.AuditKey.from_hex("11" * 32))
    assert check.intact and check.events == 200
