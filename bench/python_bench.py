"""Decisions from Python (issue 7): one `calp.decide` call per request, and one
`calp.decide_batch` call for a list of requests, on generated households.

usage: PYTHONPATH=<release build>/python /usr/bin/python3 bench/python_bench.py [N]

Build the module in Release (`cmake --preset release -DCALP_BUILD_PYTHON=ON`, target
calp_python) for meaningful numbers. Each figure is the best of 3 runs of N requests
(default 1,000,000), wall time from Python, building the request list excluded.
"""

from __future__ import annotations

import datetime
import random
import sys
import time

import calp

ACTIONS = ["own_data.read", "own_contact.update", "own_password.change", "separation.declare",
           "dossier.read", "changes.declare", "benefit.request", "delegation.manage"]


def households(count: int, rng: random.Random) -> list[calp.Household]:
    out = []
    for n in range(count):
        members = [{"id": "p1", "role": "allocataire", "birth_date": "1980-01-01"}]
        if rng.random() < 0.6:
            members.append({"id": "p2", "role": "conjoint", "birth_date": "1982-05-05"})
        if rng.random() < 0.5:
            members.append({"id": "p3", "role": "other", "birth_date": "2008-09-09"})
        doc = {"dossier": f"{n:07d}", "members": members}
        if len(members) > 1 and members[1]["role"] == "conjoint" and rng.random() < 0.5:
            doc["delegation"] = {"to": "p2", "granted": "2020-01-01"}
        out.append(calp.Household.from_dict(doc))
    return out


def best_rate(n: int, run) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(20260101)
    pool = households(1000, rng)
    day = datetime.date(2026, 11, 28)
    requests = []
    for _ in range(n):
        h = pool[rng.randrange(len(pool))]
        person = h.members[rng.randrange(len(h.members))].id
        requests.append((h, person, ACTIONS[rng.randrange(len(ACTIONS))], day))

    def singles() -> None:
        decide = calp.decide
        for h, person, action, at in requests:
            decide(h, person, action, at)

    def batch() -> None:
        calp.decide_batch(requests).allowed

    print(f"calp {calp.__version__}, {n} requests, Python {sys.version.split()[0]}")
    print(f"decide, one call per request: {best_rate(n, singles):,.0f} decisions/s")
    print(f"decide_batch, one call for the list (.allowed read): {best_rate(n, batch):,.0f} decisions/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
