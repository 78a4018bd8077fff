"""Every setting of the C++ account_config from Python (AccountConfig and its rules
objects), each proved through the account service's flows: a stricter rule blocks, expires
or refuses earlier than the default does; the legacy verifier and the provisional
identifier source are Python callables called from the service's threads; bad values are
refused with a clear ValueError or TypeError."""

from __future__ import annotations

import contextlib
import datetime
import gc
import json
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import calp
from conftest import COUPLE, FixedClock, RecordingNotifier
from test_accounts import (CERTIFIED_NIR, CLAIMS, DURAND, LEGACY, PASSWORD, TERMS, complete,
                           import_franceconnect_people, last_code)

MINUTE = datetime.timedelta(minutes=1)
SOLO = "P34567890"


def config(**settings: Any) -> calp.AccountConfig:
    return calp.AccountConfig(TERMS, password_hashing=calp.PasswordHashing.for_tests(), **settings)


Built = tuple[calp.AccountService, FixedClock, RecordingNotifier]


def service_with(storage: calp.Storage, cfg: calp.AccountConfig, clock: FixedClock | None = None,
                 notifier: RecordingNotifier | None = None) -> Built:
    clock = clock or FixedClock()
    notifier = notifier or RecordingNotifier()
    return calp.AccountService(storage, notifier, clock, cfg, calp.CodeKey.generate()), clock, notifier


def import_solo(service: calp.AccountService, legacy_hash: bool = True) -> None:
    """A person in no household (so no délégation step), before la bascule."""
    person = calp.PersonRecord("solo", provisional_id=calp.ProvisionalId.parse(SOLO))
    service.import_account(person, service.hash_legacy_password(LEGACY) if legacy_hash else "")


def up_to_contact(service: calp.AccountService) -> str:
    """Logs in with the legacy password, accepts the CGU, creates the password: the token."""
    token = service.login(SOLO, LEGACY).token
    assert token is not None
    assert service.accept_terms(token, TERMS).next_step == "create_password"
    assert service.create_password(token, PASSWORD, PASSWORD).next_step == "prove_contact"
    return token


def full_session(service: calp.AccountService, notifier: RecordingNotifier) -> str:
    token = up_to_contact(service)
    assert service.send_contact_code(token, "email", "solo@example.org").outcome == "code_sent"
    assert service.confirm_contact(token, last_code(notifier)).next_step == "done"
    full = service.login(SOLO, PASSWORD)
    assert full.next_step == "done" and full.token is not None
    return full.token


