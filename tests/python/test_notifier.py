"""Notifiers and clocks written in Python, held by C++ services: the délégation flows
(R7) call them, and the Python objects stay alive as long as C++ holds them (the
pybind11 2.10 lifetime trap, STYLE.md)."""

from __future__ import annotations

import datetime
import gc
import weakref

import pytest

import calp
from conftest import COUPLE, NOW, FixedClock, RecordingNotifier


def with_accounts(storage: calp.Storage) -> None:
    storage.commit(
        calp.WriteBatch()
        .put(calp.Household.from_dict(COUPLE), 0)
        .put(calp.AccountRecord("alloc", state="active", contacts=[calp.ContactPoint("mobile", "+33612345678", NOW)]), 0)
        .put(calp.AccountRecord("conj", state="active", contacts=[
            calp.ContactPoint("email", "conj@test.fr", NOW), calp.ContactPoint("email", "unproved@test.fr")]), 0))


def test_r7_granting_and_revoking_inform_both_through_a_python_notifier(storage: calp.Storage) -> None:
    with_accounts(storage)
    notifier = RecordingNotifier()
    service = calp.HouseholdService(storage, notifier, FixedClock())
    change = service.grant_delegation("alloc", "7654321")
    assert change and change.outcome == "done" and change.problem is None
    assert repr(change) == "HouseholdChange('done')"
    h, _ = storage.find_household("7654321")
    assert h.delegation.granted == NOW.date()  # the day comes from the Python clock
    sms, email = notifier.sent
    assert isinstance(sms, calp.SmsNotice) and isinstance(email, calp.EmailNotice)
    assert (sms.kind, sms.to, sms.carries_secret) == ("delegation_granted", "+33612345678", False)
    assert (email.kind, email.to, email.carries_secret) == ("delegation_granted", "conj@test.fr", False)
    assert sms.text and email.subject and email.text
    assert service.revoke_delegation("alloc", "7654321").outcome == "done"
    assert [n.kind for n in notifier.sent[2:]] == ["delegation_revoked", "delegation_revoked"]


def test_r7_refusals_are_outcomes_not_exceptions(storage: calp.Storage) -> None:
    with_accounts(storage)
    service = calp.HouseholdService(storage, RecordingNotifier(), FixedClock())
    assert service.grant_delegation("conj", "7654321").outcome == "not_allocataire"
    assert service.revoke_delegation("alloc", "7654321").outcome == "no_delegation"
    assert service.grant_delegation("alloc", "1111111").outcome == "unknown"
    assert service.grant_delegation("alloc", "7654321").outcome == "done"
    refused = service.grant_delegation("alloc", "7654321")
    assert not refused and refused.outcome == "already_granted"


def test_r7_the_delegation_screen(storage: calp.Storage) -> None:
    with_accounts(storage)
    service = calp.HouseholdService(storage, RecordingNotifier(), FixedClock())
    screen = service.delegation_screen("alloc", "7654321")
    assert screen.applies and not screen.granted and screen.granted_on is None
    assert screen.conjoint == "conj" and screen.conjoint_name == "conj"
    assert screen.sentence == "Vous n'autorisez pas conj à gérer votre dossier."
    assert screen.introduction and screen.question and screen.reminder
    assert screen.capabilities == ["consulter les droits et paiements", "déclarer des changements",
                                   "demander une prestation"]
    service.grant_delegation("alloc", "7654321")
    granted = service.delegation_screen("alloc", "7654321")
    assert granted.granted and granted.granted_on == NOW.date()
    conjoint_view = service.delegation_screen("conj", "7654321")
    assert not conjoint_view.applies and conjoint_view.sentence == ""
    assert service.delegation_screen("nobody", "7654321") is None


def test_r7_a_separation_ends_the_delegation(storage: calp.Storage) -> None:
    with_accounts(storage)
    service = calp.HouseholdService(storage, RecordingNotifier(), FixedClock())
    service.grant_delegation("alloc", "7654321")
    assert service.declare_separation("child", "7654321", NOW.date()).outcome == "not_allowed"
    assert service.declare_separation("conj", "7654321", NOW.date()).outcome == "done"
    h, _ = storage.find_household("7654321")
    assert h.find("conj").left == NOW.date()
    assert not calp.decide(h, "conj", "dossier.read", NOW.date()).allowed
    assert service.declare_separation("alloc", "7654321", NOW.date()).outcome == "no_conjoint"


def test_a_notifier_that_raises_loses_the_notice_but_not_the_change(storage: calp.Storage) -> None:
    with_accounts(storage)

    class Broken(calp.Notifier):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def send_sms(self, notice: calp.SmsNotice) -> None:
            self.calls += 1
            raise ConnectionError("gateway down")

        def send_email(self, notice: calp.EmailNotice) -> None:
            self.calls += 1
            raise ConnectionError("relay down")

    broken = Broken()
    service = calp.HouseholdService(storage, broken, FixedClock())
    assert service.grant_delegation("alloc", "7654321").outcome == "done"
    assert broken.calls == 2
    assert storage.find_household("7654321")[0].delegation is not None


