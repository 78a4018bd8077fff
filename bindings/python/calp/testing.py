"""Proving a storage written in Python: calp's own storage conformance suite.

The cases are the C++ ones (calp/testing/storage_conformance.hpp) that calp's memory,
SQLite and PostgreSQL storages pass, run against storages your callables make: versions
and conflicts, all-or-nothing batches, uniqueness (R3, R14, R18), the audit trail and
its chain, one délégation per household (R7), the code and failure limits under
concurrent writers (R12b, R13), and freshness across threads (R10).

    import calp.testing
    report = calp.testing.run_storage_conformance(MyStorage, lambda key: MyStorage(audit_key=key))
    assert report.ok, report

``make()`` must return a new, empty storage at each call; ``make_chained(key)`` the same,
chaining the audit events it appends with ``key`` (a calp.AuditKey, see
``calp.audit_link``). Several cases call the storage from several threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from . import Storage

try:
    from . import _testing
except ImportError as e:  # built only where doctest was found
    raise ImportError(
        "calp.testing needs the extension calp._testing, built with calp when doctest is "
        "installed (Debian: doctest-dev)") from e

__all__ = ["CaseResult", "ConformanceReport", "run_storage_conformance", "storage_conformance_cases"]


@dataclass(frozen=True)
class CaseResult:
    """One conformance case: its name (the rule it proves, when it proves one), whether it
    passed, and each failed check (``file:line: CHECK(expression) is value``)."""

    name: str
    passed: bool
    failures: tuple[str, ...]


@dataclass(frozen=True)
class ConformanceReport:
    """Every case run, in order."""

    cases: tuple[CaseResult, ...]

    @property
    def ok(self) -> bool:
        """Whether at least one case ran and every case passed."""
        return bool(self.cases) and all(c.passed for c in self.cases)

    @property
    def failed(self) -> list[CaseResult]:
        """The cases that failed."""
        return [c for c in self.cases if not c.passed]

    def __str__(self) -> str:
        lines = [f"{sum(c.passed for c in self.cases)}/{len(self.cases)} storage conformance cases passed"]
        for case in self.failed:
            lines.append(f"FAILED {case.name}")
            lines.extend(f"    {f}" for f in case.failures)
        return "\n".join(lines)


def storage_conformance_cases() -> list[str]:
    """The names of the conformance cases, in the order they run."""
    return list(_testing.cases())


def run_storage_conformance(
    make: Callable[[], Storage],
    make_chained: Callable[..., Storage],
    *,
    cases: Optional[Iterable[str]] = None,
) -> ConformanceReport:
    """Runs the conformance cases named in ``cases`` (default: all of them) against the
    storages ``make()`` and ``make_chained(key)`` return. Releases the GIL while the
    suite runs: its threads call the storage. Raises RuntimeError when a run is already
    in progress in this process."""
    chosen = None if cases is None else list(cases)
    results = _testing.run(make, make_chained, chosen)
    return ConformanceReport(tuple(CaseResult(name, passed, tuple(failures)) for name, passed, failures in results))
