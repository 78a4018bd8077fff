"""Decisions from Python (issue 7): one `calp.decide` call per request, and one
`calp.decide_batch` call for a list of requests, on generated households.

usage: PYTHONPATH=<release build>/python /usr/bin/python3 bench/python_bench.py [N]

Build the module in Release (`cmake --preset release -DCALP_BUILD_PYTHON=ON`, target
calp_python) for meaningful numbers. Each figure is the best of 3 runs of N requests
(default 1,000,000), wall time from Python, building the request list excluded; a batch
figure includes everything `decide_batch` does with the Python objects (checking and
converting every tuple) and reading `.allowed` as a list of bool. The first batch call of
the process is also shown ("first call"): it pays for memory the process has not used
yet, about 12 µs per 4 KiB page fault on the 2-core VM of bench/RESULTS.md.

Batch rows: the requests of the single-call row (one date object for all, the action
strings of one list, as a host that reads a batch typically has them); the same
requests with a new date object and a new action string in each (nothing for
`decide_batch` to reuse between requests: its worst case); and front-desk requests
naming an agent (6-tuples).
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


def rates(n: int, run) -> tuple[float, float]:
    """(best, first) decisions/s over 3 runs."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return n / min(times), n / times[0]


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
    # The same requests, each with objects of its own: equal, not identical.
    distinct = [(h, person, "".join(list(action)), datetime.date(at.year, at.month, at.day))
                for h, person, action, at in requests]
    front_desk = [(h, person, action, at, "front-desk", "A4521") for h, person, action, at in requests]

    def singles() -> None:
        decide = calp.decide
        for h, person, action, at in requests:
            decide(h, person, action, at)

    def batch(of: list[tuple]):
        return lambda: calp.decide_batch(of).allowed

    print(f"calp {calp.__version__}, {n} requests, Python {sys.version.split()[0]}")
    best, first = rates(n, batch(requests))
    print(f"decide_batch, one call for the list (.allowed read): {best:,.0f} decisions/s (first call {first:,.0f})")
    best, _ = rates(n, batch(distinct))
    print(f"decide_batch, own date and action objects per request: {best:,.0f} decisions/s")
    best, _ = rates(n, batch(front_desk))
    print(f"decide_batch, front desk with agent (6-tuples): {best:,.0f} decisions/s")
    best, _ = rates(n, singles)
    print(f"decide, one call per request: {best:,.0f} decisions/s")

    # Not timed: the batch answers as decide does, one by one.
    sample = range(0, n, max(1, n // 20_000))
    for of in (requests, distinct, front_desk):
        allowed = calp.decide_batch(of).allowed
        kwargs = [{"channel": r[4], "agent": r[5]} if len(r) > 4 else {} for r in (of[i] for i in sample)]
        assert [allowed[i] for i in sample] == [calp.decide(*of[i][:4], **kw).allowed for i, kw in zip(sample, kwargs)]
    print(f"decide_batch == decide one by one on {len(sample)} requests of each list: yes; "
          f"allowed {sum(calp.decide_batch(requests).allowed)} of {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
