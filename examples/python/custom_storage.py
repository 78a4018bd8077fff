"""A storage written in Python: what a host whose data lives somewhere calp does not know
(its own database layer, an ORM, a service) writes to plug it in.

``DictStorage`` keeps every record in dicts behind one lock. It is small on purpose but
holds to the whole contract of ``calp.Storage`` (calp/storage.hpp): versions on every
write, a batch applied whole or not at all, the uniqueness rules (one NIR, one
provisional identifier, one FranceConnect subject per person; one e-mail address per
household's current members, R14), the audit trail numbered and, with a key, chained.
tests/python/test_python_storage.py runs calp's storage conformance suite against it,
and so should a host against its own storage:

    report = calp.testing.run_storage_conformance(DictStorage, DictStorage)
    assert report.ok, report.failures

Run as a program, it serves the services (a household imported, the délégation granted,
a front-desk decision) and verifies the chained audit trail.
"""

from __future__ import annotations

import datetime
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

import calp

_PUTS = {
    calp.PutPerson: ("persons", lambda r: r.id, "a person"),
    calp.PutHousehold: ("households", lambda h: h.dossier.value, "a household"),
    calp.PutAccount: ("accounts", lambda r: r.person, "an account"),
    calp.PutChallenge: ("challenges", lambda r: r.key, "a challenge"),
    calp.PutThrottle: ("throttles", lambda r: r.key, "a throttle record"),
    calp.PutSession: ("sessions", lambda r: r.token_hash, "a session"),
}
_TABLES = ("persons", "households", "accounts", "challenges", "throttles", "sessions")
_ERASED = object()  # marks a record a batch removes


def _email_keys(account: calp.AccountRecord) -> list[tuple[int, str]]:
    """The account's e-mail addresses as compared for R14 (ASCII case folded), with their
    index in ``contacts``."""
    return [(k, c.value.translate(_ASCII_LOWER)) for k, c in enumerate(account.contacts) if c.kind == "email"]


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass
class _Staged:
    """What one batch changes, seen over the stored state without touching it."""

    base: "DictStorage"
    tables: dict[str, dict[str, Any]] = field(default_factory=lambda: {t: {} for t in _TABLES})
    events: dict[int, calp.AuditEvent] = field(default_factory=dict)
    purge_before: int = 0
    last_seq: int = 0
    tail: Optional[calp.AuditEvent] = None
    seqs: list[int] = field(default_factory=list)

    def current(self, table: str, key: str) -> Optional[tuple[Any, int]]:
        """The record as the batch left it so far: staged, erased, or as stored."""
        staged = self.tables[table].get(key)
        if staged is _ERASED:
            return None
        return staged if staged is not None else self.base._tables[table].get(key)


