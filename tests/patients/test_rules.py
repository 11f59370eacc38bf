"""Pure rules about patients: R-ID2 (NIR), birth-date plausibility, accent folding."""

from datetime import date

import pytest

from kernel.text import fold
from patients.rules import (
    NirError,
    birth_date_is_plausible,
    has_short_year,
    name_search_words,
    nir_format,
    nir_normalize,
    nir_validate,
    parse_date,
    parse_month,
    patient_initial_from_search,
)
from patients.selectors import parse_french_date


def nir_key(first_13: str) -> str:
    """R-ID2 as REFERENCE.md states it: 97 - (13 digits mod 97), 2A read as 19 and 2B as 18."""
    digits = first_13[:5] + {"2A": "19", "2B": "18"}.get(first_13[5:7], first_13[5:7])
    digits += first_13[7:]
    return f"{97 - int(digits) % 97:02d}"


# Woman born in October 1995, abroad (99), the example of the format: key 93.
VALID_NIR = "295109912611193"
# Man born in January 1962 in Corse-du-Sud (2A): 1620119123004 mod 97 gives the key 93.
CORSE_DU_SUD_NIR = "162012A12300493"
# Same, in Haute-Corse (2B): 1620118123004 mod 97 gives the key 23.
HAUTE_CORSE_NIR = "162012B12300423"


@pytest.mark.parametrize("nir", [VALID_NIR, CORSE_DU_SUD_NIR, HAUTE_CORSE_NIR, "180017512345660"])
def test_a_nir_with_the_right_key_is_valid(nir):
    assert nir_key(nir[:13]) == nir[13:]
    assert nir_validate(nir) == nir


def test_corsican_keys_are_computed_with_19_for_2a_and_18_for_2b():
    assert nir_key("162012A123004") == "93"
    assert nir_key("162012B123004") == "23"
    # Reading the département as 20 would give another key, which is refused.
    naive = f"{97 - int('1620120123004') % 97:02d}"
    assert naive not in ("93", "23")
    for body in ("162012A123004", "162012B123004"):
        with pytest.raises(NirError) as exc:
            nir_validate(body + naive)
        assert exc.value.reason == "key"


@pytest.mark.parametrize(
    "nir",
    [
        "295109912611194",  # key off by one
        "295109912611100",
        "162012A12300423",  # the 2B key on a 2A number
        "162012B12300493",  # the 2A key on a 2B number
        "195109912611193",  # sex changed: the key no longer matches
    ],
)
def test_a_nir_with_a_wrong_key_is_refused_as_a_key_error(nir):
    with pytest.raises(NirError) as exc:
        nir_validate(nir)
    assert exc.value.reason == "key"


@pytest.mark.parametrize(
    "nir",
    [
        "29510991261119",  # 14 characters
        "2951099126111930",  # 16 characters
        "2951099126111AB",  # letters in the key
        "162012C12300493",  # 2C is not a département
        "1620A2012300493",  # a letter elsewhere than the département
        "",
        "abc",
    ],
)
def test_a_malformed_nir_is_refused_as_a_format_error(nir):
    with pytest.raises(NirError) as exc:
        nir_validate(nir)
    assert exc.value.reason == "format"


def test_a_nir_typed_with_spaces_dots_or_lower_case_is_compacted():
    assert nir_validate("2 95 10 99 126 111 93") == VALID_NIR
    assert nir_validate("1.62.01.2a.123.004.93") == CORSE_DU_SUD_NIR
    assert nir_normalize(" 1 62 01 2b 123 004 23 ") == HAUTE_CORSE_NIR


def test_a_nir_is_shown_grouped():
    assert nir_format(VALID_NIR) == "2 95 10 99 126 111 93"


def test_a_birth_date_between_1900_and_today_is_plausible():
    today = date(2026, 5, 4)
    assert birth_date_is_plausible(date(1900, 1, 1), today=today)
    assert birth_date_is_plausible(date(1956, 3, 12), today=today)
    assert birth_date_is_plausible(today, today=today)


def test_a_birth_date_in_the_future_or_before_1900_is_not_plausible():
    today = date(2026, 5, 4)
    assert not birth_date_is_plausible(date(2026, 5, 5), today=today)
    assert not birth_date_is_plausible(date(1899, 12, 31), today=today)


def test_fold_ignores_case_and_accents():
    assert fold("Hélène") == "helene"
    assert fold("ÉLODIE Maëlle") == "elodie maelle"
    assert fold("João Çelik") == "joao celik"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/03/1956", date(1956, 3, 12)),
        ("12-03-1956", date(1956, 3, 12)),
        ("12.03.1956", date(1956, 3, 12)),
        ("1956-03-12", date(1956, 3, 12)),
        ("1/2/1956", date(1956, 2, 1)),
        ("31/02/1956", None),
        ("12/03/56", None),
        ("dupont", None),
        ("12/03", None),
    ],
)
def test_french_dates_are_read_day_first(text, expected):
    assert parse_french_date(text) == expected


# --- Dates and names as typed -------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["14/5/61", "14/05/61", "1-2-3", "01.01.001"])
def test_a_year_typed_on_fewer_than_four_digits_is_recognised(typed):
    assert has_short_year(typed)


@pytest.mark.parametrize("typed", ["14/05/1961", "1961-05-14", "14051961", "hello", "05/1961"])
def test_a_full_year_or_something_else_is_not_a_short_year(typed):
    assert not has_short_year(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/03/1956", date(1956, 3, 12)),
        ("12-3-1956", date(1956, 3, 12)),
        ("12.03.1956", date(1956, 3, 12)),
        ("12031956", date(1956, 3, 12)),
        ("1956-03-12", date(1956, 3, 12)),
        ("31/02/1956", None),
        ("12/03/56", None),
        ("dupont", None),
        ("123", None),
    ],
)
def test_a_date_is_read_with_or_without_separators(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("03/1956", (1956, 3)),
        ("3-1956", (1956, 3)),
        ("031956", (1956, 3)),
        ("13/1956", None),
        ("03/56", None),
        ("12/03/1956", None),
    ],
)
def test_a_month_of_a_year_is_read_for_the_search(typed, expected):
    assert parse_month(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jean pierre", ["jean", "pierre"]),
        ("Jean-Pierre", ["jean", "pierre"]),
        ("JEAN‑PIERRE", ["jean", "pierre"]),
        ("d'Artagnan", ["d", "artagnan"]),
        ("Hélène", ["helene"]),
    ],
)
def test_hyphens_spaces_case_and_accents_do_not_matter_in_a_name(typed, expected):
    assert name_search_words(typed) == expected


def test_a_search_that_found_nobody_starts_the_new_patients_form():
    assert patient_initial_from_search("dupont hélène 12/03/1956") == {
        "birth_name": "DUPONT",
        "first_names": "Hélène",
        "birth_date": date(1956, 3, 12),
    }
    assert patient_initial_from_search("03/1956 martin") == {"birth_name": "MARTIN"}
    assert patient_initial_from_search("") == {}


@pytest.mark.parametrize(
    "typed", ["²/1956", "12/²/1956", "１２/０３/１９５６", "٠٣/١٩٥٦", "99999999", "999999"]
)
def test_odd_digits_never_raise(typed):
    parse_date(typed)
    parse_month(typed)
    has_short_year(typed)
    patient_initial_from_search(typed)
