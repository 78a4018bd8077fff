"""R1–R3 from Python: the identifiers parse exactly as the C++ parsers do."""

from __future__ import annotations

import pytest

import calp

VALID = [
    "295109912611193", "253072B07300470", "253072A07300443", "185017510008897",
    "185017510008701", "185017510007810", "180427512345637", "185039721200145",
    "160072012345602",
]

INVALID = [
    ("284058832102533", "calp.nir.key"),
    ("284058832102500", "calp.nir.key"),
    ("253072C07300443", "calp.nir.character"),
    ("284138832102563", "calp.nir.month"),
    ("984058832102570", "calp.nir.sex"),
    ("284050032102580", "calp.nir.department"),
    ("284058832100057", "calp.nir.order"),
    ("884058832102523", "calp.nir.sex"),
    ("28405883210253", "calp.nir.length"),
]


@pytest.mark.parametrize("text", VALID)
def test_r2_valid_nirs_parse(text: str) -> None:
    assert calp.Nir.parse(text).value == text


@pytest.mark.parametrize(("text", "code"), INVALID)
def test_r2_each_invalid_nir_raises_invalid_nir_with_its_code(text: str, code: str) -> None:
    with pytest.raises(calp.InvalidNir) as caught:
        calp.Nir.parse(text)
    assert caught.value.code == code
    assert isinstance(caught.value, calp.Error)
    assert isinstance(caught.value, ValueError)
    assert text not in str(caught.value)  # never the full NIR in a message


def test_r2_lenient_profile_accepts_sex_8() -> None:
    assert calp.Nir.parse("884058832102523", lenient=True).sex_digit == "8"


def test_r1_separators_are_stripped_and_letters_upper_cased() -> None:
    n = calp.Nir.parse("2 84 05 2a 321 025 52")
    assert n.value == "284052A32102552"
    assert n.formatted == "2 84 05 2A 321 025 52"


def test_nir_shows_masked_and_exposes_its_fields() -> None:
    n = calp.Nir.parse("295109912611193")
    assert str(n) == n.masked == "2 95 10 ** *** *** 93"
    assert repr(n) == "Nir('2 95 10 ** *** *** 93')"
    assert (n.year_of_birth, n.month_field, n.birth_month) == (95, 10, 10)
    assert n.month_kind == "calendar"
    assert (n.department, n.commune, n.born_abroad) == ("99", "126", True)
    assert (n.order, n.key) == (111, 93)
    assert calp.Nir.parse("180427512345637").month_kind == "pseudo_fictitious"
    assert calp.Nir.parse("180427512345637").birth_month == 12


def test_nir_compute_key() -> None:
    assert calp.Nir.compute_key("2 84 05 2a 321 025") == 52
    with pytest.raises(calp.InvalidNir) as caught:
        calp.Nir.compute_key("123")
    assert caught.value.code == "calp.nir.length"


def test_identifiers_are_values() -> None:
    a, b = calp.Nir.parse("295109912611193"), calp.Nir.parse("2 95 10 99 126 111 93")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert calp.DossierNumber.parse("123 4567") == calp.DossierNumber.parse("1234567")
    assert calp.ProvisionalId.parse("p3339 2250") == calp.ProvisionalId.parse("P33392250")


def test_r3_provisional_id() -> None:
    p = calp.ProvisionalId.parse("p33392250")
    assert (p.value, str(p), repr(p)) == ("P33392250", "P33392250", "ProvisionalId('P33392250')")
    with pytest.raises(calp.InvalidProvisionalId) as caught:
        calp.ProvisionalId.parse("P1234567")
    assert caught.value.code == "calp.provisional_id.format"


def test_dossier_number() -> None:
    d = calp.DossierNumber.parse("1234567")
    assert (d.value, str(d), repr(d)) == ("1234567", "1234567", "DossierNumber('1234567')")
    with pytest.raises(calp.InvalidDossierNumber) as caught:
        calp.DossierNumber.parse("12345A7")
    assert caught.value.code == "calp.dossier_number.format"


def test_r1_login_identifier_is_a_nir_or_a_provisional_id() -> None:
    nir = calp.LoginIdentifier.parse("2 95 10 99 126 111 93")
    assert nir.is_nir and nir.nir == calp.Nir.parse("295109912611193") and nir.provisional_id is None
    assert str(nir) == nir.masked == "2 95 10 ** *** *** 93"
    pid = calp.LoginIdentifier.parse("p33392250")
    assert not pid.is_nir and pid.nir is None and pid.provisional_id == calp.ProvisionalId.parse("P33392250")
    assert repr(pid) == "LoginIdentifier('P33392250')"
    assert pid == calp.LoginIdentifier.parse("P33392250") and hash(pid) == hash(calp.LoginIdentifier.parse("P33392250"))
    assert calp.LoginIdentifier.parse("884058832102523", lenient=True).is_nir
    with pytest.raises(calp.InvalidNir):
        calp.LoginIdentifier.parse("884058832102523")
    with pytest.raises(calp.InvalidProvisionalId):
        calp.LoginIdentifier.parse("P12")
