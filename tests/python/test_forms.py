"""The pure functions of a web layer's forms from Python: the civil status and its
consistency with a NIR (R3, R4, R15), the password ✓ list (R12), the contact points (R13,
R14) and the texts of the notices a host sends itself (R11). Each expected value is the
C++ unit tests' (tests/unit/civil_status_test.cpp, password_policy_test.cpp,
contact_test.cpp, notices_test.cpp, french_messages_test.cpp): the binding gives the same
answers, including on malformed input."""

from __future__ import annotations

import datetime

import pytest

import calp

TODAY = datetime.date(2026, 1, 15)
UTC = datetime.timezone.utc
NBSP = "\u00a0"


# -- the French conventions (tests/unit/french_messages_test.cpp), for one-line sentences
# and multi-line texts; SMS bodies use an ordinary space before ":".

def french_problems(text: str, *, sms: bool = False, multiline: bool = False) -> list[str]:
    found = []
    if not text:
        return ["empty"]
    for i, c in enumerate(text):
        prev = text[i - 1] if i > 0 else "\n"
        nxt = text[i + 1] if i + 1 < len(text) else "\n"
        if c == "\n" and not multiline:
            found.append(f"a line break at {i}")
        if c in "\u2019\u2018`\u201c\u201d\"":
            found.append(f"a typographic apostrophe or a quotation mark at {i}")
        if c == "\u202f":
            found.append(f"a narrow no-break space at {i}")
        if c == " " and nxt == " ":
            found.append(f"a double space at {i}")
        if c in ".," and prev in (" ", NBSP):
            found.append(f"a space before . or , at {i}")
        if sms:
            if c == NBSP or c in "«»;!":
                found.append(f"not GSM 7-bit at {i}")
            if c in ":?" and prev != " ":
                found.append(f"no space before : or ? at {i}")
        else:
            if c in ":;!?»" and prev != NBSP:
                found.append(f"no U+00A0 before {c!r} at {i}")
            if c == "«" and nxt != NBSP:
                found.append(f"no U+00A0 after « at {i}")
            if c == NBSP and not (nxt in ":;!?»" or prev == "«"):
                found.append(f"a stray U+00A0 at {i}")
    lines = text.split("\n")
    for line in lines:
        if line and not line.startswith("- ") and not (line[0].isupper()):
            found.append(f"the line {line!r} does not start with a capital")
        if line != line.strip(" " + NBSP):
            found.append(f"spaces around the line {line!r}")
    last = lines[-1]
    if not (last.endswith(".") or (multiline and (last.endswith(":")
                                                  or last == "Votre caisse d'Allocations familiales"))):
        found.append("the text does not end with a period")
    for bad in ("e-mail", "...", "--"):
        if bad in text:
            found.append(f"{bad!r}")
    return found


def test_the_conventions_checker_catches_each_fault() -> None:
    assert french_problems("Le conjoint n'a pas de délégation.") == []
    assert french_problems(f"L'allocataire est le responsable{NBSP}: il décide.") == []
    assert french_problems("Votre code Caf : 482913.\nIl est valable 10 minutes.", sms=True, multiline=True) == []
    for bad in ("", "Le conjoint n'a pas de délégation", "le conjoint.", "L'allocataire : il décide.",
                "L'allocataire: il décide.", "L'allocataire\u202f: il décide.", "Le conjoint  n'a pas.",
                "Le conjoint n\u2019a pas.", "Le code est \"482913\".", "Un\nDeux."):
        assert french_problems(bad), bad
    assert french_problems(f"Votre code Caf{NBSP}: 482913.", sms=True)


# -- civil status -----------------------------------------------------------------------

MORVAN = dict(family_name="MORVAN", given_names="DANIEL", gender="male", birth_date=datetime.date(1962, 9, 9),
              birth_country="99352", birth_city="ORAN", parents=[("MORVAN", "JEAN"), ("MORVAN", "JEANNE")],
              postal_code="06000")
NICE = dict(family_name="DUBOIS", given_names="ANGELA CLAIRE LOUISE", gender="female",
            birth_date=datetime.date(1985, 3, 2), birth_country="99100", birth_place="06088",
            postal_code="06000")
GREECE = dict(MORVAN, family_name="PAPADOPOULOU", given_names="ELENI", gender="female",
              birth_date=datetime.date(1995, 10, 21), birth_country="99126", birth_city="ATHENES")


def morvan(**changes: object) -> calp.CivilStatus:
    """The seed's primo-demandeur, born in Oran, Algeria, with both parents."""
    return calp.CivilStatus(**{**MORVAN, **changes})


def born_in_nice(**changes: object) -> calp.CivilStatus:
    return calp.CivilStatus(**{**NICE, **changes})


def born_in_greece(**changes: object) -> calp.CivilStatus:
    return calp.CivilStatus(**{**GREECE, **changes})


def outcome(cs: calp.CivilStatus, limits: calp.CivilStatusLimits | None = None) -> list[str]:
    errors = calp.validate_civil_status(cs, TODAY) if limits is None else calp.validate_civil_status(cs, TODAY, limits)
    for e in errors:
        assert isinstance(e, calp.InvalidCivilStatus) and isinstance(e, calp.Error)
        assert e.message
    return [f"{e.field}={e.code}" for e in errors]


BAD_FAMILY_NAME = ["family_name=calp.civil_status.name"]


def test_r4_the_seeds_primo_demandeur_and_a_person_born_in_nice_are_valid() -> None:
    assert outcome(morvan()) == []
    assert outcome(born_in_nice()) == []
    assert outcome(born_in_nice(birth_city="NICE")) == []
    assert outcome(born_in_nice(birth_city="NICE 06")) == ["birth_city=calp.civil_status.birth_place"]
    assert outcome(born_in_nice(birth_place="")) == ["birth_place=calp.civil_status.birth_place"]


@pytest.mark.parametrize("code", ["06088", "75056", "97209", "98818", "2A004", "2B033", "20004", "01001"])
def test_r15_a_french_commune_code_is_accepted(code: str) -> None:
    assert outcome(born_in_nice(birth_place=code)) == []


@pytest.mark.parametrize("code", ["0608", "060880", "2a004", "2b033", "2C004", "A2004", "2A0B4", "06 08",
                                  "00123", "99352", "99100", "O6088", "٠٦٠٨٨", ""])
