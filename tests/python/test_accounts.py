"""The account service from Python (R11–R17): the first connection step by step, login,
sessions, password change and recovery, activation codes; secrets as str or bytes that
never show in a repr; the GIL released while passwords are hashed."""

from __future__ import annotations

import datetime
import gc
import json
import pathlib
import re
import sys
import threading
import time

import pytest

import calp
from conftest import COUPLE, FixedClock, RecordingNotifier

TERMS = "cgu-2026"
LEGACY = "12345678"
PASSWORD = "Vx9-kestrel-Quaz"
CERTIFIED_NIR = "295109912611193"


def make_service(storage: calp.Storage, notifier: RecordingNotifier, clock: calp.Clock | None = None,
                 hashing: calp.PasswordHashing | None = None) -> calp.AccountService:
    config = calp.AccountConfig(TERMS, password_hashing=hashing or calp.PasswordHashing.for_tests())
    return calp.AccountService(storage, notifier, clock or FixedClock(), config, calp.CodeKey.generate())


def last_code(notifier: RecordingNotifier) -> str:
    notice = notifier.sent[-1]
    assert notice.carries_secret  # type: ignore[attr-defined]
    found = re.search(r"\b\d{6}\b", notice.text)  # type: ignore[attr-defined]
    assert found is not None
    return found.group(0)


@pytest.fixture
def world(storage: calp.Storage) -> tuple[calp.Storage, RecordingNotifier, calp.AccountService]:
    """The couple's household and the allocataire's account imported with a legacy password."""
    notifier = RecordingNotifier()
    service = make_service(storage, notifier)
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    person = calp.PersonRecord("alloc", provisional_id=calp.ProvisionalId.parse("P12345678"))
    service.import_account(person, service.hash_legacy_password(LEGACY))
    return storage, notifier, service


def test_r11_a_first_connection_step_by_step(world: tuple[calp.Storage, RecordingNotifier, calp.AccountService]) -> None:
    storage, notifier, service = world
    assert service.next_step("alloc") == "accept_terms"
    refused = service.login("P12345678", "wrong")
    assert not refused and refused.outcome == "refused" and refused.token is None and refused.person is None
    login = service.login("P12345678", LEGACY)
    assert login and login.outcome == "signed_in" and login.person == "alloc" and login.next_step == "accept_terms"
    token = login.token
    assert isinstance(token, str) and len(token) == 64 and token not in repr(login)
    info = service.session(token)
    assert info is not None and info.person == "alloc" and info.kind == "first_connection"
    assert info.expires_at.tzinfo is not None

    assert service.create_password(token, PASSWORD, PASSWORD).outcome == "out_of_order"
    assert service.accept_terms(token, "cgu-1999").outcome == "stale_terms"
    step = service.accept_terms(token, TERMS)
    assert step and step.outcome == "done" and step.next_step == "create_password"
    weak = service.create_password(token, "Motdepasse12", "Motdepasse1")
    assert weak.outcome == "password_rejected" and weak.password is not None
    assert not weak.password.valid and not weak.password.confirmation and weak.password.refusals == ["common"]
    step = service.create_password(token, PASSWORD.encode(), PASSWORD.encode())  # bytes work too
    assert step.outcome == "done" and step.next_step == "prove_contact" and step.password.valid

    bad = service.send_contact_code(token, "mobile", "not a number")
    assert bad.outcome == "invalid_contact" and isinstance(bad.contact_error, calp.Error)
    with pytest.raises(ValueError, match="mobile"):
        service.send_contact_code(token, "pigeon", "x")
    sent = service.send_contact_code(token, "mobile", "06 12 15 45 45")
    assert sent.outcome == "code_sent" and sent.sent_to == "06 12 15 45 45" and sent.new_codes_left == 3
    code = last_code(notifier)
    assert code not in repr(sent)
    wrong = service.confirm_contact(token, "000000" if code != "000000" else "111111")
    assert wrong.outcome == "wrong_code" and wrong.attempts_left > 0
    assert service.confirm_contact(token, "12").outcome == "malformed_code"
    step = service.confirm_contact(token, code)
    assert step.outcome == "done" and step.next_step == "answer_delegation_offer"
    assert not service.may_request_benefit(token).allowed
    step = service.answer_delegation_offer(token, True)
    assert step.outcome == "done" and step.next_step == "done"
    household, _ = storage.find_household("7654321")
    assert household.delegation is not None
    check = service.may_request_benefit(token)
    assert check and check.allowed
    assert service.next_step("alloc") == "done"

    kinds = [e.kind for e in calp.audit_events_about(storage, "alloc")]
    assert kinds[:3] == ["login.failed", "login.succeeded", "terms.accepted"]
    assert "first_connection.completed" in kinds and "contact.code_failed" in kinds
    service.logout(token)
    assert service.session(token) is None
    service.logout(token)  # closing a closed session does nothing


