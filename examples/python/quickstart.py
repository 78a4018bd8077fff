"""The quickstart from Python: parse a household, decide one action, print the reason.
The same decision as examples/quickstart.cpp: a conjoint without délégation may not read
the dossier (R7)."""

import datetime
import sys

import calp


def main() -> int:
    try:
        household = calp.Household.from_json("""{"dossier": "1234567", "members": [
            {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"},
            {"id": "p2", "role": "conjoint", "birth_date": "1987-11-20"}]}""")
    except calp.Error as e:
        print(f"{e.code}: {e}", file=sys.stderr)
        return 2
    nir = calp.Nir.parse("2 95 10 99 126 111 93")
    print("NIR", nir.masked)  # never print a full NIR
    d = calp.decide(household, "p2", "dossier.read", datetime.date(2026, 11, 28))
    print(f"{'allowed' if d.allowed else 'denied'} ({d.reason}): {d.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