def test_r15_a_malformed_commune_code_is_refused(code: str) -> None:
    assert outcome(born_in_nice(birth_place=code)) == ["birth_place=calp.civil_status.birth_place"]


def test_r4_born_abroad_city_and_both_parents_are_required() -> None:
    assert outcome(morvan(birth_city="")) == ["birth_city=calp.civil_status.birth_place"]
    assert outcome(morvan(birth_place="06088")) == ["birth_place=calp.civil_status.birth_place"]
    assert outcome(morvan(parents=[])) == ["parents=calp.civil_status.parents"]
    assert outcome(morvan(parents=[("MORVAN", "JEAN")])) == ["parents=calp.civil_status.parents"]
    assert outcome(morvan(parents=[("MORVAN", "JEAN"), ("MORVAN", "JEANNE"), ("MORVAN", "JEANNOT")])) == [
        "parents=calp.civil_status.parents"]
    assert outcome(morvan(parents=[("MORVAN", "JEAN"), ("", "JEANNE")])) == [
        "parents[1].family_name=calp.civil_status.parents"]
    assert outcome(morvan(parents=[("MORVAN", ""), ("MORVAN", "")])) == [
        "parents[0].given_names=calp.civil_status.parents", "parents[1].given_names=calp.civil_status.parents"]
    assert outcome(morvan(parents=[("MORVAN", "JEAN3"), ("-MORVAN", "JEANNE")])) == [
        "parents[0].given_names=calp.civil_status.name", "parents[1].family_name=calp.civil_status.name"]
    assert outcome(morvan(parents=[("MORVAN", "JEAN"), ("", "")])) == [
        "parents[1].family_name=calp.civil_status.parents", "parents[1].given_names=calp.civil_status.parents"]
    # Born in France: parents optional, names given are checked, empty ones ignored.
    assert outcome(born_in_nice(parents=[("DUBOIS", "")])) == []
    assert outcome(born_in_nice(parents=[("DUBOIS", "PIERRE2")])) == ["parents[0].given_names=calp.civil_status.name"]


@pytest.mark.parametrize("city", ["ORAN", "ST. LOUIS", "WASHINGTON D.C.", "L’AQUILA", "AIX-LA-CHAPELLE",
                                  "SÃO PAULO", "北京", "Санкт-Петербург", "D'ARTAGNAN", "N.Y.", "É" * 80])
def test_r4_a_city_of_birth_abroad_is_accepted(city: str) -> None:
    assert outcome(morvan(birth_city=city)) == []


@pytest.mark.parametrize("city", ["ORAN 1", "HALLE (SAALE)", "WASHINGTON, D.C.", ".ORAN", " ORAN", "ORAN-",
                                  "ST..LOUIS", "ORAN\t", "ORAN\n", "SAINT  DENIS", "-ORAN", "É" * 81])
def test_r4_a_malformed_city_of_birth_is_refused(city: str) -> None:
    assert outcome(morvan(birth_city=city)) == ["birth_city=calp.civil_status.birth_place"]


def test_r4_the_country_of_birth_is_an_insee_code() -> None:
    for country in ("99352", "99126", "99109", "99404", "99502", "99599"):
        assert outcome(morvan(birth_country=country)) == [], country
    for country in ("", "99", "9935", "993520", "99000", "99600", "99999", "98352", "06088", "9935a", "ALGERIE",
                    " 99352"):
        assert outcome(morvan(birth_country=country)) == ["birth_country=calp.civil_status.birth_place"], country
    # An invalid country requires nothing more, but what is given is checked.
    assert outcome(morvan(birth_country="ALGERIE", parents=[("MORVAN", "JEAN!")], birth_city="ORAN (1)")) == [
        "birth_country=calp.civil_status.birth_place", "birth_city=calp.civil_status.birth_place",
        "parents[0].given_names=calp.civil_status.name"]


@pytest.mark.parametrize("name", ["MORVAN", "Morvan", "ÉLOÏSE", "DE LA FONTAINE", "SAINT-EXUPÉRY", "N’DIAYE",
                                  "O'NEIL", "李小龙", "Ελένη", "МОРВАН", "محمد", "हिन्दी", "ŒUVRE", "STRAUẞ",
                                  "Nguyễn", "E\u0301LOI\u0308SE", "A"])
def test_r15_names_of_any_script_are_valid(name: str) -> None:
    assert outcome(morvan(family_name=name)) == []


@pytest.mark.parametrize("name", ["-MORVAN", "MORVAN-", "'MORVAN", "MORVAN’", " MORVAN", "MORVAN ",
                                  "JEAN--PIERRE", "JEAN -PIERRE", "O''NEIL", "DE  LA FONTAINE", "-", " ", "'",
                                  "", "MORVAN2", "MORVAN٣", "MOR.VAN", "MORVAN!", "MOR_VAN", "MORVAN😀",
                                  "MOR\u00a0VAN", "MOR\u200bVAN", "MOR\u2018VAN", "\u0301MORVAN", "\ue000",
                                  "MOR\tVAN", "MORVAN\n", "MOR\x00VAN", "MOR\x7fVAN", "MOR\x85VAN",
                                  "A" * 81, "É" * 81, "李" * 81, "E\u0301" * 41])
def test_r15_a_bad_family_name_is_refused(name: str) -> None:
    assert outcome(morvan(family_name=name)) == BAD_FAMILY_NAME


def test_r15_name_lengths_count_code_points_and_the_limits_are_the_hosts() -> None:
    for unit in ("A", "É", "李"):
        assert outcome(morvan(family_name=unit * 80, given_names=unit * 120)) == []
    assert outcome(morvan(family_name="E\u0301" * 40)) == []
    limits = calp.CivilStatusLimits(family_name_max=5, given_names_max=6, birth_city_max=3)
    assert outcome(morvan(), limits) == [
        "family_name=calp.civil_status.name", "birth_city=calp.civil_status.birth_place",
        "parents[0].family_name=calp.civil_status.name", "parents[1].family_name=calp.civil_status.name"]
    limits.family_name_max = 6
    limits.birth_city_max = 4
    assert outcome(morvan(), limits) == []
    assert repr(calp.CivilStatusLimits()) == (
        "CivilStatusLimits(family_name_max=80, given_names_max=120, birth_city_max=80, postal_code_required=True)")
    with pytest.raises(TypeError):
        calp.CivilStatusLimits(family_name_max=-1)