def complete_first_connection(notifier: RecordingNotifier, service: calp.AccountService) -> None:
    token = service.login("P12345678", LEGACY).token
    assert token is not None
    service.accept_terms(token, TERMS)
    service.create_password(token, PASSWORD, PASSWORD)
    service.send_contact_code(token, "mobile", "0612154545")
    service.confirm_contact(token, last_code(notifier))
    assert service.answer_delegation_offer(token, False).next_step == "done"


def test_r12_a_password_change_closes_every_session(
        world: tuple[calp.Storage, RecordingNotifier, calp.AccountService]) -> None:
    _, notifier, service = world
    complete_first_connection(notifier, service)
    assert not service.login("P12345678", LEGACY)  # the legacy password opens nothing now
    first = service.login("P12345678", PASSWORD)
    other = service.login("P12345678", PASSWORD)
    assert first.next_step == "done" and first.token != other.token
    assert service.change_password(first.token, "nope", "Zz8-heron-Plume", "Zz8-heron-Plume").outcome == \
        "wrong_password"
    changed = service.change_password(first.token, PASSWORD, "Zz8-heron-Plume", "Zz8-heron-Plume")
    assert changed.outcome == "done" and isinstance(changed.token, str) and changed.token not in repr(changed)
    assert service.session(first.token) is None and service.session(other.token) is None
    assert service.session(changed.token) is not None
    assert service.login("P12345678", "Zz8-heron-Plume")


def test_r17_a_forgotten_password_is_reset_with_a_code(
        world: tuple[calp.Storage, RecordingNotifier, calp.AccountService]) -> None:
    _, notifier, service = world
    complete_first_connection(notifier, service)
    assert service.request_password_reset("P99999999", "mobile") == "accepted"  # the same answer
    assert service.request_password_reset("nonsense", "mobile") == "malformed_identifier"
    assert service.request_password_reset("P12345678", "mobile") == "accepted"
    code = last_code(notifier)
    assert notifier.sent[-1].kind == "recovery_code"  # type: ignore[attr-defined]
    assert service.reset_password("P99999999", code, "Qq7-otter-Lumen", "Qq7-otter-Lumen").outcome == "wrong_code"
    done = service.reset_password("P12345678", code, b"Qq7-otter-Lumen", b"Qq7-otter-Lumen")
    assert done.outcome == "done"
    assert service.login("P12345678", "Qq7-otter-Lumen")
    assert service.reset_password("P12345678", code, "Qq7-otter-Lumen", "Qq7-otter-Lumen").outcome != "done"


def test_r11_an_activation_code_opens_a_member_aged_15(
        world: tuple[calp.Storage, RecordingNotifier, calp.AccountService]) -> None:
    storage, _, service = world
    service.import_account(calp.PersonRecord("child", provisional_id=calp.ProvisionalId.parse("P23456789")))
    issued = service.issue_activation_code("child", "A4521")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", issued.code)
    assert issued.code not in repr(issued) and repr(issued) == "ActivationCode(<secret>)"
    assert issued.expires_at.tzinfo is not None
    assert not service.activate("P23456789", "AAAA-BBBB-CCCC")
    login = service.activate("P23456789", issued.code.lower())
    assert login.outcome == "signed_in" and login.person == "child" and login.next_step == "accept_terms"
    assert not service.activate("P23456789", issued.code)  # single use
    with pytest.raises(calp.Error) as unknown:
        service.issue_activation_code("nobody", "A4521")
    assert unknown.value.code == "calp.account.unknown"
    assert [e.actor for e in calp.audit_events_about(storage, "child") if e.kind == "activation.issued"] == \
        ["agent:A4521"]


