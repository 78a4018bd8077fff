"""calp.decide and calp.decide_batch: the pure decision (R5–R9), a value, never an exception."""

from __future__ import annotations

import datetime
import gc
import json
import threading

import pytest

import calp
from conftest import COUPLE, DESIGN_EXAMPLE, TODAY


@pytest.fixture()
def couple() -> calp.Household:
    return calp.Household.from_dict(COUPLE)


def test_r7_conjoint_without_delegation_cannot_read_the_dossier(couple: calp.Household) -> None:
    d = calp.decide(couple, "conj", "dossier.read", TODAY)
    assert not d.allowed and not d
    assert d.reason == "conjoint_without_delegation"
    assert d.message.startswith("Le conjoint n'a pas de délégation")
    assert d.role == "conjoint"
    assert repr(d) == "Decision(allowed=False, reason='conjoint_without_delegation')"


def test_r5_allocataire_reads_the_dossier(couple: calp.Household) -> None:
    d = calp.decide(couple, "alloc", "dossier.read", at=TODAY)
    assert d.allowed and d and d.reason == "allocataire"


def test_r8_front_desk_needs_an_agent_and_then_answers_as_online(couple: calp.Household) -> None:
    assert calp.decide(couple, "alloc", "dossier.read", TODAY, channel="front-desk").reason == "agent_required"
    d = calp.decide(couple, "alloc", "dossier.read", TODAY, channel="front-desk", agent="A4521")
    assert d.allowed


def test_unknown_names_raise_and_unknown_people_are_denied(couple: calp.Household) -> None:
    with pytest.raises(calp.UnknownAction) as caught:
        calp.decide(couple, "alloc", "dossier.delete", TODAY)
    assert caught.value.code == "calp.action.unknown"
    with pytest.raises(calp.UnknownChannel) as caught_channel:
        calp.decide(couple, "alloc", "dossier.read", TODAY, channel="phone")
    assert caught_channel.value.code == "calp.channel.unknown"
    assert calp.decide(couple, "nobody", "dossier.read", TODAY).reason == "not_member"


def test_actions_channels_and_their_descriptions() -> None:
    assert calp.ACTIONS == ("own_data.read", "own_contact.update", "own_password.change", "separation.declare",
                            "dossier.read", "changes.declare", "benefit.request", "delegation.manage")
    assert calp.CHANNELS == ("online", "front-desk")
    assert calp.action_description("own_data.read") == "read own personal data"
    assert calp.action_libelle("dossier.read")
    with pytest.raises(calp.UnknownAction):
        calp.action_description("nope")
    with pytest.raises(calp.UnknownAction):
        calp.action_libelle("nope")


def test_the_default_policy_and_a_variant_loaded_from_json(couple: calp.Household) -> None:
    default = calp.Policy.caf_default()
    assert default.id == "caf-default" and repr(default) == "Policy('caf-default')"
    assert "dossier.read" in default.table()
    doc = json.loads(calp.Policy.caf_default_json())
    doc["id"] = "variant"
    doc["rules"]["dossier.read"]["conjoint"] = {"effect": "allow", "reason": "allocataire"}
    variant = calp.Policy.from_json(json.dumps(doc))
    assert variant.id == "variant"
    assert calp.decide(couple, "conj", "dossier.read", TODAY, policy=variant).allowed
    assert not calp.decide(couple, "conj", "dossier.read", TODAY, policy=default).allowed


def test_a_decision_outlives_its_policy(couple: calp.Household) -> None:
    doc = json.loads(calp.Policy.caf_default_json())
    doc["reasons"]["conjoint_without_delegation"] = "Texte de la variante."
    d = calp.decide(couple, "conj", "dossier.read", TODAY, policy=calp.Policy.from_json(json.dumps(doc)))
    gc.collect()
    assert d.message == "Texte de la variante."


def test_a_broken_policy_raises_naming_the_field() -> None:
    doc = json.loads(calp.Policy.caf_default_json())
    doc["rules"]["dossier.read"]["conjoint"]["effect"] = "maybe"
    with pytest.raises(calp.InvalidPolicy) as caught:
        calp.Policy.from_json(json.dumps(doc))
    assert caught.value.code == "calp.policy.invalid"
    assert caught.value.field == "rules.dossier.read.conjoint.effect"
    with pytest.raises(calp.InvalidJson):
        calp.Policy.from_json("{")


def requests_for(households: list[calp.Household]) -> list[tuple]:
    out: list[tuple] = []
    for h in households:
        for m in h.members:
            for action in calp.ACTIONS:
                for day in (datetime.date(2020, 1, 1), datetime.date(2026, 1, 15), datetime.date(2026, 11, 28)):
                    out.append((h, m.id, action, day))
                    out.append((h, m.id, action, day, "front-desk", "A1"))
                    out.append((h, m.id, action, day, "front-desk"))
    return out


def test_the_batch_decides_exactly_as_one_by_one(couple: calp.Household) -> None:
    requests = requests_for([couple, calp.Household.from_dict(DESIGN_EXAMPLE)])
    batch = calp.decide_batch(requests)
    assert len(batch) == len(requests)
    for i, r in enumerate(requests):
        one = calp.decide(*r[:4], channel=r[4] if len(r) > 4 else "online", agent=r[5] if len(r) > 5 else "")
        got = batch[i]
        assert (got.allowed, got.reason, got.message, got.role) == (one.allowed, one.reason, one.message, one.role)
    assert batch.allowed == [d.allowed for d in batch]
    assert batch[-1].reason == batch[len(batch) - 1].reason
    with pytest.raises(IndexError):
        batch[len(batch)]


def test_the_batch_takes_a_policy_and_outlives_it(couple: calp.Household) -> None:
    doc = json.loads(calp.Policy.caf_default_json())
    doc["rules"]["dossier.read"]["conjoint"] = {"effect": "allow", "reason": "allocataire"}
    batch = calp.decide_batch([(couple, "conj", "dossier.read", TODAY)], policy=calp.Policy.from_json(json.dumps(doc)))
    gc.collect()
    assert batch[0].allowed and batch[0].message


def test_a_malformed_batch_raises_before_deciding_anything(couple: calp.Household) -> None:
    with pytest.raises(TypeError):
        calp.decide_batch([(couple, "alloc", "dossier.read")])
    with pytest.raises(TypeError):
        calp.decide_batch([[couple, "alloc", "dossier.read", TODAY]])
    with pytest.raises(TypeError):
        calp.decide_batch([(couple, 7, "dossier.read", TODAY)])
    with pytest.raises(TypeError):
        calp.decide_batch([("not a household", "alloc", "dossier.read", TODAY)])
    with pytest.raises(TypeError):
        calp.decide_batch([(couple, "alloc", "dossier.read", "2026-11-28")])
    with pytest.raises(calp.UnknownAction):
        calp.decide_batch([(couple, "alloc", "dossier.read", TODAY), (couple, "alloc", "nope", TODAY)])
    with pytest.raises(calp.UnknownChannel):
        calp.decide_batch([(couple, "alloc", "dossier.read", TODAY, "fax")])
    assert len(calp.decide_batch([])) == 0


def test_batches_from_several_threads_at_once(couple: calp.Household) -> None:
    requests = requests_for([couple]) * 50
    expected = calp.decide_batch(requests).allowed
    results: list[list[bool]] = []

    def work() -> None:
        results.append(calp.decide_batch(requests).allowed)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4