def test_r15_the_birth_date_is_a_day_from_1900_to_today() -> None:
    for d in (datetime.date(1900, 1, 1), TODAY, datetime.date(2024, 2, 29)):
        assert outcome(morvan(birth_date=d)) == []
    for d in (datetime.date(1899, 12, 31), datetime.date(2026, 1, 16), datetime.date(1, 1, 1)):
        assert outcome(morvan(birth_date=d)) == ["birth_date=calp.civil_status.date"]
    with pytest.raises(TypeError):
        calp.validate_civil_status(morvan(), datetime.datetime(2026, 1, 15, tzinfo=UTC))


def test_r15_the_postal_code_is_five_ascii_digits_required_by_default() -> None:
    for code in ("06000", "75001", "97200", "98000", "01000"):
        assert outcome(morvan(postal_code=code)) == []
    for code in ("", "6000", "060000", "06 000", "2A000", "06000 ", "O6000", "٠٦٠٠٠"):
        assert outcome(morvan(postal_code=code)) == ["postal_code=calp.civil_status.postal_code"]
    relaxed = calp.CivilStatusLimits(postal_code_required=False)
    assert outcome(morvan(postal_code=""), relaxed) == []
    assert outcome(morvan(postal_code="6000"), relaxed) == ["postal_code=calp.civil_status.postal_code"]


def test_r15_every_faulty_field_at_once_and_messages_never_quote_the_data() -> None:
    cs = calp.CivilStatus(family_name="M0RVAN", given_names="", gender="female",
                          birth_date=datetime.date(2030, 1, 1), birth_country="99352", birth_place="06088",
                          postal_code="6000")
    assert outcome(cs) == [
        "family_name=calp.civil_status.name", "given_names=calp.civil_status.name",
        "birth_date=calp.civil_status.date", "birth_place=calp.civil_status.birth_place",
        "birth_city=calp.civil_status.birth_place", "parents=calp.civil_status.parents",
        "postal_code=calp.civil_status.postal_code"]
    cs = calp.CivilStatus(family_name="MORVAN7", given_names="DANIEL--JEAN", gender="male",
                          birth_date=datetime.date(2030, 9, 9), birth_country="99352X", birth_place="0608",
                          birth_city="ORAN (1)", parents=[("MORVANE!", "JEANNOT?")], postal_code="06000X")
    errors = calp.validate_civil_status(cs, TODAY)
    assert len(errors) >= 6
    for e in errors:
        for data in ("MORVAN", "DANIEL", "JEAN", "2030", "99352", "0608", "ORAN", "06000"):
            assert data not in e.message and data not in str(e)
    named = calp.validate_civil_status(morvan(family_name="MORVAN7"), TODAY)
    assert len(named) == 1
    assert named[0].message == ("family name character 7 is a digit; only letters, spaces, hyphens and "
                                "apostrophes are allowed")


# -- normalize_name ---------------------------------------------------------------------

@pytest.mark.parametrize("typed, normal", [
    ("  jean   pierre ", "JEAN PIERRE"), ("Éloïse", "ÉLOÏSE"), ("éloïse", "ÉLOÏSE"), ("morvan", "MORVAN"),
    ("n’diaye", "N’DIAYE"), ("saint-exupéry", "SAINT-EXUPÉRY"), ("jean\tpierre\r\n", "JEAN PIERRE"),
    ("jean\u00a0pierre\u202f", "JEAN PIERRE"), ("œuvre", "ŒUVRE"), ("ελένη", "ΕΛΈΝΗ"), ("李小龙", "李小龙"),
    ("nguyễn", "NGUYỄN"), ("jean\x85pierre", "JEAN PIERRE"), ("jean\u2028\u2029pierre", "JEAN PIERRE"),
    ("", ""), (" \t ", ""), ("E\u0301loi\u0308se", "ÉLOÏSE"), ("e\u0301", "\u00c9"), ("\u01f0", "\u01f0"),
    ("Strauß", "STRAUSS"), ("STRAUẞ", "STRAUSS"), ("jean2", "JEAN2"), ("-jean", "-JEAN"),
])
def test_r15_normalize_name(typed: str, normal: str) -> None:
    assert calp.normalize_name(typed) == normal
    assert calp.normalize_name(normal) == normal
    assert calp.normalize_name(name=typed.encode()) == normal


def test_r15_normalized_names_compare_and_pass_validation() -> None:
    assert calp.normalize_name("  Jean-Éloi ") == calp.normalize_name("JEAN-E\u0301LOI")
    assert calp.normalize_name("j\u030c") == calp.normalize_name("\u01f0")
    cs = morvan(family_name=calp.normalize_name("  de   la fontaine "),
                given_names=calp.normalize_name("jean-e\u0301loi\tmarie "))
    assert (cs.family_name, cs.given_names) == ("DE LA FONTAINE", "JEAN-ÉLOI MARIE")
    assert outcome(cs) == []


@pytest.mark.parametrize("bad", ["MOR\x01VAN", "MOR\x00VAN", "MOR\x1b[31mVAN", "MOR\x7fVAN", "a" * 4097,
                                 b"MOR\xc3", b"\xc0\x80", b"\xed\xa0\x80", b"\xff", b"MOR\x01VAN"])
def test_r15_normalize_name_refuses_malformed_utf8_controls_and_huge_input(bad: str | bytes) -> None:
    with pytest.raises(calp.InvalidCivilStatus) as caught:
        calp.normalize_name(bad)
    assert caught.value.code == "calp.civil_status.name"
    assert caught.value.field == ""
    assert "MOR" not in caught.value.message
    assert calp.normalize_name("a" * 4096) == "A" * 4096
    with pytest.raises(TypeError):
        calp.normalize_name(None)  # type: ignore[arg-type]


# -- NIR consistency ----------------------------------------------------------------------

def nir_of(body13: str, lenient: bool = False) -> calp.Nir:
    key = calp.Nir.compute_key(body13)
    return calp.Nir.parse(f"{body13}{key:02d}", lenient=lenient)


GREEK_NIR = "295109912611193"


def test_r3_the_nir_of_a_woman_born_in_greece_matches_her_civil_status() -> None:
    n = calp.Nir.parse(GREEK_NIR)
    assert calp.nir_consistency(n, born_in_greece()) == []
    assert calp.nir_consistency(nir=n, cs=born_in_greece(birth_date=datetime.date(1895, 10, 1))) == []