def test_r3_a_certified_nir_rekeys_the_person(world: tuple[calp.Storage, RecordingNotifier, calp.AccountService]) -> None:
    storage, notifier, service = world
    complete_first_connection(notifier, service)
    with pytest.raises(calp.InvalidNir):
        service.certify_nir("alloc", "2 95 10 99 126 111 94", "A4521")  # wrong key: nothing certified
    service.certify_nir("alloc", "2 95 10 99 126 111 93", "A4521")  # text or calp.Nir
    assert service.login(CERTIFIED_NIR, PASSWORD).person == "alloc"
    assert service.login("P12345678", PASSWORD)  # still, during the transition
    with pytest.raises(calp.AccountError) as again:
        service.certify_nir("alloc", calp.Nir.parse(CERTIFIED_NIR), "A4521")
    assert again.value.code == "calp.account.state"
    found = storage.find_person_by_nir(CERTIFIED_NIR)
    assert found is not None and found == storage.find_person_by_nir(calp.Nir.parse(CERTIFIED_NIR))
    assert found[0].provisional_valid_until is not None
    with pytest.raises(calp.InvalidProvisionalId):
        storage.find_person_by_provisional_id("P123")
    assert storage.find_person_by_provisional_id("P12345678")[0].id == "alloc"


def test_malformed_identifiers_and_duplicate_imports(
        world: tuple[calp.Storage, RecordingNotifier, calp.AccountService]) -> None:
    _, _, service = world
    bad = service.login("nonsense!", "x")
    assert bad.outcome == "malformed_identifier" and isinstance(bad.identifier_error, calp.InvalidNir)
    with pytest.raises(calp.StorageError) as twice:
        service.import_account(calp.PersonRecord("alloc", provisional_id=calp.ProvisionalId.parse("P12345678")))
    assert twice.value.code == "calp.storage.conflict"
    with pytest.raises(calp.Error) as unknown:
        service.next_step("nobody")
    assert unknown.value.code == "calp.account.unknown"
    with pytest.raises(TypeError):
        service.login("P12345678", 12345678)  # type: ignore[arg-type]


def test_keys_and_settings() -> None:
    key = calp.CodeKey.from_hex("ab" * 32)
    assert repr(key) == "CodeKey(<secret>)" and not key.taken
    with pytest.raises(calp.Error) as bad:
        calp.CodeKey.from_hex("ab" * 31)
    assert bad.value.code == "calp.code.key"
    fast = calp.PasswordHashing.for_tests()
    assert fast.ops_limit == 1 and calp.PasswordHashing.interactive().mem_limit == 64 * 1024 * 1024
    assert repr(fast).startswith("PasswordHashing(ops_limit=1")
    config = calp.AccountConfig(TERMS)
    assert config.password_hashing.mem_limit == calp.PasswordHashing.interactive().mem_limit
    config.password_hashing = fast
    storage = calp.MemoryStorage()
    calp.AccountService(storage, RecordingNotifier(), None, config, key)
    assert key.taken
    with pytest.raises(ValueError, match="already given"):
        calp.AccountService(storage, RecordingNotifier(), None, config, key)
    with pytest.raises(ValueError, match="terms_version"):
        calp.AccountService(storage, RecordingNotifier(), None, calp.AccountConfig(""), calp.CodeKey.generate())


def test_the_service_keeps_its_python_notifier_alive() -> None:
    storage = calp.MemoryStorage()
    notifier = RecordingNotifier()
    sent = notifier.sent
    service = make_service(storage, notifier)
    del notifier
    gc.collect()
    service.import_account(calp.PersonRecord("p1", provisional_id=calp.ProvisionalId.parse("P34567890")),
                           service.hash_legacy_password(LEGACY))
    token = service.login("P34567890", LEGACY).token
    service.accept_terms(token, TERMS)
    service.create_password(token, PASSWORD, PASSWORD)
    assert service.send_contact_code(token, "email", "p1@example.org").outcome == "code_sent"
    assert sent and sent[-1].to == "p1@example.org"


