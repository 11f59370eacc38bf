"""The rules of the APA prescription, as pure functions and constants (no ORM).

Each rule cites its id in ../shared/REFERENCE.md and the article of the Code de la santé
publique (CSP) it comes from.
"""

import calendar
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from practitioners.models import DISPENSER_PROFESSIONS, HEALTH_PROFESSIONS, Profession

# --- R-P2 (CSP D.1172-2): duration of 3 to 6 whole months --------------------------------
DURATION_MIN_MONTHS = 3
DURATION_MAX_MONTHS = 6
DURATION_CHOICES = [(m, _("%(n)s mois") % {"n": m}) for m in range(3, 7)]


# The messages of the rules that the database enforces too (constraints carry the same code and
# message as the services and forms: each is written once, here).
MSG_DURATION = _("La durée de prescription est de 3 à 6 mois.")
MSG_SESSIONS_PER_WEEK = _("Le nombre de séances par semaine doit être de 1 à 7.")
MSG_SESSION_MINUTES = _("La durée d'une séance doit être de 10 à 180 minutes.")
MSG_OUI_WITHOUT_REASON = _(
    "Vous avez répondu OUI : précisez l'indication qui nécessite le renouvellement et "
    "l'adaptation de la prescription par un médecin."
)
MSG_NO_AGREEMENT = _("L'accord du patient est requis pour émettre la prescription.")
MSG_RENEW_NO_AGREEMENT = _("L'accord du patient est requis (art. D. 1172-2-1 du CSP).")
MSG_RENEW_NO_ATTESTATION = _(
    "Attestez que le compte rendu et les bilans ne rapportent pas de difficulté ou de risque "
    "susceptible de nuire à la santé du patient (art. D. 1172-2-1 du CSP)."
)
MSG_SEVERE_HEALTH_ONLY = _(
    "Seuls les professionnels de santé (masseurs-kinésithérapeutes, ergothérapeutes, "
    "psychomotriciens) peuvent encadrer une limitation sévère."
)


def duration_is_valid(months: object) -> bool:
    """R-P2: whole months from 3 to 6; anything else is refused."""
    return (
        isinstance(months, int)
        and not isinstance(months, bool)
        and DURATION_MIN_MONTHS <= months <= DURATION_MAX_MONTHS
    )


MSG_DATE_OUT_OF_RANGE = _(
    "Cette date est hors du calendrier utilisable : vérifiez l'année (jj/mm/aaaa)."
)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month (31 Jan + 1 = 28 Feb).

    Past the calendar's ends (years 1 and 9999, a typo's dates) it raises a `ValidationError`
    with a French message, which the forms and services show, never a 500."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if not date.min.year <= year <= date.max.year:
        raise ValidationError(MSG_DATE_OUT_OF_RANGE, code="date_out_of_range")
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def start_date_bounds(signed_on: date, *, days_before: int, months_after: int) -> tuple[date, date]:
    """R-P2, R-P4: the first and last start dates (inclusive) of a prescription signed on
    `signed_on` (settings APA_START_DATE_DAYS_BEFORE and APA_START_DATE_MONTHS_AFTER)."""
    return signed_on - timedelta(days=days_before), add_months(signed_on, months_after)


def period_end(start: date, months: int) -> date:
    """Last day (inclusive) of a period of `months` months starting on `start`."""
    end = add_months(start, months)
    if end == date.min:
        raise ValidationError(MSG_DATE_OUT_OF_RANGE, code="date_out_of_range")
    return end - timedelta(days=1)


# --- R-P3 (CSP D.1172-2, arrêté du 28 décembre 2023): content ----------------------------
class ActivityType(models.TextChoices):
    ENDURANCE = "endurance", _("Endurance")
    STRENGTH = "strength", _("Renforcement musculaire")
    BALANCE = "balance", _("Équilibre")
    FLEXIBILITY = "flexibility", _("Souplesse")
    COORDINATION = "coordination", _("Coordination")


class Intensity(models.TextChoices):
    """Intensity with its equivalent on Borg's 6-20 scale (HAS guide, 2022)."""

    LIGHT = "light", _("Légère (Borg 10 à 11)")
    MODERATE = "moderate", _("Modérée (Borg 12 à 13)")
    VIGOROUS = "vigorous", _("Élevée (Borg 14 à 16)")


SESSIONS_PER_WEEK_MIN, SESSIONS_PER_WEEK_MAX = 1, 7
SESSION_MINUTES_MIN, SESSION_MINUTES_MAX = 10, 180