class DictStorage(calp.Storage):
    """Every record in this process's memory, in Python. ``audit_key`` (a calp.AuditKey):
    chain the audit events appended, as calp's own storages do."""

    def __init__(self, audit_key: Optional[calp.AuditKey] = None) -> None:
        super().__init__()  # required: the C++ side of the object
        self._lock = threading.Lock()
        self._audit_key = audit_key
        self._tables: dict[str, dict[str, tuple[Any, int]]] = {t: {} for t in _TABLES}
        self._audit: dict[int, calp.AuditEvent] = {}  # in seq order (insertion order)
        self._last_seq = 0
        self._tail: Optional[calp.AuditEvent] = None  # kept when a purge removes it
        # Secondary indexes, rebuilt for the records a commit changes.
        self._by_nir: dict[str, str] = {}
        self._by_provisional_id: dict[str, str] = {}
        self._by_sub: dict[str, str] = {}
        self._by_birth_date: dict[datetime.date, set[str]] = {}
        self._dossiers_of: dict[str, set[str]] = {}
        self._tokens_of: dict[str, set[str]] = {}

    # ----- reads: a (record, version) pair, None when absent

    def find_person(self, id: str):
        with self._lock:
            return self._tables["persons"].get(id)

    def find_person_by_nir(self, nir: calp.Nir | str):
        with self._lock:
            return self._tables["persons"].get(self._by_nir.get(_key(calp.Nir, nir), ""))

    def find_person_by_provisional_id(self, provisional_id: calp.ProvisionalId | str):
        with self._lock:
            return self._tables["persons"].get(self._by_provisional_id.get(_key(calp.ProvisionalId, provisional_id), ""))

    def find_persons_born_on(self, birth_date: datetime.date, limit: int):
        with self._lock:
            ids = sorted(self._by_birth_date.get(birth_date, ()))[:limit]
            return [self._tables["persons"][i] for i in ids]

    def find_household(self, dossier: calp.DossierNumber | str):
        with self._lock:
            return self._tables["households"].get(_key(calp.DossierNumber, dossier))

    def households_of(self, person: str):
        with self._lock:
            return [calp.DossierNumber.parse(d) for d in sorted(self._dossiers_of.get(person, ()))]

    def find_households_of(self, person: str):
        with self._lock:
            return [self._tables["households"][d] for d in sorted(self._dossiers_of.get(person, ()))]

    def find_account(self, person: str):
        with self._lock:
            return self._tables["accounts"].get(person)

    def find_account_by_franceconnect_sub(self, sub: str):
        with self._lock:
            return self._tables["accounts"].get(self._by_sub.get(sub, ""))

    def find_challenge(self, key: str):
        with self._lock:
            return self._tables["challenges"].get(key)

    def find_throttle(self, key: str):
        with self._lock:
            return self._tables["throttles"].get(key)

    def find_session(self, token_hash: str):
        with self._lock:
            return self._tables["sessions"].get(token_hash)

    def sessions_of(self, person: str):
        with self._lock:
            return [self._tables["sessions"][t] for t in sorted(self._tokens_of.get(person, ()))]

    def audit_events(self, query: calp.AuditQuery):
        out = []
        with self._lock:
            for seq, event in self._audit.items():
                if len(out) == query.limit:
                    break
                if seq <= query.after_seq:
                    continue
                if query.subject is not None and event.subject != query.subject:
                    continue
                if query.actor is not None and event.actor != query.actor:
                    continue
                out.append(event)
        return out

    def audit_tail(self):
        with self._lock:
            return self._tail

    # ----- the one write

    def commit(self, batch: calp.WriteBatch):
        """Applies ``batch`` whole or not at all. calp validated it already (text, sizes,
        no record written twice). Every check runs on a staged view first; only a batch
        that passed them all is published, in steps that cannot fail."""
        operations = batch.operations  # copies: ours to keep
        with self._lock:
            staged = _Staged(self, last_seq=self._last_seq)
            for i, op in enumerate(operations):
                self._stage(staged, i, op)
            self._check_unique(staged, operations)
            self._publish(staged)
            return calp.CommitReceipt(staged.seqs)

    def _stage(self, s: _Staged, i: int, op: Any) -> None:
        kind = type(op)
        if kind in _PUTS:
            table, key_of, what = _PUTS[kind]
            key = key_of(op.record)
            _check_version(i, s.current(table, key), op.expected_version, what)
            s.tables[table][key] = (op.record, op.expected_version + 1)
        elif kind is calp.EraseChallenge:
            _check_erase(i, s.current("challenges", op.key), op.expected_version, "a challenge")
            s.tables["challenges"][op.key] = _ERASED
        elif kind is calp.EraseSession:
            _check_erase(i, s.current("sessions", op.token_hash), op.expected_version, "a session")
            s.tables["sessions"][op.token_hash] = _ERASED
        elif kind is calp.EraseSessionsOf:
            staged = s.tables["sessions"]
            doomed = {t for t in self._tokens_of.get(op.person, ()) if t not in staged}
            doomed |= {t for t, v in staged.items() if v is not _ERASED and v[0].person == op.person}
            for token in doomed:
                staged[token] = _ERASED
        elif kind is calp.AppendAudit:
            if op.after_seq is not None and op.after_seq != s.last_seq:
                raise calp.StorageError.conflict(
                    f"write batch operations[{i}] appends after audit event {op.after_seq}, "
                    f"the trail's last event is {s.last_seq}", f"operations[{i}]")
            event = op.event
            s.last_seq += 1
            event.seq = s.last_seq
            if self._audit_key is not None:
                before = s.tail or self._tail
                event.link = calp.audit_link(self._audit_key, before.link if before else "", event)
            s.tail = event
            s.seqs.append(event.seq)
            s.events[event.seq] = event
        elif kind is calp.PurgeAudit:
            s.purge_before = max(s.purge_before, op.before_seq)
            s.events = {q: e for q, e in s.events.items() if q >= op.before_seq}
        else:
            raise TypeError(f"unknown write batch operation {kind.__name__}")

    def _check_unique(self, s: _Staged, operations: list) -> None:
        """One NIR, one provisional id, one FranceConnect subject per owner, and R14, on the
        state the whole batch leaves: a value may move between records in one batch."""
        seen: dict[str, dict[str, str]] = {"nir": {}, "provisional_id": {}, "sub": {}}

        def taken(index: dict[str, str], what: str, value: str, owner: str, still_holds) -> bool:
            holder = index.get(value)
            if holder is not None and holder != owner and still_holds(holder):
                return True
            return seen[what].setdefault(value, owner) != owner

        for i, op in enumerate(operations):
            if isinstance(op, calp.PutPerson):
                r = op.record
                for what, value, index in (("nir", r.nir, self._by_nir),
                                           ("provisional_id", r.provisional_id, self._by_provisional_id)):
                    if value is None:
                        continue
                    v = value.value
                    if taken(index, what, v, r.id,
                             lambda o: _holds(s.current("persons", o), what, v)):
                        raise calp.StorageError.duplicate(
                            f"write batch operations[{i}] gives person `{r.id}` a {what} another person has",
                            f"operations[{i}].{what}")
            elif isinstance(op, calp.PutAccount):
                r = op.record
                sub = r.franceconnect_sub
                if sub is not None and taken(self._by_sub, "sub", sub, r.person,
                                             lambda o: _account_sub(s.current("accounts", o)) == sub):
                    raise calp.StorageError.duplicate(
                        f"write batch operations[{i}] links the account of `{r.person}` to a FranceConnect "
                        "subject another account has", f"operations[{i}].franceconnect_sub")
                for dossier in self._staged_dossiers_of(s, r.person):
                    k = _shared_email(s, r, s.current("households", dossier)[0])
                    if k is not None:
                        raise calp.StorageError.duplicate(
                            f"write batch operations[{i}] gives `{r.person}` an e-mail address another member "
                            f"of household `{dossier}` has (R14)", f"operations[{i}].contacts[{k}]")
            elif isinstance(op, calp.PutHousehold):
                h = op.record
                for m in h.members:
                    account = s.current("accounts", m.id)
                    if account is not None and _shared_email(s, account[0], h) is not None:
                        raise calp.StorageError.duplicate(
                            f"write batch operations[{i}] makes `{m.id}` a current member of household "
                            f"`{h.dossier.value}` where another member has the same e-mail address (R14)",
                            f"operations[{i}]")

    def _staged_dossiers_of(self, s: _Staged, person: str) -> list[str]:
        staged = s.tables["households"]
        out = [d for d in self._dossiers_of.get(person, ()) if d not in staged]
        out += [d for d, v in staged.items() if v is not _ERASED and v[0].find(person) is not None]
        return sorted(out)

    def _publish(self, s: _Staged) -> None:
        for table, changes in s.tables.items():
            stored = self._tables[table]
            for key, value in changes.items():
                old = stored.pop(key, None)
                if old is not None:
                    self._index(table, old[0], add=False)
                if value is not _ERASED:
                    stored[key] = value
                    self._index(table, value[0], add=True)
        if s.purge_before:
            self._audit = {q: e for q, e in self._audit.items() if q >= s.purge_before}
        self._audit.update(s.events)
        self._last_seq = s.last_seq
        if s.tail is not None:
            self._tail = s.tail

    def _index(self, table: str, record: Any, add: bool) -> None:
        def unique(index: dict[str, str], value: Optional[str], owner: str) -> None:
            if value is None:
                return
            if add:
                index[value] = owner
            elif index.get(value) == owner:
                del index[value]

        def many(index: dict, value: Any, member: str) -> None:
            members = index.setdefault(value, set())
            (members.add if add else members.discard)(member)
            if not members:
                del index[value]

        if table == "persons":
            unique(self._by_nir, record.nir.value if record.nir else None, record.id)
            unique(self._by_provisional_id, record.provisional_id.value if record.provisional_id else None, record.id)
            if record.civil_status is not None:
                many(self._by_birth_date, record.civil_status.birth_date, record.id)
        elif table == "households":
            for m in record.members:
                many(self._dossiers_of, m.id, record.dossier.value)
        elif table == "accounts":
            unique(self._by_sub, record.franceconnect_sub, record.person)
        elif table == "sessions":
            many(self._tokens_of, record.person, record.token_hash)


