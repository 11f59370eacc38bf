"""Pure rules about practitioners (no ORM)."""

import re

# ASCII digits only, and no trailing newline (`$` and `\d` would let both through).
RPPS_RE = re.compile(r"[0-9]{11}")


def rpps_format_is_valid(rpps: str) -> bool:
    """R-ID1: an RPPS number is exactly 11 digits."""
    return bool(RPPS_RE.fullmatch(rpps))


def luhn_is_valid(number: str) -> bool:
    """Luhn check digit, as widely used on RPPS numbers.

    R-ID1: the Luhn check is not officially documented for RPPS, so a failure is only a
    warning that the user confirms, never a refusal.
    """
    if not (number.isascii() and number.isdigit()):
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0