def test_r3_sex_year_and_month() -> None:
    n = calp.Nir.parse(GREEK_NIR)
    assert calp.nir_consistency(n, born_in_greece(gender="male")) == ["sex"]
    man = nir_of("1951099126111")
    assert calp.nir_consistency(man, born_in_greece(gender="male")) == []
    assert calp.nir_consistency(man, born_in_greece()) == ["sex"]
    for sex in "3478":
        lenient = nir_of(sex + "951099126111", lenient=True)
        assert calp.nir_consistency(lenient, born_in_greece(gender="male")) == []
        assert calp.nir_consistency(lenient, born_in_greece(gender="female")) == []
    assert calp.nir_consistency(n, born_in_greece(birth_date=datetime.date(1996, 10, 21))) == ["birth_year"]
    year00 = nir_of("2001099126111")
    assert calp.nir_consistency(year00, born_in_greece(birth_date=datetime.date(2000, 10, 1))) == []
    assert calp.nir_consistency(year00, born_in_greece(birth_date=datetime.date(1900, 10, 1))) == []
    assert calp.nir_consistency(year00, born_in_greece(birth_date=datetime.date(2001, 10, 1))) == ["birth_year"]
    november = born_in_greece(birth_date=datetime.date(1995, 11, 21))
    assert calp.nir_consistency(n, november) == ["birth_month"]
    for month in ("20", "30", "31", "40", "42", "50", "99"):
        assert calp.nir_consistency(nir_of("295" + month + "99126111"), november) == [], month


def test_r3_born_abroad_born_in_france_and_the_departments_of_north_africa() -> None:
    assert calp.nir_consistency(calp.Nir.parse(GREEK_NIR), born_in_greece(
        birth_country="99100", birth_place="06088", birth_city="")) == ["born_abroad"]
    corsica = calp.Nir.parse("253072B07300470")
    assert calp.nir_consistency(corsica, born_in_nice(birth_date=datetime.date(1953, 7, 14),
                                                      birth_place="2B073")) == []
    assert calp.nir_consistency(corsica, born_in_nice(birth_date=datetime.date(1953, 7, 14),
                                                      birth_country="99126", birth_place="")) == ["born_in_france"]
    for dept in ("91", "92", "93", "94"):
        n = nir_of("15504" + dept + "352001")
        assert calp.nir_consistency(n, morvan(birth_date=datetime.date(1955, 4, 1))) == []
        assert calp.nir_consistency(n, morvan(birth_date=datetime.date(1955, 4, 1), birth_country="99350")) == [
            "born_in_france"]
    assert calp.nir_consistency(nir_of("1550495352001"),
                                morvan(birth_date=datetime.date(1955, 4, 1), birth_country="99350")) == []
    assert calp.nir_consistency(nir_of("1550496352001"),
                                morvan(birth_date=datetime.date(1955, 4, 1), birth_country="99351")) == []
    assert calp.nir_consistency(nir_of("1620999352001"), morvan()) == []
    # An invalid country compares nothing about the place.
    assert calp.nir_consistency(corsica, born_in_greece(birth_country="", birth_date=datetime.date(1953, 7, 1))) == []


def test_r3_every_mismatch_in_order_with_a_french_reason() -> None:
    cs = born_in_greece(gender="male", birth_date=datetime.date(1994, 3, 1), birth_country="99100")
    assert calp.nir_consistency(calp.Nir.parse(GREEK_NIR), cs) == ["sex", "birth_year", "birth_month", "born_abroad"]
    cs = born_in_greece(gender="male", birth_date=datetime.date(1994, 3, 1))
    assert calp.nir_consistency(calp.Nir.parse("253072B07300470"), cs) == [
        "sex", "birth_year", "birth_month", "born_in_france"]
    reasons = []
    for name in ("sex", "birth_year", "birth_month", "born_abroad", "born_in_france"):
        reason = calp.french_reason(name)
        assert reason.startswith("L") and reason.endswith(".") and "NIR" in reason
        assert french_problems(reason) == [], reason
        assert reason not in reasons
        reasons.append(reason)
    assert calp.french_reason(mismatch="sex") == "Le sexe indiqué par le NIR ne correspond pas à la civilité déclarée."
    for bad in ("", "unknown", "SEX"):
        with pytest.raises(ValueError, match="mismatch must be one of 'sex', 'birth_year'"):
            calp.french_reason(bad)
    with pytest.raises(TypeError):
        calp.nir_consistency(GREEK_NIR, born_in_greece())  # type: ignore[arg-type]


# -- French messages of errors ------------------------------------------------------------

def say(code: str, field: str) -> str:
    return calp.french_message(calp.Error("developer message", code, field))


def test_r15_each_error_of_a_declaration_has_a_french_sentence() -> None:
    assert say("calp.civil_status.name", "family_name") == (
        "Le nom de naissance ne doit contenir que des lettres, des espaces, des traits d'union et "
        "des apostrophes\u00a0; il doit commencer et finir par une lettre.")
    assert say("calp.civil_status.name", "given_names").endswith(
        "apostrophes\u00a0; ils doivent commencer et finir par une lettre.")
    assert say("calp.civil_status.name", "given_names").startswith("Les prénoms ne doivent contenir")
    assert say("calp.civil_status.name", "parents[1].family_name").startswith("Le nom de naissance du parent 2 ne doit")
    assert say("calp.civil_status.name", "parents[0].given_names").startswith("Les prénoms du parent 1")
    assert say("calp.civil_status.date", "birth_date") == (
        "La date de naissance doit être une date valide, comprise entre 1900 et aujourd'hui.")
    assert say("calp.civil_status.parents", "parents") == (
        "Les noms de naissance et prénoms des deux parents sont obligatoires lorsque vous êtes né(e) à l'étranger.")
    assert say("calp.civil_status.parents", "parents[1].given_names").startswith(
        "Les noms de naissance et prénoms des deux parents sont obligatoires")
    assert say("calp.civil_status.postal_code", "postal_code") == (
        "Le code postal du lieu de résidence doit comporter 5 chiffres.")
    assert say("calp.civil_status.birth_place", "birth_place") == "La commune de naissance est manquante ou incorrecte."
    assert say("calp.civil_status.birth_place", "birth_country") == "Le pays de naissance est manquant ou incorrect."
    assert say("calp.nir.key", "nir").startswith("Le numéro de sécurité sociale n'est pas valide")
    # The errors validate_civil_status returns, and one raised by Nir.parse, as they are.
    cs = calp.CivilStatus(family_name="D4VID", given_names="", gender="male", birth_date=datetime.date(1980, 1, 1),
                          birth_country="99352", postal_code="7")
    errors = calp.validate_civil_status(cs, datetime.date(2026, 11, 28))
    assert errors
    for e in errors:
        text = calp.french_message(e)
        assert text and "D4VID" not in text
        assert french_problems(text) == [], text
    with pytest.raises(calp.InvalidNir) as caught:
        calp.Nir.parse("284052A32102553")
    assert calp.french_message(error=caught.value) == (
        "Ce champ n'est pas valide. Veuillez vérifier les 15 caractères du numéro inscrit sur votre carte Vitale.")


