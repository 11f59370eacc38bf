"""Pure rules about practitioners (no ORM)."""

import re

from django.utils.translation import gettext_lazy as _

# Messages of the rules the database enforces too: each written once, here.
MSG_RPPS_FORMAT = _("Le numéro RPPS doit comporter exactement 11 chiffres.")
MSG_RPPS_DUPLICATE = _("Ce numéro RPPS est déjà utilisé par un autre compte.")
MSG_SPECIALTY_PHYSICIANS_ONLY = _("Seul un médecin a une spécialité.")

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