def not_the(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# -- the rules objects: defaults are the C++ defaults, every field reads and writes -----------


def test_the_rules_objects_start_from_the_cpp_defaults_and_round_trip() -> None:
    cfg = calp.AccountConfig(TERMS)
    assert cfg.passwords.min_length == 8 and cfg.passwords.max_length == 24 and cfg.passwords.refuse_common
    assert cfg.codes.sms_validity == datetime.timedelta(minutes=10)
    assert cfg.codes.email_validity == datetime.timedelta(minutes=15)
    assert cfg.codes.max_new_codes == 3 and cfg.codes.max_failed_attempts == 5
    assert cfg.throttle.free_failures == 5 and cfg.throttle.first_delay == 2 * MINUTE
    assert cfg.throttle.max_delay == datetime.timedelta(hours=1) and cfg.throttle.max_failures_per_window == 25
    assert cfg.throttle.window == datetime.timedelta(hours=24)
    assert cfg.sessions.idle == 30 * MINUTE and cfg.sessions.absolute == datetime.timedelta(hours=12)
    assert cfg.sessions.first_connection == datetime.timedelta(hours=1) and cfg.sessions.touch_interval == MINUTE
    assert cfg.activation_validity == datetime.timedelta(days=30)
    assert cfg.provisional_transition == datetime.timedelta(days=90)
    assert cfg.max_codes_per_day == 10 and cfg.max_reminders_per_day == 3
    assert cfg.legacy_verifier is None and cfg.provisional_id_source is None
    assert cfg.franceconnect.issuer == "" and cfg.franceconnect.min_acr == "eidas1"
    assert cfg.franceconnect.clock_skew == datetime.timedelta(seconds=60)
    assert cfg.franceconnect.login_validity == 10 * MINUTE

    # The nested objects are edited in place.
    cfg.sessions.idle = 5 * MINUTE
    cfg.codes.max_failed_attempts = 2
    cfg.passwords.require_digit = False
    cfg.throttle.window = datetime.timedelta(hours=2)
    cfg.franceconnect.min_acr = "eidas2"
    assert cfg.sessions.idle == 5 * MINUTE and cfg.codes.max_failed_attempts == 2
    assert not cfg.passwords.require_digit and cfg.throttle.window == datetime.timedelta(hours=2)
    assert cfg.franceconnect.min_acr == "eidas2"
    cfg.sessions = calp.SessionRules(idle=7 * MINUTE)
    assert cfg.sessions.idle == 7 * MINUTE and cfg.sessions.absolute == datetime.timedelta(hours=12)
    assert "idle=420s" in repr(cfg.sessions) and "max_failed_attempts=2" in repr(cfg.codes)

    class Index:
        def __index__(self) -> int:
            return 4

    cfg.max_codes_per_day = Index()  # type: ignore[assignment]
    assert cfg.max_codes_per_day == 4
    custom = calp.PasswordHashing(ops_limit=2, mem_limit=16 * 1024)
    assert custom.ops_limit == 2 and custom.mem_limit == 16 * 1024
    assert calp.PasswordHashing.for_tests() == calp.PasswordHashing(ops_limit=1, mem_limit=8192)


# -- R12b: the throttle ---------------------------------------------------------------------


def test_r12b_fewer_free_failures_block_the_right_password_earlier(storage: calp.Storage) -> None:
    strict, clock, _ = service_with(
        storage, config(throttle=calp.LoginThrottleRules(free_failures=2, first_delay=10 * MINUTE)))
    import_solo(strict)
    for _ in range(2):
        assert strict.login(SOLO, "wrong").outcome == "refused"
    assert strict.login(SOLO, LEGACY).outcome == "refused"  # blocked, answered like a wrong password
    clock.instant += 9 * MINUTE
    assert strict.login(SOLO, LEGACY).outcome == "refused"
    clock.instant += 2 * MINUTE
    assert strict.login(SOLO, LEGACY).outcome == "signed_in"

    default, _, _ = service_with(calp.MemoryStorage(), config())
    import_solo(default)
    for _ in range(2):
        assert default.login(SOLO, "wrong").outcome == "refused"
    assert default.login(SOLO, LEGACY).outcome == "signed_in"


def test_r12b_a_smaller_window_allows_fewer_failures_a_day() -> None:
    rules = calp.LoginThrottleRules(free_failures=100, first_delay=datetime.timedelta(0),
                                    max_failures_per_window=3, window=datetime.timedelta(hours=1))
    service, clock, _ = service_with(calp.MemoryStorage(), config(throttle=rules))
    import_solo(service)
    for _ in range(3):
        assert service.login(SOLO, "wrong").outcome == "refused"
    assert service.login(SOLO, LEGACY).outcome == "refused"
    clock.instant += datetime.timedelta(hours=1, seconds=1)
    assert service.login(SOLO, LEGACY).outcome == "signed_in"


# -- sessions -------------------------------------------------------------------------------


def test_a_shorter_idle_limit_closes_a_full_session_earlier(storage: calp.Storage) -> None:
    service, clock, notifier = service_with(storage, config(sessions=calp.SessionRules(idle=5 * MINUTE)))
    import_solo(service)
    token = full_session(service, notifier)
    clock.instant += 4 * MINUTE
    assert service.session(token) is not None  # used: the idle count starts over
    clock.instant += 4 * MINUTE
    assert service.session(token) is not None
    clock.instant += 6 * MINUTE
    assert service.session(token) is None

    default, clock, notifier = service_with(calp.MemoryStorage(), config())
    import_solo(default)
    token = full_session(default, notifier)
    clock.instant += 6 * MINUTE
    assert default.session(token) is not None


def test_a_shorter_absolute_limit_closes_a_used_session() -> None:
    rules = calp.SessionRules(idle=datetime.timedelta(hours=5), absolute=datetime.timedelta(hours=2))
    service, clock, notifier = service_with(calp.MemoryStorage(), config(sessions=rules))
    import_solo(service)
    token = full_session(service, notifier)
    clock.instant += 50 * MINUTE
    assert service.session(token) is not None
    clock.instant += 50 * MINUTE
    assert service.session(token) is not None
    clock.instant += 50 * MINUTE
    assert service.session(token) is None  # 2 h 30 after it opened, used every 50 minutes


def test_a_shorter_first_connection_session_expires_earlier() -> None:
    cfg = config()
    cfg.sessions.first_connection = 10 * MINUTE
    service, clock, _ = service_with(calp.MemoryStorage(), cfg)
    import_solo(service)
    token = service.login(SOLO, LEGACY).token
    info = service.session(token)
    assert info is not None and info.kind == "first_connection"
    assert info.expires_at == clock.instant + 10 * MINUTE
    clock.instant += 11 * MINUTE
    assert service.session(token) is None
    assert service.accept_terms(token, TERMS).outcome == "not_signed_in"


# -- R13: codes -----------------------------------------------------------------------------


def test_r13_fewer_attempts_void_the_code_earlier(storage: calp.Storage) -> None:
    service, _, notifier = service_with(storage, config(codes=calp.VerificationCodeRules(max_failed_attempts=2)))
    import_solo(service)
    token = up_to_contact(service)
    service.send_contact_code(token, "mobile", "0612154545")
    code = last_code(notifier)
    wrong = service.confirm_contact(token, not_the(code))
    assert wrong.outcome == "wrong_code" and wrong.attempts_left == 1
    assert service.confirm_contact(token, not_the(code)).outcome == "void_code"
    assert service.confirm_contact(token, code).outcome == "void_code"  # even the right one now


def test_r13_a_shorter_validity_expires_the_code_earlier() -> None:
    rules = calp.VerificationCodeRules(sms_validity=MINUTE, email_validity=2 * MINUTE)
    service, clock, notifier = service_with(calp.MemoryStorage(), config(codes=rules))
    import_solo(service)
    token = up_to_contact(service)
    service.send_contact_code(token, "mobile", "0612154545")
    clock.instant += 90 * datetime.timedelta(seconds=1)
    assert service.confirm_contact(token, last_code(notifier)).outcome == "expired_code"
    service.send_contact_code(token, "email", "solo@example.org")  # « Modifier vos coordonnées »
    clock.instant += 90 * datetime.timedelta(seconds=1)
    assert service.confirm_contact(token, last_code(notifier)).outcome == "done"  # the e-mail's 2 minutes


def test_r13_fewer_new_codes_per_contact_point() -> None:
    service, _, _ = service_with(calp.MemoryStorage(), config(codes=calp.VerificationCodeRules(max_new_codes=1)))
    import_solo(service)
    token = up_to_contact(service)
    first = service.send_contact_code(token, "mobile", "0612154545")
    assert first.outcome == "code_sent" and first.new_codes_left == 1
    again = service.resend_contact_code(token)
    assert again.outcome == "code_sent" and again.new_codes_left == 0
    assert service.resend_contact_code(token).outcome == "too_many_codes"


def test_fewer_codes_per_day_across_contact_points() -> None:
    service, _, notifier = service_with(calp.MemoryStorage(), config(max_codes_per_day=2))
    import_solo(service)
    token = up_to_contact(service)
    assert service.send_contact_code(token, "mobile", "0612154545").outcome == "code_sent"
    assert service.send_contact_code(token, "email", "solo@example.org").outcome == "code_sent"
    sent = len(notifier.sent)
    assert service.send_contact_code(token, "mobile", "0712154545").outcome == "too_many_codes"
    assert len(notifier.sent) == sent


# -- R12: the password policy ---------------------------------------------------------------


def test_r12_a_stricter_or_laxer_password_policy_applies_to_new_passwords(storage: calp.Storage) -> None:
    service, _, _ = service_with(storage, config(passwords=calp.PasswordPolicy(min_length=20)))
    import_solo(service)
    token = service.login(SOLO, LEGACY).token
    service.accept_terms(token, TERMS)
    short = service.create_password(token, PASSWORD, PASSWORD)  # 16 code points
    assert short.outcome == "password_rejected" and not short.password.length and short.password.digit
    assert service.create_password(token, PASSWORD + "-Wren", PASSWORD + "-Wren").outcome == "done"

    lax, _, _ = service_with(calp.MemoryStorage(),
                             config(passwords=calp.PasswordPolicy(require_digit=False, require_upper=False)))
    import_solo(lax)
    token = lax.login(SOLO, LEGACY).token
    lax.accept_terms(token, TERMS)
    assert lax.create_password(token, "kestrel-quaz-vortex", "kestrel-quaz-vortex").outcome == "done"
    default, _, _ = service_with(calp.MemoryStorage(), config())
    import_solo(default)
    token = default.login(SOLO, LEGACY).token
    default.accept_terms(token, TERMS)
    assert default.create_password(token, "kestrel-quaz-vortex", "kestrel-quaz-vortex").outcome == \
        "password_rejected"


# -- activation codes, reminders, the provisional transition --------------------------------


def test_r11_a_shorter_activation_validity(storage: calp.Storage) -> None:
    service, clock, _ = service_with(storage, config(activation_validity=datetime.timedelta(days=2)))
    storage.commit(calp.WriteBatch().put(calp.Household.from_dict(COUPLE), 0))
    service.import_account(calp.PersonRecord("child", provisional_id=calp.ProvisionalId.parse("P23456789")))
    issued = service.issue_activation_code("child", "A4521")
    assert issued.expires_at == clock.instant + datetime.timedelta(days=2)
    clock.instant += datetime.timedelta(days=3)
    assert service.activate("P23456789", issued.code).outcome == "refused"
    issued = service.issue_activation_code("child", "A4521")
    clock.instant += datetime.timedelta(days=1)
    assert service.activate("P23456789", issued.code).outcome == "signed_in"


def test_r17_fewer_provisional_id_reminders_a_day() -> None:
    service, _, notifier = service_with(calp.MemoryStorage(), config(max_reminders_per_day=1))
    done = service.register_primo_demandeur(calp.CivilStatus(**DURAND))
    token = done.token
    service.accept_terms(token, TERMS)
    service.create_password(token, PASSWORD, PASSWORD)
    service.send_contact_code(token, "email", "marie.durand@example.org")
    assert service.confirm_contact(token, last_code(notifier)).next_step == "done"
    sent = len(notifier.sent)
    ask = ("durand", DURAND["birth_date"], "email", "marie.durand@example.org")
    assert service.remind_provisional_id(*ask) == "accepted"
    assert len(notifier.sent) == sent + 1
    assert service.remind_provisional_id(*ask) == "accepted"  # the same answer, nothing sent
    assert len(notifier.sent) == sent + 1


def test_r3_a_shorter_provisional_transition(storage: calp.Storage) -> None:
    service, clock, notifier = service_with(
        storage, config(provisional_transition=datetime.timedelta(days=1)))
    import_solo(service)
    full_session(service, notifier)
    service.certify_nir("solo", calp.Nir.parse(CERTIFIED_NIR), "A4521")
    assert service.login(SOLO, PASSWORD).outcome == "signed_in"
    clock.instant += datetime.timedelta(days=2)
    assert service.login(SOLO, PASSWORD).outcome == "refused"
    assert service.login(CERTIFIED_NIR, PASSWORD).outcome == "signed_in"

    none, clock, notifier = service_with(calp.MemoryStorage(),
                                         config(provisional_transition=datetime.timedelta(0)))
    import_solo(none)
    full_session(none, notifier)
    none.certify_nir("solo", calp.Nir.parse(CERTIFIED_NIR), "A4521")
    assert none.login(SOLO, PASSWORD).outcome == "refused"  # no transition at all


# -- the legacy password verifier -------------------------------------------------------------


class Verifier:
    """A host's legacy system: dossier passwords by person id; records who was asked."""

    def __init__(self, passwords: dict[str, str]) -> None:
        self.passwords = passwords
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, person: calp.PersonRecord, password: str) -> bool:
        with self.lock:
            self.asked.append(person.id)
        return self.passwords.get(person.id) == password


