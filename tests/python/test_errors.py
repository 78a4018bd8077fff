"""One calp.Error base, one subclass per error family, each carrying the stable code."""

from __future__ import annotations

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
}


def test_every_error_code_is_stable_and_maps_to_a_class_of_calp_error() -> None:
    codes = calp.error_codes()
    assert codes[0] == "calp.nir.length"
    assert "calp.storage.conflict" in codes
    assert len(codes) == len(set(codes))
    for code in codes:
        family = code.split(".")[1]
        cls = calp._error_class(code)
        assert issubclass(cls, calp.Error)
        assert cls is FAMILY_CLASSES.get(family, calp.Error), code


def test_input_errors_are_value_errors_and_storage_errors_are_not() -> None:
    for cls in FAMILY_CLASSES.values():
        assert issubclass(cls, ValueError) == (cls is not calp.StorageError)


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
