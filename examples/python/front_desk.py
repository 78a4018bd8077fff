"""What an agent at the counter may tell a person about their household (R8), from Python:
for each action, allowed or not and the French reason to read out, through a storage and
the audited authorizer; then the audit trail is verified (R19).

usage: front_desk.py [--agent ID] [--at YYYY-MM-DD] [--db LOCATION] [--audit-key FILE]
                     [HOUSEHOLD.json] [PERSON]

Without PERSON every member is shown in turn. --db is a SQLite path or a postgresql://
URI (default: a new in-memory storage); the household is stored there if it is not yet.
--audit-key is a file holding 64 hex digits (`calp audit key`); without it, a key is
generated for this run.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import sys

import calp

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="A4521")
    parser.add_argument("--at", type=datetime.date.fromisoformat, default=datetime.date(2026, 11, 28))
    parser.add_argument("--db", default=":memory:")
    parser.add_argument("--audit-key", type=pathlib.Path)
    parser.add_argument("household", nargs="?", type=pathlib.Path, default=DATA / "couple-sans-delegation.json")
    parser.add_argument("person", nargs="?")
    args = parser.parse_args(argv)

    try:
        key = calp.AuditKey.from_hex(args.audit_key.read_text()) if args.audit_key else calp.AuditKey.generate()
        household = calp.Household.from_json(args.household.read_bytes())
        storage = calp.open_storage(args.db, create=True, audit_key=key)
        if storage.find_household(household.dossier) is None:
            storage.commit(calp.WriteBatch().put(household, 0))
    except calp.Error as e:
        print(f"{e.code}: {e}", file=sys.stderr)
        return 2

    authorizer = calp.StorageAuthorizer(storage)
    people = [args.person] if args.person else [m.id for m in household.members]
    for person in people:
        print(f"== {person} ({household.role_at(person, args.at)}), dossier {household.dossier.value}, "
              f"agent {args.agent}")
        for action in calp.ACTIONS:
            # Every answer is audited before it is given: a storage failure raises, and an
            # unaudited answer is no answer.
            a = authorizer.authorize(person, household.dossier, action, args.at,
                                     channel="front-desk", agent=args.agent)
            verdict = "oui" if a.allowed else "non"
            print(f"  {calp.action_libelle(action)} : {verdict} — {a.message} [{a.reason}]")

    check = calp.verify_audit_trail(storage, key)
    events = calp.audit_events_of_agent(storage, args.agent)
    print(f"audit trail: {check.events} events, {len(events)} by agent {args.agent}, "
          f"{'intact' if check.intact else 'BROKEN at ' + str(check.broken_at) + ': ' + check.problem}")
    if check.intact:
        print(f"tail link to keep outside the database: {check.tail_link}")
    return 0 if check.intact else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