def test_r4_every_civil_status_and_nir_error_has_a_french_message_in_the_conventions() -> None:
    codes = [c for c in calp.error_codes() if c.startswith(("calp.civil_status.", "calp.nir."))]
    assert len(codes) >= 12
    fields = ["family_name", "given_names", "birth_date", "birth_country", "birth_place", "birth_city", "parents",
              "parents[0].family_name", "parents[1].given_names", "postal_code", "nir", "", "unheard_of"]
    for code in codes:
        for field in fields:
            message = say(code, field)
            assert french_problems(message) == [], (code, field, message)
            assert "developer message" not in message


def test_french_message_refuses_what_is_not_a_calp_error_with_a_known_code() -> None:
    with pytest.raises(ValueError, match="unknown error code `calp.nope`"):
        say("calp.nope", "family_name")
    with pytest.raises(ValueError):
        say("", "")
    with pytest.raises(TypeError):
        calp.french_message(ValueError("calp.civil_status.name"))  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        calp.french_message(42)  # type: ignore[call-overload]
    bad = calp.Error("m", "calp.civil_status.name", "family_name")
    bad.field = None  # type: ignore[assignment]
    with pytest.raises(TypeError, match="must be str"):
        calp.french_message(bad)


# -- passwords ----------------------------------------------------------------------------

GOOD = "Tq7vLm2pX"


def check(password: str | bytes, personal: calp.PasswordPersonalData | None = None,
          policy: calp.PasswordPolicy | None = None) -> calp.PasswordCheck:
    return calp.check_password(policy or calp.PasswordPolicy(), password, password, personal)


def test_r12_a_password_meeting_every_rule_is_valid() -> None:
    for password in (GOOD, GOOD.encode()):
        c = check(password)
        assert (c.valid, c.length, c.digit, c.lower, c.upper, c.confirmation) == (True,) * 6
        assert c.refusals == [] and c.code_points == 9
    assert isinstance(c, calp.PasswordCheck)
    c = calp.check_password(policy=calp.PasswordPolicy(), password=GOOD, confirmation=GOOD.encode(), personal=None)
    assert c.valid


def test_r12_each_missing_kind_fails_its_own_rule_and_empty_fails_all() -> None:
    c = check("TqxvLmwpX")
    assert not c.valid and not c.digit and c.length and c.lower and c.upper
    c = check("TQ7VLM2PX")
    assert not c.lower and c.digit and c.upper
    c = check("tq7vlm2px")
    assert not c.upper and c.digit and c.lower
    for empty in ("", b""):
        c = check(empty)
        assert not (c.valid or c.length or c.digit or c.lower or c.upper)
        assert c.confirmation and c.code_points == 0


def test_r12_french_letters_count_and_lengths_are_code_points() -> None:
    for lower in "éèêëàâäîïôöùûüÿçæœ":
        assert check("QWRTZ12" + lower).valid, lower
    for upper in "ÉÈÊËÀÂÄÎÏÔÖÙÛÜŸÇÆŒ":
        assert check("qwrtz12" + upper).valid, upper
    c = check("QWRTZ12Ωя")
    assert c.code_points == 9 and c.length and not c.lower
    seven = "Éé1Àà" + "ç" * 2
    assert (check(seven).code_points, check(seven).length) == (7, False)
    assert check(seven + "ô").valid
    twenty_four = "Éé1" + "àÇ" * 10 + "ô"
    assert check(twenty_four).valid and check(twenty_four).code_points == 24
    c = check(twenty_four + "€")
    assert c.code_points == 25 and not c.length and not c.valid
    assert check("Ab1" + "😀" * 5).code_points == 8
    # Oversized: still answered, the length rule false.
    c = check("Ab1" + "x" * 100_000)
    assert c.code_points == 100_003 and not c.length and not c.valid


@pytest.mark.parametrize("bad", [b"Abcdef1\xc0\xaf", b"Abcdef1\xe0\x80\xaf", b"Abcdef1\xed\xa0\x80",
                                 b"Abcdef1\xf4\x90\x80\x80", b"Abcdef1\xc3", b"Abcdef1\xe2\x82xyz",
                                 b"Abcdef1\x80xyz", b"Abcdef1\xffxyz"])
def test_r12_invalid_utf8_bytes_are_refused_and_the_other_rules_read_false(bad: bytes) -> None:
    c = check(bad)
    assert not c.valid
    assert c.refusals == ["invalid_utf8"]
    assert not (c.length or c.digit or c.lower or c.upper)
    assert c.code_points == 0 and c.confirmation
    assert not calp.is_common_password(bad)


def test_r12_a_str_with_a_lone_surrogate_cannot_become_a_password() -> None:
    with pytest.raises(UnicodeEncodeError):
        check("Abcdef1\ud800")


