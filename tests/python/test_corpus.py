"""The shared decision corpus (tests/corpus/decisions/*.json), the files the C++ corpus
test reads: Python must decide every case exactly as written there."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

import calp
from conftest import CORPUS_DIR

FILES = sorted((CORPUS_DIR / "decisions").glob("*.json"))


def cases() -> list[tuple[Path, dict]]:
    out = []
    for path in FILES:
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            out.append(pytest.param(path, case, id=f"{path.stem}: {case['name']}"))
    return out


def household_of(path: Path) -> calp.Household:
    return calp.Household.from_dict(json.loads(path.read_text(encoding="utf-8"))["household"])


def test_the_corpus_is_the_one_the_cpp_tests_read() -> None:
    assert len(FILES) >= 5
    assert len(cases()) >= 40


@pytest.mark.parametrize(("path", "case"), cases())
def test_r5_r10_each_corpus_case_decides_as_written(path: Path, case: dict) -> None:
    d = calp.decide(household_of(path), case["person"], case["action"], datetime.date.fromisoformat(case["at"]),
                    channel=case.get("channel", "online"), agent=case.get("agent", ""))
    assert d.allowed == case["allowed"]
    assert d.reason == case["reason"]
    assert d.message


def test_r5_r10_the_whole_corpus_in_one_batch() -> None:
    requests, expected = [], []
    for path in FILES:
        h = household_of(path)
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            requests.append((h, case["person"], case["action"], datetime.date.fromisoformat(case["at"]),
                             case.get("channel", "online"), case.get("agent", "")))
            expected.append((case["allowed"], case["reason"]))
    assert [(d.allowed, d.reason) for d in calp.decide_batch(requests)] == expected