def test_the_legacy_verifier_checks_a_legacy_password(storage: calp.Storage) -> None:
    verifier = Verifier({"solo": LEGACY})
    cfg = config(legacy_verifier=verifier)
    assert cfg.legacy_verifier is verifier
    service, _, _ = service_with(storage, cfg)
    import_solo(service, legacy_hash=False)
    assert service.login(SOLO, "87654321").outcome == "refused"
    login = service.login(SOLO, LEGACY)
    assert login.outcome == "signed_in" and login.next_step == "accept_terms"
    assert verifier.asked == ["solo", "solo"]
    assert service.login(SOLO, b"\xff\xfe12345678").outcome == "refused"  # not UTF-8: not a legacy password
    assert verifier.asked == ["solo", "solo"]
    # After la bascule the personal password is checked by calp, never by the host.
    token = login.token
    service.accept_terms(token, TERMS)
    service.create_password(token, PASSWORD, PASSWORD)
    assert service.login(SOLO, PASSWORD) and not service.login(SOLO, LEGACY)
    assert verifier.asked == ["solo", "solo"]


def test_an_account_with_an_imported_hash_never_asks_the_verifier() -> None:
    verifier = Verifier({"solo": "00000000"})
    service, _, _ = service_with(calp.MemoryStorage(), config(legacy_verifier=verifier))
    import_solo(service, legacy_hash=True)
    assert service.login(SOLO, LEGACY) and not service.login(SOLO, "00000000")
    assert verifier.asked == []


