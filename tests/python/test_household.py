"""Households from dicts and JSON and back, through the library's own codec."""

from __future__ import annotations

import copy
import datetime
import json

import pytest

import calp
from conftest import CORPUS_DIR, DESIGN_EXAMPLE, MALFORMED_DIR

ERROR_CLASSES = {
    "json": calp.InvalidJson,
    "household": calp.InvalidHousehold,
    "date": calp.InvalidDate,
    "person_id": calp.InvalidPersonId,
    "dossier_number": calp.InvalidDossierNumber,
}


def test_the_design_example_reads_from_a_dict_and_writes_back_equal() -> None:
    h = calp.Household.from_dict(DESIGN_EXAMPLE)
    assert h.dossier == calp.DossierNumber.parse("1234567")
    assert [m.id for m in h.members] == ["p1", "p2", "p3", "p4"]
    assert calp.Household.from_dict(h.to_dict()) == h
    assert calp.Household.from_json(h.to_json()) == h
    assert h.to_dict()["delegation"] == DESIGN_EXAMPLE["delegation"]
    assert repr(h) == "Household(dossier='1234567', members=4)"


def test_every_corpus_household_reads_from_json_text_and_bytes() -> None:
    for path in sorted((CORPUS_DIR / "households").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert calp.Household.from_json(text) == calp.Household.from_json(path.read_bytes())
        assert calp.Household.from_dict(json.loads(text)) == calp.Household.from_json(text)


def test_a_dict_may_hold_dates() -> None:
    doc = copy.deepcopy(DESIGN_EXAMPLE)
    doc["members"][0]["birth_date"] = datetime.date(1985, 3, 2)
    assert calp.Household.from_dict(doc) == calp.Household.from_dict(DESIGN_EXAMPLE)
    doc["members"][0]["birth_date"] = object()
    with pytest.raises(TypeError):
        calp.Household.from_dict(doc)


def test_members_benefits_and_delegation_read_as_python_values() -> None:
    h = calp.Household.from_dict(DESIGN_EXAMPLE)
    assert h.allocataire.id == "p1" and h.allocataire.role == "allocataire"
    p2 = h.conjoint
    assert p2 is not None and p2.birth_date == datetime.date(1987, 11, 20)
    (aah,) = p2.benefits
    assert (aah.code, aah.from_, aah.until, aah.is_personal) == ("AAH", datetime.date(2024, 1, 1), None, True)
    assert aah.held_at(datetime.date(2026, 1, 1)) and not aah.held_at(datetime.date(2023, 12, 31))
    assert repr(aah) == "Benefit('AAH', 2024-01-01, None)"
    p4 = h.find("p4")
    assert p4 is not None and p4.left == datetime.date(2026, 9, 1)
    assert p4.member_at(datetime.date(2026, 8, 31)) and not p4.member_at(datetime.date(2026, 9, 1))
    assert repr(p4) == "Member('p4', 'other')"
    assert h.find("nobody") is None
    d = h.delegation
    assert d is not None and (d.to, d.granted, d.revoked) == ("p2", datetime.date(2026, 1, 15), None)
    assert d.active_at(datetime.date(2026, 1, 15)) and not d.active_at(datetime.date(2026, 1, 14))
    single = calp.Household.from_json((CORPUS_DIR / "households" / "single_allocataire.json").read_text())
    assert single.conjoint is None and single.delegation is None


def test_r6_roles_are_derived_at_a_date() -> None:
    h = calp.Household.from_dict(DESIGN_EXAMPLE)
    day = datetime.date(2026, 11, 28)
    assert [h.role_at(p, day) for p in ("p1", "p2", "p3", "p4", "zz")] == [
        "allocataire", "conjoint_allocataire", "other", "not_member", "not_member"]
    assert h.role_at("p3", datetime.date(2025, 5, 31)) == "under_15"
    with pytest.raises(TypeError):
        h.role_at("p1", datetime.datetime(2026, 11, 28, 10, 0))  # a day, not an instant


@pytest.mark.parametrize("name", sorted(p.name for p in MALFORMED_DIR.glob("*.json") if p.name != "expected.json"))
def test_each_malformed_household_raises_the_error_the_cpp_tests_expect(name: str) -> None:
    expected = json.loads((MALFORMED_DIR / "expected.json").read_text())[name]
    with pytest.raises(calp.Error) as caught:
        calp.Household.from_json((MALFORMED_DIR / name).read_bytes())
    assert caught.value.code == expected["code"]
    assert caught.value.field == expected["field"]
    assert type(caught.value) is ERROR_CLASSES[expected["code"].split(".")[1]]


def test_standing_at_gives_the_role_in_french_for_a_front_desk_screen() -> None:
    h = calp.Household.from_dict(DESIGN_EXAMPLE)
    assert h.standing_at("p2", datetime.date(2026, 11, 28)) == {
        "role": "conjoint_allocataire", "libelle": "conjoint allocataire", "has_delegation": True, "in_couple": True}
    assert h.standing_at("p2", datetime.date(2026, 1, 14))["has_delegation"] is False
    assert h.standing_at("nobody", datetime.date(2026, 11, 28))["role"] == "not_member"
    for person in ("p1", "p2", "p3", "p4"):
        day = datetime.date(2026, 11, 28)
        assert h.standing_at(person, day)["role"] == h.role_at(person, day)