def test_r12_control_characters_are_refused_and_the_confirmation_is_byte_for_byte() -> None:
    for bad in ("Tq7v\tLm2pX", "Tq7v\nLm2pX", "Tq7v\x00Lm2pX", "Tq7v\x1fLm2pX", "Tq7v\x7fLm2pX", "Tq7v\x85Lm2pX",
                "Tq7v\x9fLm2pX"):
        c = check(bad)
        assert c.refusals == ["control_character"] and not c.valid
        assert c.length and c.digit and c.lower and c.upper and c.confirmation and c.code_points == 10
    assert check("Tq7v\u00a0Lm2pX").valid
    assert not calp.check_password(calp.PasswordPolicy(), b"Abcdef1\xc3", b"Abcdef1\xc4").confirmation
    for other in ("Tq7vLm2pY", GOOD + " ", "", b"Tq7vLm2pY"):
        c = calp.check_password(calp.PasswordPolicy(), GOOD, other)
        assert not c.confirmation and not c.valid and c.refusals == []
    assert not calp.check_password(calp.PasswordPolicy(), "Tq7vLm2pé", "Tq7vLm2pe\u0301").confirmation
    with pytest.raises(TypeError):
        calp.check_password(calp.PasswordPolicy(), 12345678, 12345678)  # type: ignore[arg-type]


def test_r12_personal_data_nir_birth_date_and_names() -> None:
    nir = calp.Nir.parse("284052A32102552")
    p = calp.PasswordPersonalData(nir=nir)
    for pw in ("284052A32102552Zz", "Zz284052a321025", "2 84 05 2A 321 025 Zz", "Zz2.84.05.2a.321.025",
               "Zz284-05-2A-321-025-52"):
        assert "contains_nir" in check(pw, p).refusals, pw
    assert check("Zz2840521xx", p).valid
    assert check("Zz284052a321025").valid
    assert check("Zz284052a321025", p, calp.PasswordPolicy(refuse_personal_data=False)).valid

    born = calp.PasswordPersonalData(birth_date=datetime.date(1985, 3, 12))
    for pw in ("Zq12031985", "Zq12/03/1985", "Zq1985-03-12", "Zq19850312", "Zq120385", "Zq12/03/85",
               "Zq1231985", "Zq03121985", "Zq 12 03 1985"):
        assert check(pw, born).refusals == ["contains_birth_date"], pw
    assert check("Zq1985wxy", born).valid and check("Zq1203wxy", born).valid

    names_only = calp.PasswordPolicy(refuse_common=False)
    named = calp.PasswordPersonalData(names=["Dupont-Martin", "Élodie", "Li"])
    for pw in ("Elodie2024!", "xxÉLODIE9a", "elodié77Q", "Dupont1234x", "9xMARTINx", "DupontMartin7", "Zélodie5ab"):
        assert check(pw, named, names_only).refusals == ["contains_name"], pw
    assert check("Lima1234Zz", named, names_only).valid
    ligature = calp.PasswordPersonalData(names=["Lœuvre"])
    assert "contains_name" in check("LOEUVRE12x", ligature, names_only).refusals

    everything = calp.PasswordPersonalData(birth_date=datetime.date(1985, 3, 12), names=["Soleil"])
    assert check("Soleil12031985\x01", everything).refusals == [
        "control_character", "common", "contains_birth_date", "contains_name"]


def test_r12_personal_data_is_a_value_whose_repr_holds_none_of_it() -> None:
    p = calp.PasswordPersonalData()
    assert (p.nir, p.birth_date, p.names) == (None, None, [])
    assert repr(p) == "PasswordPersonalData(nir=None, birth_date=None, names=<0>)"
    p.nir = calp.Nir.parse("284052A32102552")
    p.birth_date = datetime.date(1985, 3, 12)
    p.names = ["Dupont", "Élodie"]
    assert p.names == ["Dupont", "Élodie"] and p.birth_date == datetime.date(1985, 3, 12)
    shown = repr(p)
    assert shown == "PasswordPersonalData(nir=<given>, birth_date=<given>, names=<2>)"
    for data in ("284", "1985", "Dupont", "Élodie"):
        assert data not in shown
    with pytest.raises(TypeError):
        calp.PasswordPersonalData(nir="284052A32102552")  # type: ignore[arg-type]


def test_r12_common_passwords_and_configured_policies() -> None:
    for pw in ("Azertyuiop1", "AZERTY123", "Azerty123!", "Marseille13", "MotDePasse1", "Soleil2024!", "Jetaime123",
               "!!Doudou2024", "Loulou75*", "Chouchou1", "Nicolas1990", "Password1", "Bonjour2024", "Chocolat1"):
        assert check(pw).refusals == ["common"], pw
        assert calp.is_common_password(pw) and calp.is_common_password(pw.encode())
    for pw in ("Paris2024!", GOOD, "", "12345678", " ", "\U0010ffff"):
        assert not calp.is_common_password(password=pw), pw
    assert check("Azerty123!", None, calp.PasswordPolicy(refuse_common=False)).valid
    assert not check(GOOD, None, calp.PasswordPolicy(min_length=12)).valid
    assert check("Tq7vLm2pXw8k", None, calp.PasswordPolicy(min_length=12)).valid
    c = check("tqxvlmwpx", None, calp.PasswordPolicy(require_digit=False, require_upper=False))
    assert c.digit and c.upper and c.valid
    assert not check(GOOD, None, calp.PasswordPolicy(min_length=20, max_length=10)).valid


def test_r12_every_refusal_has_a_french_message_in_the_conventions() -> None:
    names = ["invalid_utf8", "control_character", "common", "contains_nir", "contains_birth_date", "contains_name"]
    messages = set()
    for name in names:
        message = calp.french_message(name)
        assert "mot de passe" in message and message.endswith(".")
        assert french_problems(message) == [], message
        messages.add(message)
    assert len(messages) == len(names)
    assert calp.french_message(refusal="common") == (
        "Ce mot de passe est trop courant\u00a0: il serait facile à deviner. Veuillez en choisir un autre.")
    assert calp.french_message("contains_name") == "Votre mot de passe ne doit contenir ni votre nom ni votre prénom."
    # The names PasswordCheck gives are the names french_message takes.
    for r in check("Soleil12031985\x01", calp.PasswordPersonalData(birth_date=datetime.date(1985, 3, 12))).refusals:
        assert calp.french_message(r) in messages
    for bad in ("", "unknown", "COMMON"):
        with pytest.raises(ValueError, match="password refusal must be one of 'invalid_utf8'"):
            calp.french_message(bad)
    with pytest.raises(TypeError):
        calp.french_message(b"common")  # type: ignore[call-overload]


# -- contact points -----------------------------------------------------------------------