@contextlib.contextmanager
def unraisable() -> Iterator[list[Any]]:
    """What reaches sys.unraisablehook meanwhile (pytest installs its own around each test,
    so a fixture's would be replaced)."""
    seen: list[Any] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        sys.unraisablehook = previous


def test_a_verifier_that_raises_refuses_the_login_without_crashing_or_leaking(
        storage: calp.Storage) -> None:
    def broken(person: calp.PersonRecord, password: str) -> bool:
        return int(password) == 0  # ValueError quoting the password for a non-numeric one

    service, _, _ = service_with(storage, config(legacy_verifier=broken))
    import_solo(service, legacy_hash=False)
    secret = "Hunter-2-secret"
    with unraisable() as reports:
        result = service.login(SOLO, secret)
        # The service goes on: a numeric password reaches the verifier and is answered.
        assert service.login(SOLO, "12345678").outcome == "refused"
        assert service.login(SOLO, "00000000").outcome == "signed_in"
    assert result.outcome == "refused" and result.token is None and result.person is None
    assert len(reports) == 1
    report = reports[0]
    text = str(report.exc_value)
    assert isinstance(report.exc_value, RuntimeError) and report.object is broken
    assert "legacy_verifier raised ValueError" in text and "refused" in text
    assert __file__ in text  # where, to find it
    assert secret not in text and secret not in repr(report)
    # The refusal counts against the throttle like a wrong password.
    failed = [e for e in calp.audit_events_about(storage, "solo") if e.kind == "login.failed"]
    assert len(failed) == 2 and secret not in repr([(e.outcome, e.detail) for e in failed])