def test_the_service_keeps_its_python_notifier_and_clock_alive(storage: calp.Storage) -> None:
    with_accounts(storage)
    sent: list[str] = []

    class Collector(calp.Notifier):
        def send_sms(self, notice: calp.SmsNotice) -> None:
            sent.append(notice.kind)

        def send_email(self, notice: calp.EmailNotice) -> None:
            sent.append(notice.kind)

    notifier, clock = Collector(), FixedClock()
    notifier_ref, clock_ref = weakref.ref(notifier), weakref.ref(clock)
    service = calp.HouseholdService(storage, notifier, clock)
    del notifier, clock
    gc.collect()
    assert notifier_ref() is not None and clock_ref() is not None  # held by the service
    assert service.grant_delegation("alloc", "7654321").outcome == "done"
    assert sent == ["delegation_granted", "delegation_granted"]
    del service
    gc.collect()
    assert notifier_ref() is None and clock_ref() is None  # and released with it


def test_a_notifier_must_define_its_methods(storage: calp.Storage) -> None:
    with_accounts(storage)

    class Half(calp.Notifier):
        def send_sms(self, notice: calp.SmsNotice) -> None:
            pass

    # The e-mail cannot be sent: calp treats it as not delivered, the change holds.
    service = calp.HouseholdService(storage, Half(), FixedClock())
    assert service.grant_delegation("alloc", "7654321").outcome == "done"

    class Timeless(calp.Clock):
        pass

    with pytest.raises(RuntimeError, match="pure virtual"):
        Timeless().now()
    with pytest.raises(RuntimeError, match="pure virtual"):
        calp.HouseholdService(storage, Half(), Timeless()).grant_delegation("alloc", "7654321")


def test_a_clock_in_python_and_the_system_clock() -> None:
    assert FixedClock().now() == NOW
    now = calp.SystemClock().now()
    assert now.tzinfo is datetime.timezone.utc
    assert abs(now - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(seconds=5)


def test_the_service_checks_what_it_is_given(storage: calp.Storage) -> None:
    with pytest.raises(TypeError, match="expected a calp.Storage, not str"):
        calp.HouseholdService("db", RecordingNotifier())
    with pytest.raises(TypeError, match="expected a calp.Notifier, not list"):
        calp.HouseholdService(storage, [])
    with pytest.raises(TypeError, match="expected a calp.Clock, not int"):
        calp.HouseholdService(storage, RecordingNotifier(), 3)
    with pytest.raises(TypeError, match="expected a calp.Storage, not NoneType"):
        calp.StorageAuthorizer(None)
    with pytest.raises(TypeError, match="expected a calp.Clock, not str"):
        calp.StorageAuthorizer(storage, clock="now")


def test_agents_record_a_new_conjoint_and_benefits(storage: calp.Storage) -> None:
    single = {"dossier": "7654321", "members": [{"id": "alloc", "role": "allocataire", "birth_date": "1980-01-01"}]}
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(single), 0))
    service = calp.HouseholdService(storage, RecordingNotifier(), FixedClock())
    day = NOW.date()
    assert service.add_conjoint("A4521", "7654321", "conj", datetime.date(1981, 1, 1)).outcome == "done"
    assert service.add_conjoint("A4521", "7654321", "other", datetime.date(1981, 1, 1)).outcome == "conjoint_present"
    h, _ = storage.find_household("7654321")
    assert h.role_at("conj", day) == "conjoint"
    aah = calp.Benefit("AAH", datetime.date(2026, 11, 1))
    assert (aah.code, aah.from_, aah.until) == ("AAH", datetime.date(2026, 11, 1), None)
    assert service.record_benefit("A4521", "7654321", "conj", aah).outcome == "done"
    assert service.record_benefit("A4521", "7654321", "conj", aah).outcome == "benefit_overlaps"
    assert calp.decide(storage.find_household("7654321")[0], "conj", "dossier.read", day).allowed
    assert service.end_benefit("A4521", "7654321", "conj", "AAH", day).outcome == "done"
    assert service.end_benefit("A4521", "7654321", "conj", "AAH", day).outcome == "no_open_benefit"
    later = day + datetime.timedelta(days=1)
    assert not calp.decide(storage.find_household("7654321")[0], "conj", "dossier.read", later).allowed
    bad = service.record_benefit("A4521", "7654321", "conj", calp.Benefit("aah", day))
    assert bad.outcome == "invalid"
    assert isinstance(bad.problem, calp.InvalidHousehold) and bad.problem.code == "calp.household.benefit_code"
    assert bad.problem.field
    assert service.add_conjoint("A4521", "1111111", "x", day).outcome == "unknown"
    other = {"dossier": "7000000", "members": [{"id": "a2", "role": "allocataire", "birth_date": "1980-01-01"}]}
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(other), 0))
    joined = service.add_conjoint("A4521", "7000000", "c2", datetime.date(1982, 5, 5),
                                  benefits=[calp.Benefit("PALA", datetime.date(2026, 1, 1), day)])
    assert joined.outcome == "done"
    assert storage.find_household("7000000")[0].role_at("c2", day) == "conjoint_allocataire"
