"""One calp.Error base, one subclass per error family, each carrying the stable code."""

from __future__ import annotations

import pytest

import calp

FAMILY_CLASSES = {
    "nir": calp.InvalidNir,
    "provisional_id": calp.InvalidProvisionalId,
    "dossier_number": calp.InvalidDossierNumber,
    "person_id": calp.InvalidPersonId,
    "date": calp.InvalidDate,
    "json": calp.InvalidJson,
    "household": calp.InvalidHousehold,
    "action": calp.UnknownAction,
    "channel": calp.UnknownChannel,
    "policy": calp.InvalidPolicy,
    "storage": calp.StorageError,
    "request": calp.InvalidRequest,
    "code": calp.CodeError,
    "audit": calp.AuditError,
    "contact": calp.InvalidContact,
    "account": calp.AccountError,
    "civil_status": calp.InvalidCivilStatus,
}
NOT_INPUT = {calp.StorageError, calp.CodeError, calp.AuditError, calp.AccountError}


def test_every_error_code_is_stable_and_maps_to_a_class_of_calp_error() -> None:
    codes = calp.error_codes()
    assert codes[0] == "calp.nir.length"
    assert "calp.storage.conflict" in codes
    assert len(codes) == len(set(codes))
    for code in codes:
        family = code.split(".")[1]
        cls = calp._error_class(code)
        assert issubclass(cls, calp.Error)
        assert cls is FAMILY_CLASSES[family], f"{code}: a new family needs its class in calp/__init__.py"


def test_input_errors_are_value_errors_and_the_others_are_not() -> None:
    for cls in FAMILY_CLASSES.values():
        assert issubclass(cls, ValueError) == (cls not in NOT_INPUT), cls


def test_errors_of_the_later_families_are_raised_with_their_class() -> None:
    with pytest.raises(calp.AuditError) as raised:
        calp.AuditKey.from_hex("zz")
    assert raised.value.code == "calp.audit.key"
    with pytest.raises(calp.CodeError) as raised:
        calp.CodeKey.from_hex("12")
    assert raised.value.code == "calp.code.key"
    with pytest.raises(calp.CodeError):
        calp.CodeKey.from_bytes(b"\x01" * 31)
    assert not calp.CodeKey.from_bytes(b"\x01" * 32).taken


def test_an_error_carries_code_message_and_field() -> None:
    try:
        calp.Household.from_dict({"dossier": "1234567", "members": [
            {"id": "p1", "role": "chef", "birth_date": "1980-01-01"}]})
    except calp.InvalidHousehold as e:
        assert e.code == "calp.household.role"
        assert e.field == "members[0].role"
        assert "chef" in e.message
        assert str(e) == f"[calp.household.role] {e.message} (at members[0].role)"
    else:
        raise AssertionError("no error")