def test_logins_from_four_python_threads_overlap() -> None:
    """Argon2id at the interactive cost (about 0.1 s and 64 MiB each): the GIL is released
    while a password is checked, so four threads log in at the same time."""
    storage = calp.MemoryStorage()
    service = make_service(storage, RecordingNotifier(), clock=calp.SystemClock(),
                           hashing=calp.PasswordHashing.interactive())
    ids = [f"P4000000{i}" for i in range(4)]
    for i, pid in enumerate(ids):
        service.import_account(calp.PersonRecord(f"t{i}", provisional_id=calp.ProvisionalId.parse(pid)),
                               service.hash_legacy_password(LEGACY))
    spans: list[tuple[float, float]] = []
    results: list[calp.LoginResult] = []

    def log_in(pid: str) -> None:
        start = time.perf_counter()
        results.append(service.login(pid, LEGACY))
        spans.append((start, time.perf_counter()))

    threads = [threading.Thread(target=log_in, args=(pid,)) for pid in ids]
    # With a switch interval this long, a thread keeps the GIL until it gives it up itself:
    # the next thread starts before the previous login ends only if login releases it.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
    finally:
        sys.setswitchinterval(interval)
    assert len(results) == 4 and all(r.outcome == "signed_in" for r in results)
    assert max(s for s, _ in spans) < min(e for _, e in spans), "the logins ran one after another"
    one = min(e - s for s, e in spans)
    assert wall < 4 * max(e - s for s, e in spans)
    print(f"4 concurrent logins: {wall:.3f} s; the shortest alone-ish {one:.3f} s")


DURAND = dict(family_name="Durand", given_names="Marie", gender="female",
              birth_date=datetime.date(1990, 5, 4), birth_place="75107", postal_code="75001")


def test_r15_r4_a_primo_demandeur_registers_and_sees_the_recap(storage: calp.Storage) -> None:
    notifier = RecordingNotifier()
    service = make_service(storage, notifier)
    bad = service.register_primo_demandeur(calp.CivilStatus(family_name="", given_names="M", gender="male",
                                                            birth_date=datetime.date(1990, 5, 4)))
    assert not bad and bad.outcome == "invalid" and bad.token is None
    assert "family_name" in [e.field for e in bad.errors] and all(isinstance(e, calp.Error) for e in bad.errors)
    with pytest.raises(ValueError, match="gender"):
        calp.CivilStatus(family_name="X", given_names="Y", gender="other", birth_date=datetime.date(1990, 1, 1))

    civil = calp.CivilStatus(**DURAND)
    done = service.register_primo_demandeur(civil)
    assert done and done.outcome == "registered" and done.next_step == "accept_terms"
    assert done.provisional is not None and done.nir_mismatches == [] and done.person
    assert done.token not in repr(done)
    recap = service.recap(done.token)
    assert recap is not None and recap.provisional and recap.identifier == done.provisional.value
    assert recap.civil.family_name == "DURAND" and recap.civil.birth_date == datetime.date(1990, 5, 4)
    assert service.recap("0" * 64) is None
    # A NIR that does not match the declaration: a provisional identifier, and why.
    mismatch = service.register_primo_demandeur(calp.CivilStatus(**{**DURAND, "given_names": "Anne"}),
                                                CERTIFIED_NIR)
    assert mismatch.outcome == "registered" and mismatch.provisional is not None and mismatch.nir_mismatches

    token = done.token
    service.accept_terms(token, TERMS)
    service.create_password(token, PASSWORD, PASSWORD)
    service.send_contact_code(token, "email", "marie.durand@example.org")
    assert service.confirm_contact(token, last_code(notifier)).next_step == "done"
    assert service.remind_provisional_id("durand", datetime.date(1990, 5, 4), "email",
                                         "marie.durand@example.org") == "accepted"
    assert done.provisional.value in notifier.sent[-1].text  # type: ignore[attr-defined]
    assert service.remind_provisional_id("nobody", datetime.date(1990, 5, 4), "email",
                                         "x@example.org") == "accepted"
    full = service.login(done.provisional.value, PASSWORD).token
    updated = service.update_civil_status(full, calp.CivilStatus(**{**DURAND, "postal_code": "69001"}))
    assert updated and updated.outcome == "done" and updated.errors == []
    refused = service.update_civil_status(full, calp.CivilStatus(**{**DURAND, "postal_code": "x"}))
    assert not refused and refused.outcome == "invalid" and [e.field for e in refused.errors] == ["postal_code"]
    assert isinstance(refused.errors[0], calp.InvalidCivilStatus)
    assert not service.update_civil_status("0" * 64, calp.CivilStatus(**DURAND))


