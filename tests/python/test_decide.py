"""calp.decide and calp.decide_batch: the pure decision (R5–R9), a value, never an exception."""

from __future__ import annotations

import datetime
import gc
import json
import random
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


def one_by_one(r: tuple) -> calp.Decision:
    return calp.decide(*r[:4], channel=r[4] if len(r) > 4 else "online", agent=r[5] if len(r) > 5 else "")


def test_the_batch_decides_as_one_by_one_on_varied_requests_across_chunks(couple: calp.Household) -> None:
    """Memoized conversions (actions, channels, dates by object) must not mix requests up:
    equal strings and dates as distinct objects, non-ASCII ids, online requests naming an
    agent, front desk with and without one, unknown people, more than one chunk."""
    design = calp.Household.from_dict(DESIGN_EXAMPLE)
    rng = random.Random(7)
    people = ["alloc", "conj", "child", "p1", "p2", "p3", "p4", "nobody", "zoë", ""]
    days = [datetime.date(2020, 1, 1), datetime.date(2026, 1, 15), datetime.date(2026, 11, 28),
            datetime.date(2026, 9, 1), datetime.date(2030, 6, 30)]
    requests: list[tuple] = []
    for _ in range(5000):
        h = rng.choice([couple, design])
        action = rng.choice(calp.ACTIONS)
        if rng.random() < 0.5:
            action = "".join(list(action))  # an equal string, another object
        day = rng.choice(days)
        if rng.random() < 0.5:
            day = datetime.date(day.year, day.month, day.day)  # an equal date, another object
        r: tuple = (h, rng.choice(people), action, day)
        shape = rng.randrange(4)
        if shape == 1:
            r += (rng.choice(["front-desk", "online"]),)
        elif shape >= 2:
            r += (rng.choice(["front-desk", "online", "".join(["front", "-desk"])]), rng.choice(["A1", "", "agent-é"]))
        requests.append(r)
    batch = calp.decide_batch(requests)
    assert len(batch) == len(requests)
    for r, got in zip(requests, batch):
        one = one_by_one(r)
        assert (got.allowed, got.reason, got.message, got.role) == (one.allowed, one.reason, one.message, one.role), r
    assert batch.allowed == [one_by_one(r).allowed for r in requests]
    assert calp.decide_batch(tuple(requests)).allowed == batch.allowed
    assert any(d.reason == "agent_required" for d in batch) and any(d.allowed for d in batch)


def test_a_batch_holds_its_requests_while_deciding(couple: calp.Household) -> None:
    requests = [(calp.Household.from_dict(COUPLE), "".join(["al", "loc"]), "".join(["dossier", ".read"]), TODAY)
                for _ in range(3000)]
    batch = calp.decide_batch(requests)
    del requests
    gc.collect()
    assert batch.allowed == [True] * 3000 and batch[2999].reason == "allocataire"


def test_a_malformed_batch_names_the_request(couple: calp.Household) -> None:
    good = (couple, "alloc", "dossier.read", TODAY)
    with pytest.raises(TypeError, match=r"^request 2: expected a tuple"):
        calp.decide_batch([good, good, (couple, "alloc", "dossier.read")])
    with pytest.raises(TypeError, match=r"^request 1: the first item must be a calp.Household"):
        calp.decide_batch([good, (None, "alloc", "dossier.read", TODAY)])
    with pytest.raises(TypeError, match=r"^request 0: the first item must be a calp.Household"):
        calp.decide_batch([(calp.Household.__new__(calp.Household), "alloc", "dossier.read", TODAY)])
    with pytest.raises(TypeError, match=r"^request 1: person must be a str"):
        calp.decide_batch([good, (couple, b"alloc", "dossier.read", TODAY)])
    with pytest.raises(TypeError, match=r"^request 0: action must be a str"):
        calp.decide_batch([(couple, "alloc", None, TODAY)])
    with pytest.raises(TypeError, match=r"^request 1: `at` must be a datetime.date"):
        calp.decide_batch([good, (couple, "alloc", "dossier.read", datetime.datetime(2026, 11, 28, 10, 0))])
    with pytest.raises(TypeError, match=r"^request 0: channel must be a str"):
        calp.decide_batch([(couple, "alloc", "dossier.read", TODAY, None)])
    with pytest.raises(TypeError, match=r"^request 0: agent must be a str"):
        calp.decide_batch([(couple, "alloc", "dossier.read", TODAY, "front-desk", 4521)])
    with pytest.raises(TypeError, match=r"^request 0: expected a tuple"):
        calp.decide_batch([good + ("front-desk", "A1", "extra")])
    with pytest.raises(calp.UnknownAction, match=r"] request 3: unknown action `nope`") as caught:
        calp.decide_batch([good] * 3 + [(couple, "alloc", "nope", TODAY)])
    assert caught.value.code == "calp.action.unknown"
    with pytest.raises(calp.UnknownChannel, match=r"] request 1: ") as caught_channel:
        calp.decide_batch([good + ("online",), good + ("fax",)])
    assert caught_channel.value.code == "calp.channel.unknown"
    with pytest.raises(TypeError):
        calp.decide_batch(42)  # type: ignore[arg-type]


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
