"""R-ID1: the RPPS number (11 digits; Luhn is a warning, never a refusal)."""

import pytest

from practitioners.rules import luhn_is_valid, rpps_format_is_valid


@pytest.mark.parametrize("rpps", ["10001234565", "00000000000", "79927398713"])
def test_an_rpps_of_eleven_digits_has_a_valid_format(rpps):
    assert rpps_format_is_valid(rpps)


@pytest.mark.parametrize(
    "rpps",
    [
        "",
        "1000123456",  # 10 digits
        "100012345650",  # 12 digits
        "1000123456A",
        "1000 234565",
        "10001234565\n",
        "١٠٠٠١٢٣٤٥٦٥",  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_an_rpps_that_is_not_exactly_eleven_ascii_digits_has_an_invalid_format(rpps):
    assert not rpps_format_is_valid(rpps)


@pytest.mark.parametrize(
    "number",
    [
        "79927398713",  # the textbook Luhn example
        "10001234565",  # demo physician
        "10002345675",  # demo oncologist
        "10003456786",  # demo physiotherapist
        "0",
    ],
)
def test_luhn_accepts_numbers_with_a_correct_check_digit(number):
    assert luhn_is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "79927398710",
        "79927398711",
        "79927398719",
        "10001234566",  # the demo physician's number with its last digit changed
        "10001234556",  # two adjacent digits swapped: Luhn catches it
        "",
        "1000123456A",
        "²",  # a digit for str.isdigit(), but not for int()
        "١٨",  # Arabic-Indic digits
    ],
)
def test_luhn_refuses_numbers_with_a_wrong_check_digit_or_non_digits(number):
    assert not luhn_is_valid(number)


def test_luhn_doubles_every_second_digit_from_the_right():
    # 18 -> 1*2=2, 8 -> 2+8=10: valid; 81 -> 8*2=16 -> 7, 7+1=8: invalid.
    assert luhn_is_valid("18")
    assert not luhn_is_valid("81")
    # A doubled digit above 9 has 9 taken away: 5*2=10 -> 1, 1+9=10.
    assert luhn_is_valid("59")
