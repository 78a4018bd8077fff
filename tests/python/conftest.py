"""Shared fixtures of the Python tests: the test data of the C++ suite (the same files, so
both languages are held to one truth) and the storages each test runs against."""

from __future__ import annotations

import datetime
import os
import pathlib
import sys
import uuid

import pytest

import calp

TESTS_DIR = pathlib.Path(__file__).resolve().parent.parent
CORPUS_DIR = TESTS_DIR / "corpus"
MALFORMED_DIR = TESTS_DIR / "malformed"

DESIGN_EXAMPLE = {
    "dossier": "1234567",
    "members": [
        {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
        {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20",
         "benefits": [{"code": "AAH", "from": "2024-01-01", "until": None}]},
        {"id": "p3", "role": "other", "birth_date": "2010-06-01"},
        {"id": "p4", "role": "other", "birth_date": "2004-02-29", "left": "2026-09-01"},
    ],
    "delegation": {"to": "p2", "granted": "2026-01-15", "revoked": None},
}

COUPLE = {
    "dossier": "7654321",
    "members": [
        {"id": "alloc", "role": "allocataire", "birth_date": "1980-01-01"},
        {"id": "conj", "role": "conjoint", "birth_date": "1981-01-01"},
        {"id": "child", "role": "other", "birth_date": "2008-01-01"},
    ],
}

TODAY = datetime.date(2026, 11, 28)
NOW = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.timezone.utc)


class FixedClock(calp.Clock):
    """A clock a test moves by hand."""

    def __init__(self, now: datetime.datetime = NOW) -> None:
        super().__init__()
        self.instant = now

    def now(self) -> datetime.datetime:
        return self.instant


class RecordingNotifier(calp.Notifier):
    """Keeps what calp sends, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[object] = []

    def send_sms(self, notice: calp.SmsNotice) -> None:
        self.sent.append(notice)

    def send_email(self, notice: calp.EmailNotice) -> None:
        self.sent.append(notice)


def postgres_uri() -> str | None:
    return os.environ.get("CALP_TEST_POSTGRES_URI") or None


def postgres_required() -> bool:
    return os.environ.get("CALP_REQUIRE_POSTGRES", "0") == "1"


# examples/python/custom_storage.py: the storage written in Python that the tests hold
# to the same contract as calp's own.
sys.path.insert(0, str(TESTS_DIR.parent / "examples" / "python"))
from custom_storage import DictStorage  # noqa: E402


class PassThrough(calp.StorageWrapper):
    """A wrapper that changes nothing but goes through Python for every call."""

    def find_household(self, dossier: calp.DossierNumber):
        return super().find_household(dossier)

    def find_account(self, person: str):
        return self.target.find_account(person)

    def commit(self, batch: calp.WriteBatch):
        return super().commit(batch)


@pytest.fixture(params=["memory", "sqlite", "postgres", "python", "wrapped"])
def storage(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> calp.Storage:
    """Each storage this build has; PostgreSQL in a schema of its own, when a server is
    given (CALP_TEST_POSTGRES_URI; CI requires it); a storage written in Python
    (DictStorage), and a Python wrapper around a MemoryStorage."""
    if request.param == "memory":
        return calp.MemoryStorage()
    if request.param == "python":
        return DictStorage()
    if request.param == "wrapped":
        return PassThrough(calp.MemoryStorage())
    if request.param == "sqlite":
        return calp.SqliteStorage(str(tmp_path / "calp.sqlite"))
    uri = postgres_uri()
    if uri is None:
        if postgres_required():
            pytest.fail("CALP_REQUIRE_POSTGRES is set but CALP_TEST_POSTGRES_URI is not")
        pytest.skip("no PostgreSQL server (CALP_TEST_POSTGRES_URI)")
    return calp.PostgresStorage(uri, schema="py_" + uuid.uuid4().hex[:16])
