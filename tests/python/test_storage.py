"""Storages from Python: the same records, versions and failures on every storage, and
the authorizer over a storage (R8, R10, R19)."""

from __future__ import annotations

import datetime
import gc
import pathlib
import threading

import pytest

import calp
from conftest import COUPLE, DESIGN_EXAMPLE, NOW, TODAY, DictStorage, FixedClock


def test_a_household_round_trips_with_its_version(storage: calp.Storage) -> None:
    h = calp.Household.from_dict(DESIGN_EXAMPLE)
    assert storage.find_household("1234567") is None
    receipt = storage.commit(calp.WriteBatch().put(h, 0))
    assert receipt.audit_seqs == []
    found = storage.find_household(calp.DossierNumber.parse("1234567"))
    assert found is not None
    stored, version = found
    assert stored == h and version == 1
    assert storage.households_of("p2") == [calp.DossierNumber.parse("1234567")]
    assert storage.households_of("nobody") == []
    assert storage.find_households_of("p4") == [(h, 1)]


def test_r10_a_stale_write_is_a_conflict_and_changes_nothing(storage: calp.Storage) -> None:
    h = calp.Household.from_dict(COUPLE)
    storage.commit(calp.WriteBatch().put(h, 0))
    with pytest.raises(calp.StorageError) as caught:
        storage.commit(calp.WriteBatch().put(h, 0))
    assert caught.value.code == "calp.storage.conflict"
    assert caught.value.field == "operations[0]"
    changed = calp.Household.from_dict({**COUPLE, "delegation": {"to": "conj", "granted": "2026-01-01"}})
    storage.commit(calp.WriteBatch().put(changed, 1))
    assert storage.find_household("7654321") == (changed, 2)
    with pytest.raises(calp.StorageError):
        storage.commit(calp.WriteBatch().put(h, 1))
    assert storage.find_household("7654321") == (changed, 2)


def test_accounts_round_trip(storage: calp.Storage) -> None:
    contacts = [calp.ContactPoint("mobile", "+33612345678", NOW), calp.ContactPoint("email", "a@test.fr")]
    account = calp.AccountRecord("p1", state="active", contacts=contacts, terms_version="2026-01",
                                 terms_accepted_at=NOW, created_at=NOW - datetime.timedelta(days=1))
    batch = calp.WriteBatch().put(calp.Household.from_dict(DESIGN_EXAMPLE), 0).put(account, 0)
    assert len(batch) == 2
    storage.commit(batch)
    found = storage.find_account("p1")
    assert found == (account, 1)
    stored = found[0]
    assert (stored.person, stored.state, stored.terms_version) == ("p1", "active", "2026-01")
    assert stored.terms_accepted_at == NOW and stored.created_at == NOW - datetime.timedelta(days=1)
    assert stored.contacts == contacts
    assert stored.contacts[0].kind == "mobile" and stored.contacts[0].verified_at == NOW
    assert stored.contacts[1].verified_at is None
    assert storage.find_account("p2") is None


def test_r14_an_email_shared_in_a_household_is_a_duplicate(storage: calp.Storage) -> None:
    batch = calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0)
    for person in ("alloc", "conj"):
        batch.put(calp.AccountRecord(person, contacts=[calp.ContactPoint("email", "foyer@test.fr")]), 0)
    with pytest.raises(calp.StorageError) as caught:
        storage.commit(batch)
    assert caught.value.code == "calp.storage.duplicate"
    assert storage.find_household("7654321") is None


def test_records_are_editable_values() -> None:
    account = calp.AccountRecord("p1")
    assert (account.state, account.contacts, account.terms_version, account.terms_accepted_at) == (
        "awaiting_first_connection", [], None, None)
    assert account.created_at == datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    account.state = "disabled"
    account.contacts = [calp.ContactPoint("email", "x@test.fr")]
    account.terms_version = "v2"
    account.terms_accepted_at = NOW
    account.created_at = NOW
    assert repr(account) == "AccountRecord('p1', state='disabled')"
    c = account.contacts[0]
    c.kind, c.value, c.verified_at = "mobile", "+33700000000", NOW
    assert repr(c) == "ContactPoint('mobile', '+33700000000')"
    with pytest.raises(ValueError):
        account.state = "asleep"
    with pytest.raises(ValueError):
        calp.ContactPoint("fax", "x")
    with pytest.raises(calp.InvalidPersonId):
        calp.AccountRecord("p 1")
    with pytest.raises(ValueError, match="naive datetime"):
        calp.ContactPoint("email", "x@test.fr", datetime.datetime(2026, 1, 1))