def _key(kind: Any, identifier: Any) -> str:
    """The canonical text of an identifier as calp passes it (a calp.DossierNumber, Nir,
    ProvisionalId) or as a Python caller may (text, parsed as calp's storages do: a
    malformed one raises)."""
    return (identifier if isinstance(identifier, kind) else kind.parse(identifier)).value


def _check_version(i: int, stored: Optional[tuple[Any, int]], expected: int, what: str) -> None:
    if expected == 0 and stored is not None:
        raise calp.StorageError.conflict(
            f"write batch operations[{i}] creates {what} that already exists", f"operations[{i}]")
    if expected != 0 and stored is None:
        raise calp.StorageError.conflict(
            f"write batch operations[{i}] names version {expected} of {what} that does not exist",
            f"operations[{i}]")
    if expected != 0 and stored[1] != expected:
        raise calp.StorageError.conflict(
            f"write batch operations[{i}] names version {expected} of {what}, stored version is "
            f"{stored[1]}: read it again", f"operations[{i}]")


def _check_erase(i: int, stored: Optional[tuple[Any, int]], expected: int, what: str) -> None:
    # 0 ("read nothing") cannot name a record to remove: a conflict either way.
    if expected == 0 or stored is None or stored[1] != expected:
        found = "which does not exist" if stored is None else f"stored version is {stored[1]}"
        raise calp.StorageError.conflict(
            f"write batch operations[{i}] erases version {expected} of {what}, {found}", f"operations[{i}]")