class RestrictionPick(models.TextChoices):
    """The restriction examples printed with the form (seed 003, #5), offered as quick picks."""

    BODY_WEIGHT = "body_weight", _("Activités avec le poids du corps ou charges légères")
    NO_FALL_RISK = "no_fall_risk", _("Pas de sport à risque de chute et/ou de collision")
    NO_COLD = "no_cold", _("Éviter efforts en ambiance froide")
    NO_STATIC = "no_static", _("Éviter efforts statiques intenses")
    MAX_MODERATE = (
        "max_moderate",
        _("Contrôler l'intensité pour ne pas dépasser une intensité modérée"),
    )
    TREATMENTS = "treatments", _("Traitements à prendre en compte")


def known_choices(values: Iterable[str] | None, choices: type[models.Choices]) -> list[str]:
    """The values of `choices` among `values`, in the choices' order (unknown ones dropped)."""
    wanted = set(values or ())
    return [value for value in choices.values if value in wanted]


def labels(choices: type[models.Choices], values: Iterable[str]) -> list[str]:
    """Labels of `values` in the order of the choices (unknown values are dropped)."""
    wanted = set(values)
    return [str(label) for value, label in choices.choices if value in wanted]


# --- R-L1 to R-L5 (CSP D.1172-3, annexe 11-7-2; instruction DGS 2017/81) ------------------
class LimitationLevel(models.IntegerChoices):
    NONE = 0, _("Aucune")
    MINIMAL = 1, _("Minimales")
    MODERATE = 2, _("Modérées")
    SEVERE = 3, _("Sévères")


class Function(models.TextChoices):
    """R-L1: the three functions rated separately."""

    LOCOMOTOR = (
        "locomotor",
        _(
            "Fonctions locomotrices (neuromusculaire, ostéoarticulaire, endurance à l'effort, "
            "marche, force)"
        ),
    )
    CEREBRAL = "cerebral", _("Fonctions cérébrales (cognitif, langage, anxiété / dépression)")
    SENSORY = (
        "sensory",
        _("Fonctions sensorielles (visuelle, sensitive, auditive, proprioceptives) et douleur"),
    )


def resulting_level(*levels: int) -> int:
    """R-L2: the resulting limitation is the most severe of the three functions' ratings."""
    if not levels:
        raise ValueError("At least one rating is needed.")
    return max(levels)


@dataclass(frozen=True)
class SevereIndicator:
    code: str
    function: str
    label: str


# R-L3: the indicators of a severe limitation, verbatim from annexe 11-7-2 (seed 003).
SEVERE_INDICATORS: tuple[SevereIndicator, ...] = (
    SevereIndicator(
        "loc_motricity",
        Function.LOCOMOTOR,
        "Altération de la motricité et du tonus et / ou altération d'amplitude sur plusieurs "
        "articulations affectant la gestuelle et l'activité au quotidien",
    ),
    SevereIndicator(
        "loc_fatigue", Function.LOCOMOTOR, "Fatigue invalidante dès le moindre mouvement"
    ),
    SevereIndicator(
        "loc_resistance",
        Function.LOCOMOTOR,
        "Ne peut vaincre la résistance pour plusieurs groupes musculaires",
    ),
    SevereIndicator(
        "loc_walk",
        Function.LOCOMOTOR,
        "Distance parcourue en marche en 6 mn inférieure à 150 mètres",
    ),
    SevereIndicator(
        "cer_strategy",
        Function.CEREBRAL,
        "Mauvaise stratégie cognitive pour un mauvais résultat, échec",
    ),
    SevereIndicator(
        "cer_language",
        Function.CEREBRAL,
        "Fonction langagière empêchant toute compréhension ou expression",
    ),
    SevereIndicator(
        "cer_anxiety", Function.CEREBRAL, "Manifestations sévères d'anxiété et/ou de dépression"
    ),
    SevereIndicator(
        "sen_vision", Function.SENSORY, "Vision ne permettant pas la lecture ni l'écriture"
    ),
    SevereIndicator(
        "sen_orientation",
        Function.SENSORY,
        "Circulation seul impossible dans un environnement non familier",
    ),
    SevereIndicator(
        "sen_stimuli", Function.SENSORY, "Stimulations sensibles non perçues, non localisées"
    ),
    SevereIndicator("sen_deafness", Function.SENSORY, "Surdité profonde"),
    SevereIndicator("sen_balance", Function.SENSORY, "Déséquilibre sans rééquilibrage"),
    SevereIndicator(
        "sen_falls", Function.SENSORY, "Chutes fréquentes lors des activités au quotidien"
    ),
    SevereIndicator("sen_pain", Function.SENSORY, "Douleurs constantes avec ou sans activité"),
)
SEVERE_INDICATOR_CODES = frozenset(i.code for i in SEVERE_INDICATORS)