def test_instants_in_other_time_zones_are_stored_in_utc(storage: calp.Storage) -> None:
    paris = datetime.timezone(datetime.timedelta(hours=1))
    account = calp.AccountRecord("p1", created_at=datetime.datetime(2026, 11, 28, 11, 0, 30, 999, tzinfo=paris))
    storage.commit(calp.WriteBatch().put(account, 0))
    stored = storage.find_account("p1")[0]
    assert stored.created_at == datetime.datetime(2026, 11, 28, 10, 0, 30, tzinfo=datetime.timezone.utc)
    assert stored.created_at.tzinfo is datetime.timezone.utc


def test_malformed_identifiers_raise_before_reaching_the_storage(storage: calp.Storage) -> None:
    with pytest.raises(calp.InvalidDossierNumber):
        storage.find_household("12")
    with pytest.raises(TypeError):
        storage.find_household(1234567)
    with pytest.raises(calp.InvalidNir):
        storage.find_person_by_nir("1 85 01")
    if isinstance(storage, DictStorage):
        return  # Python calling a storage written in Python passes person ids as they are
    with pytest.raises(calp.InvalidPersonId):
        storage.households_of("")


def test_r8_r19_the_storage_authorizer_decides_on_the_stored_household_and_audits(storage: calp.Storage) -> None:
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    authorizer = calp.StorageAuthorizer(storage, clock=FixedClock())
    a = authorizer.authorize("conj", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A4521")
    assert not a and not a.allowed and a.reason == "conjoint_without_delegation"
    assert a.message.startswith("Le conjoint n'a pas de délégation")
    assert a.role == "conjoint" and a.dossier_found and a.audit_seq is not None
    assert repr(a) == "Authorization(allowed=False, reason='conjoint_without_delegation')"
    own = authorizer.authorize("conj", "7654321", "own_data.read", TODAY)
    assert own.allowed and own.audit_seq is None
    unknown = authorizer.authorize("conj", "1111111", "dossier.read", TODAY)
    assert not unknown.allowed and unknown.reason == "unknown_dossier" and not unknown.dossier_found
    assert calp.StorageAuthorizer.audited("dossier.read", "online")
    assert not calp.StorageAuthorizer.audited("own_data.read", "online")
    assert calp.StorageAuthorizer.audited("own_data.read", "front-desk")
    with pytest.raises(calp.UnknownAction):
        authorizer.authorize("conj", "7654321", "nope", TODAY)


def test_r10_a_revoked_delegation_applies_on_the_next_authorization(storage: calp.Storage) -> None:
    granted = {**COUPLE, "delegation": {"to": "conj", "granted": "2026-01-01"}}
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(granted), 0))
    authorizer = calp.StorageAuthorizer(storage)
    assert authorizer.authorize("conj", "7654321", "dossier.read", TODAY).allowed
    revoked = {**COUPLE, "delegation": {"to": "conj", "granted": "2026-01-01", "revoked": "2026-11-28"}}
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(revoked), 1))
    assert not authorizer.authorize("conj", "7654321", "dossier.read", TODAY).allowed