def test_only_true_from_the_verifier_signs_in() -> None:
    answers: list[object] = ["yes", 1, None, True]
    service, _, _ = service_with(calp.MemoryStorage(), config(legacy_verifier=lambda p, s: answers.pop(0)))
    import_solo(service, legacy_hash=False)
    with unraisable() as reports:
        for _ in range(3):
            assert service.login(SOLO, LEGACY).outcome == "refused"
        assert service.login(SOLO, LEGACY).outcome == "signed_in"
    assert [type(u.exc_value) for u in reports] == [RuntimeError] * 3
    assert "returned str, not a bool" in str(reports[0].exc_value)
    assert "returned NoneType, not a bool" in str(reports[2].exc_value)


def test_a_keyboard_interrupt_in_the_verifier_goes_up_through_login() -> None:
    def interrupted(person: calp.PersonRecord, password: str) -> bool:
        raise KeyboardInterrupt

    service, _, _ = service_with(calp.MemoryStorage(), config(legacy_verifier=interrupted))
    import_solo(service, legacy_hash=False)
    with pytest.raises(KeyboardInterrupt):
        service.login(SOLO, LEGACY)
    assert service.next_step("solo") == "accept_terms"  # nothing opened, nothing broken


def test_the_verifier_is_kept_alive_and_called_from_other_threads() -> None:
    verifier = Verifier({f"t{i}": LEGACY for i in range(4)})
    ref = weakref.ref(verifier)
    cfg = config()
    cfg.legacy_verifier = verifier
    service, _, _ = service_with(calp.MemoryStorage(), cfg)
    del verifier, cfg
    gc.collect()
    assert ref() is not None  # the service holds it
    ids = [f"P5000000{i}" for i in range(4)]
    for i, pid in enumerate(ids):
        service.import_account(calp.PersonRecord(f"t{i}", provisional_id=calp.ProvisionalId.parse(pid)))
    results: list[str] = []

    def log_in(pid: str) -> None:
        for _ in range(5):
            results.append(service.login(pid, LEGACY).outcome)

    threads = [threading.Thread(target=log_in, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["signed_in"] * 20
    assert sorted(set(ref().asked)) == ["t0", "t1", "t2", "t3"]  # type: ignore[union-attr]
    del service
    gc.collect()
    assert ref() is None  # and released with it


def test_the_verifier_can_be_removed() -> None:
    cfg = config(legacy_verifier=Verifier({"solo": LEGACY}))
    cfg.legacy_verifier = None
    assert cfg.legacy_verifier is None
    service, _, _ = service_with(calp.MemoryStorage(), cfg)
    import_solo(service, legacy_hash=False)
    assert service.login(SOLO, LEGACY).outcome == "refused"


# -- the provisional identifier source --------------------------------------------------------


def source_of(*ids: object) -> Callable[[], object]:
    queue = list(ids)
    return lambda: queue.pop(0)


def test_r3_a_provisional_id_taken_is_drawn_again(storage: calp.Storage) -> None:
    cfg = config(provisional_id_source=source_of("P11111111", "P11111111", calp.ProvisionalId.parse("P22222222")))
    service, _, _ = service_with(storage, cfg)
    first = service.register_primo_demandeur(calp.CivilStatus(**DURAND))
    assert first.provisional is not None and first.provisional.value == "P11111111"
    second = service.register_primo_demandeur(calp.CivilStatus(**{**DURAND, "given_names": "Anne"}))
    assert second and second.provisional.value == "P22222222"  # the collision was drawn again


@pytest.mark.parametrize("bad, error, message", [
    ("X", calp.InvalidProvisionalId, "returned `X`, not P and 8 digits"),
    ("p11111111", calp.InvalidProvisionalId, "not P and 8 digits"),
    ("P 1111 1111", calp.InvalidProvisionalId, "not P and 8 digits"),
    (11111111, TypeError, "must return a str, not int"),
])
def test_a_provisional_id_source_answering_nonsense_is_a_clear_error(bad: object, error: type, message: str) -> None:
    service, _, _ = service_with(calp.MemoryStorage(), config(provisional_id_source=lambda: bad))
    with pytest.raises(error, match=message):
        service.register_primo_demandeur(calp.CivilStatus(**DURAND))


def test_an_exception_in_the_provisional_id_source_reaches_the_caller() -> None:
    def broken() -> str:
        raise LookupError("pool empty")

    service, _, _ = service_with(calp.MemoryStorage(), config(provisional_id_source=broken))
    with pytest.raises(LookupError, match="pool empty"):
        service.register_primo_demandeur(calp.CivilStatus(**DURAND))
    cfg = config()
    cfg.provisional_id_source = broken
    assert cfg.provisional_id_source is broken


# -- FranceConnect --------------------------------------------------------------------------


def test_r18_franceconnect_config_object_sets_min_acr_and_login_validity() -> None:
    provider = CLAIMS["provider"]
    now = datetime.datetime.fromisoformat(provider["now"].replace("Z", "+00:00"))
    fc = calp.FranceConnectConfig(issuer=provider["issuer"], client_id=provider["client_id"],
                                  login_validity=2 * MINUTE, min_acr="eidas2")
    storage = calp.MemoryStorage()
    service, clock, _ = service_with(storage, config(franceconnect=fc), clock=FixedClock(now))
    import_franceconnect_people(service)
    assert service.begin_franceconnect().acr == "eidas2"  # the minimum, whatever was asked
    assert service.begin_franceconnect("eidas1").acr == "eidas2"
    # The scenario's token says eidas1: below the configured minimum.
    low = complete(service, "one_match")
    assert low.outcome == "refused" and low.problem == "acr_too_low"
    # An attempt older than login_validity is refused.
    start = service.begin_franceconnect()
    claims = dict(CLAIMS["scenarios"]["one_match"]["claims"], nonce=start.nonce)
    clock.instant += 3 * MINUTE
    late = service.complete_franceconnect(start.state, json.dumps(claims))
    assert late.outcome == "refused" and late.problem == "state_expired"


def test_franceconnect_is_given_one_way_only() -> None:
    with pytest.raises(ValueError, match="not both"):
        calp.AccountConfig(TERMS, franceconnect=calp.FranceConnectConfig(issuer="x", client_id="y"),
                           franceconnect_issuer="x")
    cfg = calp.AccountConfig(TERMS, franceconnect_issuer="x", franceconnect_client_id="y",
                             franceconnect_min_acr="eidas3")
    assert (cfg.franceconnect.issuer, cfg.franceconnect.client_id, cfg.franceconnect.min_acr) == ("x", "y", "eidas3")


# -- bad values -------------------------------------------------------------------------------


@pytest.mark.parametrize("build, error, message", [
    (lambda: calp.SessionRules(idle=datetime.timedelta(0)), ValueError, "idle must be positive, not `0:00:00`"),
    (lambda: calp.SessionRules(absolute=-MINUTE), ValueError, "absolute must be positive"),
    (lambda: calp.SessionRules(touch_interval=-MINUTE), ValueError, "touch_interval must not be negative"),
    (lambda: calp.SessionRules(idle=datetime.timedelta(seconds=1.5)), ValueError, "idle must be whole seconds"),
    (lambda: calp.SessionRules(idle=60), TypeError, "idle must be a datetime.timedelta, not int"),
    (lambda: calp.VerificationCodeRules(sms_validity=datetime.timedelta(0)), ValueError, "sms_validity"),
    (lambda: calp.VerificationCodeRules(max_failed_attempts=0), ValueError,
     "max_failed_attempts must be 1 to 4294967295"),
    (lambda: calp.VerificationCodeRules(max_new_codes=-1), ValueError, "max_new_codes must be 0 to 4294967294"),
    (lambda: calp.VerificationCodeRules(max_new_codes=1.0), TypeError, "max_new_codes must be an int"),
    (lambda: calp.LoginThrottleRules(first_delay=-MINUTE), ValueError, "first_delay must not be negative"),
    (lambda: calp.LoginThrottleRules(max_failures_per_window=0), ValueError, "max_failures_per_window"),
    (lambda: calp.LoginThrottleRules(free_failures=2**32), ValueError, "free_failures must be 0 to 4294967295"),
    (lambda: calp.VerificationCodeRules(max_new_codes=2**32 - 1), ValueError, "max_new_codes must be 0 to"),
    (lambda: calp.PasswordPolicy(min_length=0), ValueError, "min_length must be 1 to 4294967295, not `0`"),
    (lambda: calp.PasswordPolicy(max_length=True), TypeError, "max_length must be an int, not bool"),
    (lambda: calp.FranceConnectConfig(min_acr="eidas9"), ValueError, "acr"),
    (lambda: calp.FranceConnectConfig(login_validity=datetime.timedelta(0)), ValueError, "login_validity"),
    (lambda: calp.AccountConfig(TERMS, activation_validity=datetime.timedelta(0)), ValueError,
     "activation_validity must be positive"),
    (lambda: calp.AccountConfig(TERMS, provisional_transition=-MINUTE), ValueError,
     "provisional_transition must not be negative"),
    (lambda: calp.AccountConfig(TERMS, max_codes_per_day=0), ValueError, "max_codes_per_day must be 1"),
    (lambda: calp.AccountConfig(TERMS, max_reminders_per_day=-3), ValueError, "max_reminders_per_day must be 0 to"),
    (lambda: calp.AccountConfig(TERMS, provisional_transition=datetime.timedelta(days=36501)), ValueError,
     "provisional_transition must be at most 36500 days"),
    (lambda: calp.SessionRules(absolute=datetime.timedelta(days=999_999_999)), ValueError, "at most 36500 days"),
    (lambda: calp.AccountConfig(TERMS, legacy_verifier="yes"), TypeError, "legacy_verifier must be callable"),
    (lambda: calp.AccountConfig(TERMS, provisional_id_source=42), TypeError, "provisional_id_source must be callable"),
    (lambda: calp.AccountConfig(TERMS, franceconnect_min_acr="low"), ValueError, "acr"),
    (lambda: calp.PasswordHashing(ops_limit=0, mem_limit=8192), ValueError, "ops_limit must be 1"),
    (lambda: calp.PasswordHashing(ops_limit=1, mem_limit=1024), ValueError, "outside Argon2id's limits"),
])
def test_bad_values_are_refused_when_given(build: Callable[[], object], error: type, message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        build()


def test_bad_values_are_refused_when_set_and_the_old_value_stays() -> None:
    cfg = calp.AccountConfig(TERMS)
    with pytest.raises(ValueError, match="idle must be positive"):
        cfg.sessions.idle = datetime.timedelta(0)
    with pytest.raises(ValueError, match="max_failed_attempts"):
        cfg.codes.max_failed_attempts = 0
    with pytest.raises(ValueError, match="max_codes_per_day"):
        cfg.max_codes_per_day = 0
    with pytest.raises(TypeError, match="legacy_verifier must be callable"):
        cfg.legacy_verifier = 3
    with pytest.raises(ValueError, match="acr"):
        cfg.franceconnect.min_acr = "eidas0"
    assert cfg.sessions.idle == 30 * MINUTE and cfg.codes.max_failed_attempts == 5
    assert cfg.max_codes_per_day == 10 and cfg.legacy_verifier is None and cfg.franceconnect.min_acr == "eidas1"


@pytest.mark.parametrize("change, message", [
    (lambda c: setattr(c, "terms_version", ""), "terms_version is required"),
    (lambda c: setattr(c.passwords, "max_length", 6), r"min_length \(8\) must be 1 to max_length \(6\)"),
    (lambda c: setattr(c, "franceconnect", calp.FranceConnectConfig(issuer="https://fc.example")),
     "client_id is required"),
])
def test_inconsistent_settings_are_refused_when_the_service_is_built(
        change: Callable[[calp.AccountConfig], None], message: str) -> None:
    cfg = config()
    config().validate()
    change(cfg)
    with pytest.raises(ValueError, match=message):
        cfg.validate()
    key = calp.CodeKey.generate()
    with pytest.raises(ValueError, match=message):
        calp.AccountService(calp.MemoryStorage(), RecordingNotifier(), None, cfg, key)
    assert not key.taken  # checked before the key is taken


def test_the_service_takes_a_copy_of_the_config() -> None:
    cfg = config(max_codes_per_day=1)
    service, _, _ = service_with(calp.MemoryStorage(), cfg)
    cfg.max_codes_per_day = 10  # too late for this service
    import_solo(service)
    token = up_to_contact(service)
    assert service.send_contact_code(token, "mobile", "0612154545").outcome == "code_sent"
    assert service.send_contact_code(token, "email", "solo@example.org").outcome == "too_many_codes"