CLAIMS = json.loads((pathlib.Path(__file__).resolve().parent.parent.parent /
                     "examples" / "data" / "franceconnect" / "claims.json").read_text(encoding="utf-8"))


def franceconnect_service(storage: calp.Storage, notifier: RecordingNotifier | None = None) -> calp.AccountService:
    provider = CLAIMS["provider"]
    now = datetime.datetime.fromisoformat(provider["now"].replace("Z", "+00:00"))
    config = calp.AccountConfig(TERMS, password_hashing=calp.PasswordHashing.for_tests(),
                                franceconnect_issuer=provider["issuer"],
                                franceconnect_client_id=provider["client_id"])
    service = calp.AccountService(storage, notifier or RecordingNotifier(), FixedClock(now), config,
                                  calp.CodeKey.generate())
    import_franceconnect_people(service)
    return service


def import_franceconnect_people(service: calp.AccountService) -> None:
    """The persons of the FranceConnect fixture, known by their civil status."""
    for p in CLAIMS["people"]:
        civil = calp.CivilStatus(family_name=p["family_name"], given_names=p["given_names"], gender=p["gender"],
                                 birth_date=datetime.date.fromisoformat(p["birth_date"]),
                                 birth_country=p["birth_country"], birth_place=p.get("birth_place", ""),
                                 birth_city=p.get("birth_city", ""))
        service.import_account(calp.PersonRecord(p["id"], civil_status=civil))


def complete(service: calp.AccountService, scenario: str) -> calp.FranceConnectResult:
    start = service.begin_franceconnect()
    claims = dict(CLAIMS["scenarios"][scenario]["claims"])
    if claims.get("nonce") == "<nonce>":
        claims["nonce"] = start.nonce
    return service.complete_franceconnect(start.state, json.dumps(claims))


def test_r18_franceconnect_logs_in_the_one_person_who_matches(storage: calp.Storage) -> None:
    service = franceconnect_service(storage)
    start = service.begin_franceconnect("eidas2")
    assert start.acr == "eidas2" and len(start.state) == len(start.nonce) == 64
    assert start.state not in repr(start) and start.nonce not in repr(start)
    first = complete(service, "one_match")
    assert first and first.person == "p-dubois" and first.linked and first.token not in repr(first)
    again = complete(service, "one_match")
    assert again.person == "p-dubois" and not again.linked
    assert complete(service, "no_match").outcome == "identity_unknown"
    assert complete(service, "two_matches").outcome == "identity_ambiguous"
    expired = complete(service, "expired_token")
    assert expired.outcome == "refused" and expired.problem is not None
    malformed = service.complete_franceconnect(service.begin_franceconnect().state, "{not json")
    assert malformed.outcome == "malformed_claims" and isinstance(malformed.claims_error, calp.Error)
    off = make_service(calp.MemoryStorage(), RecordingNotifier())
    with pytest.raises(RuntimeError, match="not configured"):  # a host's setup error, not a person's
        off.begin_franceconnect()
    assert off.complete_franceconnect("0" * 64, "{}").outcome == "disabled"
    with pytest.raises(ValueError, match="acr"):
        service.begin_franceconnect("eidas9")


def test_r18_an_account_opened_by_franceconnect_adds_a_password_before_unlinking(storage: calp.Storage) -> None:
    notifier = RecordingNotifier()
    service = franceconnect_service(storage, notifier)
    login = complete(service, "one_match")
    token = login.token
    assert login.next_step == "accept_terms"
    assert service.accept_terms(token, TERMS).next_step == "prove_contact"  # no password asked
    service.send_contact_code(token, "email", "angela.dubois@example.fr")
    assert service.confirm_contact(token, last_code(notifier)).next_step == "done"
    assert service.unlink_franceconnect(token).outcome == "password_required"
    weak = service.add_password(token, "short", "short")
    assert weak.outcome == "password_rejected" and not weak.password.length
    assert service.add_password(token, PASSWORD, PASSWORD).outcome == "done"
    assert service.unlink_franceconnect(token).outcome == "done"
    assert service.unlink_franceconnect("0" * 64).outcome == "not_signed_in"
