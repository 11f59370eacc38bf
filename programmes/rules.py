"""Pure rules of group programmes (no ORM): R-G2 capacity, R-G3 duration, R-G4 follow-up
schedule, R-O1 supervision of the accepted levels, the dated sessions of weekly créneaux
(Europe/Paris, French public holidays) and the drop-out streak."""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from prescriptions.rules import LimitationLevel, period_end

PARIS = ZoneInfo("Europe/Paris")

# R-G2: at most 8 patients per collective session (seed 000); a structure may set fewer.
MAX_CAPACITY = 8
DEFAULT_CAPACITY = 8
# R-G3: a programme runs 3 to 9 months.
MIN_MONTHS = 3
MAX_MONTHS = 9
# R-G3: two sessions a week, on two different days (seed 000).
SESSIONS_PER_WEEK = 2
# R-G4: a follow-up consultation every 3 months.
FOLLOW_UP_MONTHS = 3

MSG_SESSIONS_PER_WEEK = _(
    "Un programme collectif compte deux séances par semaine, sur deux jours différents : "
    "indiquez deux créneaux hebdomadaires."
)
MSG_CAPACITY = _("Une séance collective accueille au plus 8 patients (et au moins 1).")
MSG_DURATION = _(
    "Un programme dure de 3 à 9 mois : la date de fin doit être comprise entre le %(min)s "
    "et le %(max)s."
)
MSG_DATES = _("La date de fin doit suivre la date de début.")
MSG_NO_LEVEL = _("Indiquez au moins un niveau de limitation fonctionnelle accepté.")
MSG_NO_SUPERVISOR = _("Indiquez au moins un intervenant qui encadre le programme.")
MSG_SUPERVISION = _(
    "Aucun des intervenants ne peut encadrer une limitation « %(level)s » : "
    "%(rule)s Retirez ce niveau ou ajoutez un intervenant habilité."
)
MSG_SUPERVISION_SEVERE = _(
    "seuls les professionnels de santé (masseurs-kinésithérapeutes, ergothérapeutes, "
    "psychomotriciens) encadrent une limitation sévère (art. D. 1172-3 du CSP)."
)
MSG_SUPERVISION_TABLE = _("le tableau d'encadrement en vigueur ne le permet pas.")


def capacity_is_valid(capacity: int) -> bool:
    """R-G2: between 1 and 8 patients per session."""
    return 1 <= capacity <= MAX_CAPACITY


def duration_bounds(start: date) -> tuple[date, date]:
    """R-G3: the earliest and latest end dates (inclusive) of a programme starting `start`."""
    return period_end(start, MIN_MONTHS), period_end(start, MAX_MONTHS)


def duration_is_valid(start: date, end: date) -> bool:
    """R-G3: a programme lasts 3 to 9 months."""
    earliest, latest = duration_bounds(start)
    return earliest <= end <= latest


def unsupervised_levels(
    levels: Iterable[int], professions: Iterable[str], allowed: Mapping[int, Iterable[str]]
) -> list[int]:
    """R-O1 (R-L4 binding, R-L5 table): the accepted levels no supervisor may supervise.

    `allowed` maps a level to the professions allowed for it (the editable table, already
    narrowed by R-L4). An offer is valid when this is empty: every level it accepts has at
    least one supervisor allowed for it (an enseignant APA alone never covers « sévère »).
    """
    present = set(professions)
    return sorted(level for level in set(levels) if not present & set(allowed.get(level, ())))


def follow_up_dates(start: date, end: date) -> list[date]:
    """R-G4: the follow-up consultations, every 3 months from the start, up to the end."""
    dates = []
    step = 1
    # The last one may fall on the day after the end (a 3-month programme): held on the end.
    while (due := period_end(start, FOLLOW_UP_MONTHS * step) + timedelta(days=1)) <= (
        end + timedelta(days=1)
    ):
        dates.append(min(due, end))
        step += 1
    return dates


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian calendar; anonymous algorithm of Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def french_public_holidays(year: int) -> dict[date, str]:
    """The 11 national public holidays of metropolitan France (Code du travail L.3133-1).

    Alsace-Moselle's two extra days and the overseas ones are not included.
    """
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


@dataclass(frozen=True)
class WeeklySlot:
    """A créneau: a weekday (0 = Monday), a local start time, a duration."""

    weekday: int
    start: time
    minutes: int


@dataclass(frozen=True)
class DatedSession:
    starts_at: datetime  # aware, Europe/Paris
    ends_at: datetime
    weekday: int
    holiday: str  # the public holiday's name, or ""


def dated_sessions(slots: Sequence[WeeklySlot], start: date, end: date) -> list[DatedSession]:
    """The dated sessions of weekly créneaux between `start` and `end` (inclusive).

    Wall-clock time in Europe/Paris: a 18:00 créneau stays at 18:00 across the changes to and
    from summer time (its UTC instant moves). A session on a public holiday is kept and named,
    so that the structure decides whether to cancel it.
    """
    holidays: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        holidays |= french_public_holidays(year)
    sessions = []
    day = start
    while day <= end:
        for slot in slots:
            if slot.weekday == day.weekday():
                starts_at = datetime.combine(day, slot.start, tzinfo=PARIS)
                # Add the duration in wall-clock time, then re-attach the zone.
                ends_at = (
                    datetime.combine(day, slot.start) + timedelta(minutes=slot.minutes)
                ).replace(tzinfo=PARIS)
                sessions.append(
                    DatedSession(starts_at, ends_at, slot.weekday, holidays.get(day, ""))
                )
        day += timedelta(days=1)
    return sorted(sessions, key=lambda s: s.starts_at)


def absence_streak(presences: Iterable[bool]) -> int:
    """How many sessions in a row were missed at the end of `presences` (oldest first)."""
    streak = 0
    for present in presences:
        streak = 0 if present else streak + 1
    return streak


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


LEVEL_FIELDS: dict[int, str] = {
    LimitationLevel.NONE: "accepts_none",
    LimitationLevel.MINIMAL: "accepts_minimal",
    LimitationLevel.MODERATE: "accepts_moderate",
    LimitationLevel.SEVERE: "accepts_severe",
}


def sessions_per_week_are_valid(slots: Sequence[WeeklySlot]) -> bool:
    """R-G3: two weekly créneaux, on two different days."""
    return len(slots) == SESSIONS_PER_WEEK and len({slot.weekday for slot in slots}) == len(slots)
