"""Pure rules about patients (no ORM)."""

import unicodedata
from datetime import date

from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import nir as stdnum_nir

OLDEST_BIRTH_DATE = date(1900, 1, 1)


class NirError(ValueError):
    """The NIR is malformed (`reason == "format"`) or its key is wrong (`reason == "key"`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nir_normalize(value: str) -> str:
    """Return the NIR without spaces or dots, upper-cased (2a -> 2A)."""
    return stdnum_nir.compact(value)


def nir_validate(value: str) -> str:
    """R-ID2: validate a NIR and return its compact form.

    15 characters = sex (1) + year (2) + month (2) + département (2, `2A`/`2B` for Corsica)
    + commune (3) + order (3) + key (2); key = 97 - (first 13 digits mod 97), with `2A` read as
    `19` and `2B` as `18`. python-stdnum implements exactly this.
    """
    try:
        return stdnum_nir.validate(value)
    except stdnum_exceptions.InvalidChecksum as exc:
        raise NirError("key") from exc
    except stdnum_exceptions.ValidationError as exc:
        raise NirError("format") from exc


def nir_format(value: str) -> str:
    """`295109912611193` -> `2 95 10 99 126 111 93`."""
    return stdnum_nir.format(value)


def fold(text: str) -> str:
    """Lower-case and strip accents, for accent-insensitive search (Hélène -> helene)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def birth_date_is_plausible(birth_date: date, *, today: date) -> bool:
    """A birth date is neither in the future nor before 1900."""
    return OLDEST_BIRTH_DATE <= birth_date <= today


# The eligibility situation « Autre facteur de risque (à préciser) » (R-E1, seeded by migration).
OTHER_RISK_FACTOR_CODE = "rf_other"


def other_risk_factor_is_missing(situation_codes, other_risk_factor: str) -> bool:
    """« Autre facteur de risque (à préciser) » is ticked but the factor is not named."""
    return OTHER_RISK_FACTOR_CODE in set(situation_codes) and not other_risk_factor.strip()