def severe_indicators_imply_severe(indicator_codes: Iterable[str]) -> dict[str, bool]:
    """For each function, whether a ticked R-L3 indicator points to a severe limitation."""
    ticked = set(indicator_codes)
    return {
        function: any(i.code in ticked and i.function == function for i in SEVERE_INDICATORS)
        for function in Function.values
    }


# R-L4 (binding) and R-L5 (preferential): the defaults of the editable supervision table.
DEFAULT_SUPERVISION: dict[int, frozenset[str]] = {
    LimitationLevel.SEVERE: HEALTH_PROFESSIONS,
    LimitationLevel.MODERATE: HEALTH_PROFESSIONS | {Profession.APA_TEACHER},
    LimitationLevel.MINIMAL: DISPENSER_PROFESSIONS,
    LimitationLevel.NONE: DISPENSER_PROFESSIONS,
}


def supervision_is_allowed_at_all(*, level: int, profession: str) -> bool:
    """R-L4 (binding): a severe limitation may only be supervised by health professionals.

    This holds whatever the editable table says; the table can only narrow it.
    """
    if profession not in DISPENSER_PROFESSIONS:
        return False
    return level != LimitationLevel.SEVERE or profession in HEALTH_PROFESSIONS


# The label of a patient whose level no signed prescription gives yet (lists, filters, exports).
NOT_ASSESSED = _("Non évaluée")


# --- R-R3 (CSP D.1172-2-1): renewal "à l'échéance" of the initial prescription ------------
# The lists of prescriptions "qui se terminent" look this many days ahead (home, dashboard,
# admin filter); the renewal itself has its own window (settings, below).
ENDING_SOON_DAYS = 30


def renewal_window(end_date: date, *, days_before: int, days_after: int) -> tuple[date, date]:
    """The dates (inclusive) between which a physiotherapist may renew or adapt."""
    return end_date - timedelta(days=days_before), end_date + timedelta(days=days_after)


def renewal_period(*, initial_end: date, performed_on: date, months: int) -> tuple[date, date]:
    """The new period: it follows the initial one, or starts on the day of a late renewal."""
    start = max(initial_end + timedelta(days=1), performed_on)
    return start, period_end(start, months)


# --- References printed on the form ---------------------------------------------------------
# Crockford's base 32 without I, L, O, U: unambiguous when read aloud or typed from paper.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# The prefixes of the references the public verification page answers: APA, the APA
# prescriptions and the bilans' documents (bilans app); PSC, the post-cancer pathway's
# prescriptions (pathway app, CSP R.1415-1-11).
PRESCRIPTION_PREFIX = "APA"
VERIFIABLE_PREFIXES = (PRESCRIPTION_PREFIX, "PSC")


def new_reference(year: int, prefix: str = PRESCRIPTION_PREFIX) -> str:
    """A human-readable reference such as `APA-2026-7K3Q-X9MD` (40 bits of randomness)."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{year}-{body[:4]}-{body[4:]}"


def new_verification_code() -> str:
    """A short code printed on the form, needed with the QR code look-up."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def normalize_reference(value: str, prefixes: tuple[str, ...] = (PRESCRIPTION_PREFIX,)) -> str:
    """What a person typed from paper -> the stored form.

    Case, spaces and dashes do not matter, and the letters Crockford's alphabet leaves out are
    read as the digits they look like (O -> 0, I and L -> 1): `apa 2026 7k3q x9md` and
    `APA-2026-7K3Q-X9MD` are the same reference. Returns "" when it cannot be one of
    `prefixes` (three letters each).
    """
    compact = "".join(c for c in value.upper() if c.isalnum())
    prefix = compact[:3]
    if prefix not in prefixes:
        return ""
    lookalikes: dict[str, str | int | None] = {"O": "0", "I": "1", "L": "1"}  # typeshed's type
    body = compact[3:].translate(str.maketrans(lookalikes))
    if len(body) != 12 or not body[:4].isdigit() or any(c not in REFERENCE_ALPHABET for c in body):
        return ""
    return f"{prefix}-{body[:4]}-{body[4:8]}-{body[8:]}"