def _holds(person: Optional[tuple[Any, int]], what: str, value: str) -> bool:
    held = getattr(person[0], what) if person is not None else None
    return held is not None and held.value == value


def _account_sub(account: Optional[tuple[Any, int]]) -> Optional[str]:
    return account[0].franceconnect_sub if account is not None else None


def _shared_email(s: _Staged, account: calp.AccountRecord, household: calp.Household) -> Optional[int]:
    """R14: the index in ``account.contacts`` of its first e-mail address that another
    current member of ``household`` has on their account, or None."""
    me = household.find(account.person)
    if me is None or me.left is not None:
        return None
    theirs = set()
    for m in household.members:
        if m.left is None and m.id != account.person:
            other = s.current("accounts", m.id)
            if other is not None:
                theirs.update(address for _, address in _email_keys(other[0]))
    return next((k for k, address in _email_keys(account) if address in theirs), None)


class Printer(calp.Notifier):
    """Prints the notices instead of sending them (they carry no code here)."""

    def send_sms(self, notice: calp.SmsNotice) -> None:
        print(f"SMS: {notice.kind}")

    def send_email(self, notice: calp.EmailNotice) -> None:
        print(f"e-mail: {notice.kind}")


def main() -> int:
    key = calp.AuditKey.generate()
    store = DictStorage(audit_key=key)
    clock = calp.SystemClock()
    household = calp.Household.from_json("""{"dossier": "1234567", "members": [
        {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
        {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20"}]}""")
    store.commit(calp.WriteBatch().put(household, 0))

    today = datetime.datetime.now(datetime.timezone.utc).date()
    authorizer = calp.StorageAuthorizer(store, clock=clock)
    before = authorizer.authorize("p2", "1234567", "dossier.read", today, channel="front-desk", agent="A123")
    print(f"before the délégation: {before.reason}")

    households = calp.HouseholdService(store, Printer(), clock)
    households.grant_delegation("p1", "1234567")
    after = authorizer.authorize("p2", "1234567", "dossier.read", today, channel="front-desk", agent="A123")
    print(f"after: {after.reason}")

    check = calp.verify_audit_trail(store, key)
    print(f"audit trail: {check.events} events, {'intact' if check.intact else 'BROKEN'}")
    return 0 if (not before.allowed and after.allowed and check.intact) else 1


if __name__ == "__main__":
    sys.exit(main())