def test_authorize_loaded_decides_on_the_given_household(storage: calp.Storage) -> None:
    authorizer = calp.StorageAuthorizer(storage, calp.Policy.caf_default())
    h = calp.Household.from_dict(COUPLE)
    a = authorizer.authorize_loaded(h, "alloc", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A1")
    assert a.allowed and a.audit_seq is not None
    assert authorizer.authorize_loaded(None, "alloc", "7654321", "dossier.read", TODAY).reason == "unknown_dossier"


def test_the_authorizer_keeps_its_storage_and_clock_alive(tmp_path: pathlib.Path) -> None:
    storage = calp.SqliteStorage(str(tmp_path / "kept.sqlite"))
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    authorizer = calp.StorageAuthorizer(storage, clock=FixedClock())
    del storage
    gc.collect()
    a = authorizer.authorize("alloc", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A1")
    assert a.allowed and a.audit_seq is not None


def test_a_python_clock_that_returns_a_naive_datetime_is_refused(storage: calp.Storage) -> None:
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    clock = FixedClock(datetime.datetime(2026, 11, 28, 10, 0))
    authorizer = calp.StorageAuthorizer(storage, clock=clock)
    with pytest.raises(ValueError, match="naive datetime"):
        authorizer.authorize("alloc", "7654321", "dossier.read", TODAY, channel="front-desk", agent="A1")


def test_several_python_threads_authorize_at_once(storage: calp.Storage) -> None:
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    authorizer = calp.StorageAuthorizer(storage, clock=FixedClock())
    errors: list[BaseException] = []
    seqs: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for _ in range(25):
                a = authorizer.authorize("alloc", "7654321", "dossier.read", TODAY)
                assert a.allowed
                with lock:
                    seqs.append(a.audit_seq)
        except BaseException as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(seqs)) == 100  # every decision audited once, none lost


def test_sqlite_shares_one_file_and_reports_failures(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    first = calp.SqliteStorage(path, busy_timeout=1.0, durability="process_crash")
    first.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    assert calp.SqliteStorage(path).find_household("7654321") is not None
    with pytest.raises(calp.StorageError) as caught:
        calp.SqliteStorage(str(tmp_path / "no" / "such" / "folder.sqlite"))
    assert caught.value.code == "calp.storage.unavailable"
    assert not caught.value.message.startswith("calp.storage")  # the code is apart
    (tmp_path / "foreign").write_bytes(b"not a database at all" * 100)
    with pytest.raises(calp.StorageError) as corrupt:
        calp.SqliteStorage(str(tmp_path / "foreign"))
    assert corrupt.value.code == "calp.storage.corrupt"
    with pytest.raises(ValueError):
        calp.SqliteStorage(path, durability="sometimes")
    with pytest.raises(ValueError):
        calp.SqliteStorage(path, busy_timeout=-1)
    with pytest.raises(TypeError, match="busy_timeout must be seconds or a datetime.timedelta"):
        calp.SqliteStorage(path, busy_timeout="5")
    with pytest.raises(ValueError):
        calp.SqliteStorage(path, busy_timeout=datetime.timedelta(days=2))
    unmapped = calp.SqliteStorage(path, mmap_bytes=0, cache_kib=1024, max_idle_connections=1,
                                  busy_timeout=datetime.timedelta(milliseconds=1500))
    assert unmapped.find_household("7654321") is not None
    for bad in ({"mmap_bytes": -1}, {"cache_kib": -5}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            calp.SqliteStorage(path, **bad)


def test_open_storage_names_a_storage_by_location(tmp_path: pathlib.Path) -> None:
    assert isinstance(calp.open_storage(":memory:"), calp.MemoryStorage)
    path = str(tmp_path / "opened.sqlite")
    with pytest.raises(calp.StorageError) as caught:
        calp.open_storage(path)
    assert caught.value.code == "calp.storage.unavailable"
    opened = calp.open_storage(path, create=True)
    assert isinstance(opened, calp.SqliteStorage)
    opened.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    assert calp.open_storage(path).find_household("7654321") is not None
    with pytest.raises(calp.StorageError) as bad:
        calp.open_storage("postgresql://calp:s3cret@[bad")
    assert bad.value.code == "calp.storage.location"
    assert "s3cret" not in str(bad.value)
    assert calp.redacted_location("postgresql://calp:s3cret@db/caf") == "postgresql://calp:***@db/caf"


def test_postgres_options_and_failures() -> None:
    from conftest import postgres_uri

    with pytest.raises(calp.StorageError) as caught:
        calp.PostgresStorage("postgresql://calp:s3cret@127.0.0.1:1/postgres",
                             connect_timeout=datetime.timedelta(seconds=2))
    assert caught.value.code == "calp.storage.unavailable"
    assert "s3cret" not in str(caught.value)
    with pytest.raises(calp.StorageError) as bad_schema:
        calp.PostgresStorage("postgresql://calp@127.0.0.1:1/postgres", schema="Bad-Name")
    assert bad_schema.value.code == "calp.storage.location"
    uri = postgres_uri()
    if uri is not None:
        store = calp.PostgresStorage(uri, pool_size=2, schema="py_options")
        assert store.schema == "py_options"
        assert isinstance(calp.open_storage(uri), calp.PostgresStorage)


def test_a_commit_waiting_for_a_sqlite_lock_releases_the_gil(tmp_path: pathlib.Path) -> None:
    import sqlite3
    import time

    path = str(tmp_path / "locked.sqlite")
    storage = calp.SqliteStorage(path, busy_timeout=10.0)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    outcome: list[object] = []

    def commit() -> None:
        try:
            outcome.append(storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0)))
        except calp.StorageError as e:
            outcome.append(e)

    worker = threading.Thread(target=commit)
    started = time.monotonic()
    worker.start()
    # This thread needs the GIL to go on: were it held while the commit waits for the
    # lock, the next lines would run only after the 10 s timeout, too late.
    time.sleep(0.2)
    other.execute("ROLLBACK")
    worker.join()
    assert time.monotonic() - started < 5
    assert isinstance(outcome[0], calp.CommitReceipt)
    assert storage.find_household("7654321") is not None