@pytest.mark.parametrize("typed, e164", [
    ("06 12 15 45 45", "+33612154545"), ("06.12.15.45.45", "+33612154545"), ("06-12-15-45-45", "+33612154545"),
    ("+33 6 12 15 45 45", "+33612154545"), ("0033612154545", "+33612154545"), ("07 11 22 33 44", "+33711223344"),
    ("0690 12 34 56", "+590690123456"), ("+590 690 12 34 56", "+590690123456"), ("0694 12 34 56", "+594694123456"),
    ("0696 12 34 56", "+596696123456"), ("0697 12 34 56", "+596697123456"), ("0692 12 34 56", "+262692123456"),
    ("0639 12 34 56", "+262639123456"), ("00262692123456", "+262692123456"), ("+33 6 90 12 34 56", "+590690123456"),
    ("0033 639 12 34 56", "+262639123456"), ("06 40 12 34 56", "+33640123456"),
])
def test_r13_a_mobile_number_in_every_usual_form(typed: str, e164: str) -> None:
    assert calp.parse_mobile(typed) == e164
    assert calp.parse_contact("mobile", typed) == e164
    assert calp.parse_mobile(typed=typed.encode()) == e164


@pytest.mark.parametrize("typed", [
    "01 23 45 67 89", "08 00 12 34 56", "+33 1 23 45 67 89", "06 12 15 45 4", "061215454545", "6 12 15 45 45",
    "+33 06 12 15 45 45", "+44 7911 123456", "+590 612154545", "+262 690 12 34 56", "O6 12 15 45 45",
    "tel 0612154545", "++33 6 12 15 45 45", "", " ", "+", "...", "06/12/15/45/45", "(06) 12 15 45 45",
    "06\t12 15 45 45", "06 12 15 45 45\n", " " * 195 + "0612154545" + " " * 195,
    "\uff10\uff16\uff11\uff12\uff11\uff15\uff14\uff15\uff14\uff15", "٠٦١٢١٥٤٥٤٥", "06\u00a012 15 45 45",
    b"06\xff12154545",
])
def test_r13_what_is_not_a_french_mobile_is_refused_without_being_quoted(typed: str | bytes) -> None:
    for parse in (calp.parse_mobile, lambda t: calp.parse_contact("mobile", t)):
        with pytest.raises(calp.InvalidContact) as caught:
            parse(typed)
        assert caught.value.code == "calp.contact.mobile"
        assert caught.value.message
        if isinstance(typed, str) and len(typed) >= 3:
            assert typed not in caught.value.message
    with pytest.raises(calp.InvalidContact) as caught:
        calp.parse_mobile("01 99 88 77 66")
    assert "99" not in caught.value.message and "0199887766" not in caught.value.message


def test_r13_an_email_address_is_trimmed_its_domain_lowered() -> None:
    assert calp.parse_email("dupont@test.fr") == "dupont@test.fr"
    assert calp.parse_email("Jean.Dupont@Test.FR") == "Jean.Dupont@test.fr"
    assert calp.parse_email("  dupont@test.fr\t ") == "dupont@test.fr"
    assert calp.parse_email("x_y{z}!#$%&*/=?^`|~@test.fr") == "x_y{z}!#$%&*/=?^`|~@test.fr"
    assert calp.parse_contact(kind="email", typed=" A@B.FR ") == "A@b.fr"
    local64, label63 = "a" * 64, "b" * 63
    at254 = f"{local64}@{label63}.{label63}.{'c' * 61}"
    assert len(at254) == 254 and calp.parse_email(at254) == at254
    assert calp.parse_email(local64 + "@test.fr") == local64 + "@test.fr"


@pytest.mark.parametrize("typed", [
    "", "   ", "dupont.test.fr", "@", "dupont@@test.fr", "a@b@c.fr", "@test.fr", "a" * 65 + "@test.fr",
    f"{'a' * 64}@{'b' * 63}.{'b' * 63}.{'c' * 62}", "a" * 300 + "@test.fr", "jean dupont@test.fr",
    "\"dupont\"@test.fr", "du\\pont@test.fr", "<dupont@test.fr>", "du;pont@test.fr", "du\x01pont@test.fr",
    "dupont@test.fr\n", "du\x00pont@test.fr", "dupont@-test.fr", "dupont@test..fr", "dupont@localhost",
    "dupont@" + "b" * 64 + ".fr", ".dupont@test.fr", "dupont@[127.0.0.1]", "andré@test.fr",
    "dupont@caf-réunion.fr", "dupont\u200b@test.fr", b"dupont\xff@test.fr",
])
def test_r13_an_address_calp_would_not_send_to_is_refused(typed: str | bytes) -> None:
    for parse in (calp.parse_email, lambda t: calp.parse_contact("email", t)):
        with pytest.raises(calp.InvalidContact) as caught:
            parse(typed)
        assert caught.value.code == "calp.contact.email"
    with pytest.raises(calp.InvalidContact) as caught:
        calp.parse_email("secret.name@@example.fr")
    assert "secret" not in caught.value.message and "example" not in caught.value.message


def test_r13_parse_contact_takes_a_kind_name() -> None:
    with pytest.raises(ValueError, match="contact kind must be one of 'mobile', 'email'"):
        calp.parse_contact("sms", "06 12 15 45 45")


def test_r13_masked_and_national_mobile() -> None:
    def masked(kind: str, value: str) -> str:
        return calp.masked(calp.ContactPoint(kind, value))

    assert masked("mobile", "+33612154545") == "06 ** ** ** 45"
    assert masked("mobile", "+33711223344") == "07 ** ** ** 44"
    assert masked("mobile", "+590690123456") == "06 ** ** ** 56"
    assert masked("mobile", "+262639123456") == "06 ** ** ** 56"
    for not_a_number in ("", "not a number", "+4479111234567"):
        assert masked("mobile", not_a_number) == "**"
    assert masked("email", "dupont@test.fr") == "d***@test.fr"
    assert calp.masked(contact=calp.ContactPoint("email", "Jean.Dupont@caf.fr")) == "J***@caf.fr"
    for not_an_address in ("no-at-sign", "@test.fr", ""):
        assert masked("email", not_an_address) == "***"
    assert masked("email", "élodie@test.fr") == "é***@test.fr"  # a character, not a byte

    for e164, national in (("+33612154545", "06 12 15 45 45"), ("+33711223344", "07 11 22 33 44"),
                           ("+590690123456", "06 90 12 34 56"), ("+594694123456", "06 94 12 34 56"),
                           ("+596696123456", "06 96 12 34 56"), ("+262692123456", "06 92 12 34 56"),
                           ("+262639123456", "06 39 12 34 56")):
        assert calp.national_mobile(e164) == national
    assert calp.national_mobile(e164=calp.parse_mobile("0033 6 12 15 45 45")) == "06 12 15 45 45"
    for unchanged in ("", "0612154545", "+4479111234567", "+590612154545", "+33a12154545", "+3361215454", "é"):
        assert calp.national_mobile(unchanged) == unchanged
    with pytest.raises(TypeError):
        calp.national_mobile(b"+33612154545")  # type: ignore[arg-type]


