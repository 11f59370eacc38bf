"""Pure rules about patients (no ORM)."""

from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import nir as stdnum_nir

from kernel.text import fold

OLDEST_BIRTH_DATE = date(1900, 1, 1)

# Messages of the rules the database enforces too: each written once, here (the services raise
# them with the same code as the constraints).
MSG_NIR_KEY = _(
    "La clé du NIR est incorrecte : vérifiez les 15 caractères (clé = 97 − reste de la "
    "division des 13 premiers chiffres par 97)."
)
MSG_NIR_FORMAT = _(
    "Le NIR doit comporter 15 caractères : sexe, année, mois, département (2A/2B pour la "
    "Corse), commune, ordre et clé."
)
MSG_NIR_DUPLICATE = _("Un patient avec ce NIR existe déjà.")


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


def birth_date_is_plausible(birth_date: date, *, today: date) -> bool:
    """A birth date is neither in the future nor before 1900."""
    return OLDEST_BIRTH_DATE <= birth_date <= today


# The eligibility situation « Autre facteur de risque (à préciser) » (R-E1, seeded by migration).
OTHER_RISK_FACTOR_CODE = "rf_other"


def other_risk_factor_is_missing(situation_codes: Iterable[str], other_risk_factor: str) -> bool:
    """« Autre facteur de risque (à préciser) » is ticked but the factor is not named."""
    return OTHER_RISK_FACTOR_CODE in set(situation_codes) and not other_risk_factor.strip()


# --- Dates and names as typed (forms and the patient search) --------------------------------
_DATE_SEPARATORS = "/.-"


def _date_parts(text: str) -> list[str] | None:
    """`12/03/1956`, `12-3-1956`, `12.03.56` -> its digit groups; None when not of that shape."""
    text = text.strip()
    for separator in _DATE_SEPARATORS:
        parts = text.split(separator)
        if len(parts) in (2, 3) and all(p.isdecimal() for p in parts):
            return parts
    return None


def has_short_year(text: str) -> bool:
    """A day and month followed by a year of one to three digits ("14/5/61"): the year must be
    typed in full, 1961 or 2061 being both possible."""
    parts = _date_parts(text)
    return (
        parts is not None
        and len(parts) == 3
        and len(parts[0]) <= 2
        and len(parts[1]) <= 2
        and 1 <= len(parts[2]) <= 3
    )


def parse_date(text: str) -> date | None:
    """A full date as typed in French: `12/03/1956`, `12-3-1956`, `12.03.1956`, `12031956` or
    ISO `1956-03-12`; None when it is not one (or does not exist)."""
    text = text.strip()
    if len(text) == 8 and text.isdecimal():
        parts = [text[:2], text[2:4], text[4:]]
    else:
        found = _date_parts(text)
        if found is None or len(found) != 3:
            return None
        parts = found
    if len(parts[0]) == 4:
        year, month, day = parts
    else:
        day, month, year = parts
    if len(year) != 4 or len(day) > 2 or len(month) > 2:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_month(text: str) -> tuple[int, int] | None:
    """A month of a year as typed in a search: `03/1956`, `3-1956`, `031956` -> (1956, 3)."""
    text = text.strip()
    if len(text) == 6 and text.isdecimal():
        parts = [text[:2], text[2:]]
    else:
        found = _date_parts(text)
        if found is None or len(found) != 2:
            return None
        parts = found
    month, year = parts
    try:  # isdecimal() admits other scripts' digits; int() reads most, not all
        number, year_number = int(month), int(year)
    except ValueError:
        return None
    if len(month) > 2 or len(year) != 4 or not 1 <= number <= 12 or year_number < 1:
        return None
    return year_number, number


def patient_initial_from_search(text: str) -> dict[str, object]:
    """A search that found nobody, as the start of the new patient's form: a full date is the
    birth date, the first other word the birth name, the next ones the first names."""
    initial: dict[str, object] = {}
    words: list[str] = []
    for term in text.split():
        day = parse_date(term)
        if day is not None:
            initial.setdefault("birth_date", day)
        elif parse_month(term) is None and not has_short_year(term):
            words.append(term)
    if words:
        initial["birth_name"] = words[0].upper()
        if words[1:]:
            initial["first_names"] = " ".join(w[:1].upper() + w[1:] for w in words[1:])
    return initial


def name_search_words(text: str) -> list[str]:
    """A name as typed, as the words of the folded search name: case, accents, hyphens and
    apostrophes do not matter ("jean pierre", "Jean-Pierre" and "JEAN PIERRE" are the same)."""
    folded = fold(text)
    for mark in "-'’‐‑_":
        folded = folded.replace(mark, " ")
    return folded.split()