# -- notices a host sends itself -----------------------------------------------------------

WINTER = datetime.datetime(2026, 11, 28, 11, 27, tzinfo=UTC)
SUMMER = datetime.datetime(2026, 7, 14, 7, 5, tzinfo=UTC)
EXPIRES = datetime.datetime(2026, 12, 12, 22, 59, tzinfo=UTC)
EXPIRY = "jusqu'au 12/12/2026 à 23 h 59 (heure de Paris)"
CODE = "K7PX-92QD"


def test_dates_and_paris_times_as_the_notices_show_them() -> None:
    assert calp.format_french_date(datetime.date(2026, 1, 15)) == "15/01/2026"
    assert calp.format_french_date(date=datetime.date(2027, 11, 3)) == "03/11/2027"
    assert calp.format_paris_time(WINTER) == "28/11/2026 à 12 h 27 (heure de Paris)"
    assert calp.format_paris_time(instant=SUMMER) == "14/07/2026 à 9 h 05 (heure de Paris)"
    assert calp.format_paris_time(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == (
        "01/01/2027 à 0 h 30 (heure de Paris)")
    spring = datetime.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert calp.format_paris_time(spring - datetime.timedelta(seconds=1)) == "29/03/2026 à 1 h 59 (heure de Paris)"
    assert calp.format_paris_time(spring) == "29/03/2026 à 3 h 00 (heure de Paris)"
    autumn = datetime.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert calp.format_paris_time(autumn - datetime.timedelta(seconds=1)) == "25/10/2026 à 2 h 59 (heure de Paris)"
    assert calp.format_paris_time(autumn) == "25/10/2026 à 2 h 00 (heure de Paris)"
    # Another zone: the same instant.
    paris_summer = datetime.timezone(datetime.timedelta(hours=2))
    assert calp.format_paris_time(SUMMER.astimezone(paris_summer)) == "14/07/2026 à 9 h 05 (heure de Paris)"
    with pytest.raises(ValueError, match="naive datetime"):
        calp.format_paris_time(datetime.datetime(2026, 11, 28, 11, 27))
    with pytest.raises(TypeError):
        calp.format_french_date(WINTER)  # type: ignore[arg-type]


def test_r11_the_activation_letter_carries_the_code_and_its_expiry() -> None:
    for code in (CODE, CODE.encode()):
        letter = calp.activation_letter_text(code, EXPIRES)
        assert letter.startswith("Madame, Monsieur,\n\n")
        assert "Code d'activation\u00a0: K7PX-92QD\n" in letter
        assert EXPIRY in letter
        assert letter.endswith("Votre caisse d'Allocations familiales")
        assert calp.EMAIL_FOOTER not in letter
        assert french_problems(letter, multiline=True) == [], letter
    assert calp.activation_letter_text(code=CODE, expires_at=SUMMER) != letter
    for when in (WINTER, SUMMER):
        assert french_problems(calp.activation_letter_text(CODE, when), multiline=True) == []


def test_r11_the_activation_code_by_sms_and_by_mail() -> None:
    sms = calp.activation_code_sms("+33612151545", CODE, EXPIRES)
    assert isinstance(sms, calp.SmsNotice)
    assert (sms.kind, sms.carries_secret, sms.to) == ("activation_code", True, "+33612151545")
    assert CODE in sms.text and EXPIRY in sms.text
    assert french_problems(sms.text, sms=True, multiline=True) == [], sms.text
    assert CODE not in repr(sms)
    mail = calp.activation_code_email(to="d@test.fr", code=CODE.encode(), expires_at=EXPIRES)
    assert isinstance(mail, calp.EmailNotice)
    assert (mail.kind, mail.carries_secret, mail.to) == ("activation_code", True, "d@test.fr")
    assert mail.subject == "Votre code d'activation"
    assert CODE in mail.text and EXPIRY in mail.text
    assert mail.text.startswith("Bonjour,\n\n") and mail.text.endswith(calp.EMAIL_FOOTER)
    assert french_problems(mail.text, multiline=True) == [], mail.text
    assert CODE not in repr(mail)


def test_the_email_footer_is_the_cafs_verbatim() -> None:
    assert calp.EMAIL_FOOTER == (
        "Votre Caf vous recommande de ne pas cliquer sur les liens contenus dans les courriels. "
        "Ils peuvent diriger vers des sites frauduleux. Il est préférable de saisir directement "
        "l'adresse du site dans votre navigateur.")
    assert french_problems(calp.EMAIL_FOOTER) == []


def test_a_code_that_is_not_utf8_is_refused_without_being_quoted() -> None:
    for render in (lambda c: calp.activation_letter_text(c, EXPIRES),
                   lambda c: calp.activation_code_sms("+33612151545", c, EXPIRES),
                   lambda c: calp.activation_code_email("d@test.fr", c, EXPIRES)):
        for bad in (b"K7PX\xff92QD", b"K7PX-92Q\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"):
            with pytest.raises(ValueError, match="^code is not valid UTF-8$"):
                render(bad)
    # Well-formed UTF-8 bytes beyond ASCII are printed as they are.
    assert "K7PX-92QÉ" in calp.activation_letter_text("K7PX-92QÉ".encode(), EXPIRES)
    assert "K7PX-92QÉ" in calp.activation_code_sms("+33612151545", "K7PX-92QÉ".encode(), EXPIRES).text
    with pytest.raises(ValueError, match="naive datetime"):
        calp.activation_letter_text(CODE, datetime.datetime(2026, 12, 12))
    # An empty code is rendered as given: calp issues codes, the host only prints them.
    assert "Code d'activation\u00a0: \n" in calp.activation_letter_text("", EXPIRES)
