"""Pure rules of the bilans (CSP D.1172-5, R-B1 to R-B3): the usual tests with their units and
bounds, their interpretation by published references, and the comparison of the exit bilan with
the entry bilan. No database, no request: every function is tested against worked examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# --- The tests (R-B1, REFERENCE.md §6 "Usual tests") -----------------------------------------


@dataclass(frozen=True)
class TestSpec:
    """One physical or functional test: its field, its French label, its unit and the bounds
    outside which a value is refused as a typing error (not as a clinical judgement)."""

    key: str
    label: str
    unit: str
    minimum: Decimal
    maximum: Decimal
    higher_is_better: bool | None  # None: neither (weight, height, waist)
    phrase: str  # how a change reads: « +45 m » + « au test de marche de 6 minutes »
    decimals: int = 0

    @property
    def message(self) -> str:
        return str(
            _("%(label)s : la valeur doit être comprise entre %(min)s et %(max)s %(unit)s.")
            % {
                "label": self.label,
                "min": _fr_number(self.minimum),
                "max": _fr_number(self.maximum),
                "unit": self.unit,
            }
        )


def _fr_number(value: Decimal | float | int) -> str:
    """A number in French typography: decimal comma, no useless zero."""
    text = f"{Decimal(str(value)).normalize():f}"
    return text.replace(".", ",")


# Bounds: wide enough for every real patient, narrow enough to refuse a slip of the keyboard
# (a 6-minute walk of 2,000 m, a TUG of 0 s). One-leg stance: the test stops at 60 s.
TESTS: tuple[TestSpec, ...] = (
    TestSpec(
        "six_minute_walk_m", "Test de marche de 6 minutes", "m", Decimal(1),
        Decimal(1000), True, "au test de marche de 6 minutes",
    ),
    TestSpec(
        "sit_to_stand_reps", "Lever de chaise en 30 secondes", "répétitions",
        Decimal(0), Decimal(60), True, "au lever de chaise en 30 secondes",
    ),
    TestSpec(
        "tug_seconds", "Timed Up and Go", "s", Decimal("2.0"), Decimal("300.0"), False,
        "au Timed Up and Go", 1,
    ),
    TestSpec(
        "one_leg_stance_seconds", "Appui unipodal", "s", Decimal("0.0"),
        Decimal("60.0"), True, "en appui unipodal", 1,
    ),
    TestSpec(
        "handgrip_kg", "Force de préhension (handgrip)", "kg", Decimal("1.0"),
        Decimal("100.0"), True, "de force de préhension", 1,
    ),
    TestSpec(
        "weight_kg", "Poids", "kg", Decimal("20.0"), Decimal("350.0"), None,
        "de poids", 1,
    ),
    TestSpec(
        "height_cm", "Taille", "cm", Decimal(100), Decimal(230), None,
        "de taille",
    ),
    TestSpec(
        "waist_cm", "Tour de taille", "cm", Decimal(40), Decimal(250), None,
        "de tour de taille",
    ),
)  # fmt: skip
TESTS_BY_KEY = {spec.key: spec for spec in TESTS}

ONE_LEG_STANCE_MAX_SECONDS = Decimal(60)


class NotDone(models.TextChoices):
    """Why a test was not done: nothing is invented (R-B1)."""

    PAIN = "pain", _("Douleur")
    REFUSAL = "refusal", _("Refus du patient")
    NOT_APPLICABLE = "not_applicable", _("Non applicable")
    OTHER = "other", _("Autre raison")


def value_in_bounds(spec: TestSpec, value: Decimal | int | None) -> bool:
    """R-B1: a measured value lies within the test's bounds (None: not measured)."""
    return value is None or spec.minimum <= Decimal(str(value)) <= spec.maximum


# --- 6-minute walk: Enright & Sherrill 1998 --------------------------------------------------
def six_minute_walk_predicted(
    *, sex: str, age: int, height_cm: float | Decimal, weight_kg: float | Decimal
) -> Decimal | None:
    """The predicted 6-minute walk distance of a healthy adult, in metres (one decimal).

    Enright PL, Sherrill DL. Reference equations for the six-minute walk in healthy adults.
    Am J Respir Crit Care Med 1998;158(5 Pt 1):1384-7:
    - men:   6MWD = 7.57 × height_cm − 5.02 × age − 1.76 × weight_kg − 309 m;
    - women: 6MWD = 2.11 × height_cm − 2.29 × weight_kg − 5.78 × age + 667 m.
    Established on adults aged 40 to 80. `sex`: "M" or "F" (patients.models.Sex); None for any
    other value.
    """
    h, w, a = Decimal(str(height_cm)), Decimal(str(weight_kg)), Decimal(age)
    if sex == "M":
        value = Decimal("7.57") * h - Decimal("5.02") * a - Decimal("1.76") * w - 309
    elif sex == "F":
        value = Decimal("2.11") * h - Decimal("2.29") * w - Decimal("5.78") * a + 667
    else:
        return None
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# The ages of the healthy adults the equations were established on (Enright & Sherrill 1998):
# outside them the predicted distance is an extrapolation, and the pages say so.
SIX_MINUTE_WALK_REFERENCE_AGES = (40, 80)


def six_minute_walk_extrapolated(age: int) -> bool:
    """Whether `age` lies outside the ages of Enright & Sherrill's reference population."""
    low, high = SIX_MINUTE_WALK_REFERENCE_AGES
    return not low <= age <= high


def percent_of_predicted(measured: int | Decimal, predicted: Decimal | None) -> int | None:
    """The measured distance as a whole percentage of the predicted one."""
    if predicted is None or predicted <= 0:
        return None
    return int((Decimal(measured) * 100 / predicted).quantize(Decimal(1), ROUND_HALF_UP))


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- BMI: WHO -----------------------------------------------------------------------------------
def bmi(*, weight_kg: float | Decimal, height_cm: float | Decimal) -> Decimal:
    """Body-mass index, kg/m², one decimal: weight / height² (WHO, Technical Report Series 894,
    2000)."""
    metres = Decimal(str(height_cm)) / 100
    return (Decimal(str(weight_kg)) / (metres * metres)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def bmi_category(value: Decimal) -> str:
    """WHO adult categories (TRS 894, 2000)."""
    if value < Decimal("18.5"):
        return str(_("maigreur"))
    if value < 25:
        return str(_("corpulence normale"))
    if value < 30:
        return str(_("surpoids"))
    if value < 35:
        return str(_("obésité modérée"))
    if value < 40:
        return str(_("obésité sévère"))
    return str(_("obésité morbide"))


# --- Timed Up and Go: fall risk ------------------------------------------------------------------
def tug_fall_risk(seconds: Decimal | float, *, threshold: Decimal | float) -> bool:
    """A TUG time above the threshold signals a fall risk (REFERENCE.md §6: above 12 to 14 s;
    Podsiadlo D, Richardson S. J Am Geriatr Soc 1991;39:142-8; Shumway-Cook A et al. Phys Ther
    2000;80:896-903). The threshold is a setting, APA_TUG_FALL_RISK_SECONDS (default 12 s)."""
    return Decimal(str(seconds)) > Decimal(str(threshold))


# --- Borg (Borg G. Med Sci Sports Exerc 1982;14:377-81) ------------------------------------------
class BorgScale(models.TextChoices):
    RPE = "rpe", _("Borg 6 à 20 (RPE)")
    CR10 = "cr10", _("Borg CR10 (0 à 10)")


BORG_BOUNDS = {BorgScale.RPE: (Decimal(6), Decimal(20)), BorgScale.CR10: (Decimal(0), Decimal(10))}
MSG_BORG_RANGE = _("Échelle de Borg : de 6 à 20 pour l'échelle RPE, de 0 à 10 pour l'échelle CR10.")


def borg_in_bounds(scale: str, value: Decimal | float | None) -> bool:
    if value is None:
        return True
    if scale not in BORG_BOUNDS:
        return False
    low, high = BORG_BOUNDS[BorgScale(scale)]
    return low <= Decimal(str(value)) <= high


# --- Activity questionnaire: Ricci & Gagnon ------------------------------------------------------
@dataclass(frozen=True)
class QuestionnaireSpec:
    """The structure of a points questionnaire: its items' count and range, and its
    interpretation bands (upper bound inclusive, label)."""

    name: str
    items: int
    item_min: int
    item_max: int
    bands: tuple[tuple[int, str], ...]


# Ricci J, Gagnon L. « Évaluation du niveau d'activité physique », Université de Montréal,
# modified by Laureyns F. and Séné J.-M. Nine items scored 1 to 5, summed; the French practice
# reads < 18 inactif, 18 to 35 actif, > 35 très actif. The items' wording and the bands are
# DATA, to be checked against the published form before use (the portal does not print the
# items; the professional enters each item's points).
RICCI_GAGNON = QuestionnaireSpec(
    name="Ricci & Gagnon",
    items=9,
    item_min=1,
    item_max=5,
    bands=((17, "inactif"), (35, "actif"), (45, "très actif")),
)
MSG_QUESTIONNAIRE_ITEMS = _(
    "Questionnaire de Ricci et Gagnon : indiquez les points des %(n)s questions, chacun de "
    "%(min)s à %(max)s."
)


def questionnaire_items_valid(spec: QuestionnaireSpec, items: list[int] | None) -> bool:
    if not items:
        return True
    return len(items) == spec.items and all(
        isinstance(i, int) and not isinstance(i, bool) and spec.item_min <= i <= spec.item_max
        for i in items
    )


def questionnaire_score(spec: QuestionnaireSpec, items: list[int]) -> int:
    """The total, as published: the sum of the items' points."""
    if not questionnaire_items_valid(spec, items) or not items:
        raise ValueError("invalid items")
    return sum(items)


def questionnaire_band(spec: QuestionnaireSpec, score: int) -> str:
    for upper, label in spec.bands:
        if score <= upper:
            return label
    return spec.bands[-1][1]


# --- Motivation (Prochaska & DiClemente 1983, transtheoretical model) -----------------------------
class Stage(models.TextChoices):
    PRECONTEMPLATION = "precontemplation", _("Précontemplation")
    CONTEMPLATION = "contemplation", _("Contemplation")
    PREPARATION = "preparation", _("Préparation")
    ACTION = "action", _("Action")
    MAINTENANCE = "maintenance", _("Maintien")


STAGE_ORDER = [choice.value for choice in Stage]


# --- The programme (R-B1) -----------------------------------------------------------------------
class Place(models.TextChoices):
    INDIVIDUAL = "individual", _("En individuel")
    GROUP = "group", _("En groupe")
    HOME = "home", _("À domicile")


INTENSITY_RANK = {"light": 1, "moderate": 2, "vigorous": 3}
MAX_MODERATE_PICK = "max_moderate"  # prescriptions.rules.RestrictionPick.MAX_MODERATE


def programme_intensity_refusal(
    *, intensity: str, prescribed_intensity: str, restriction_picks: list[str]
) -> str | None:
    """R-B1 with R-P3: the programme may not exceed what the prescription allows. Returns the
    code of the contradiction, or None.

    - the prescription's restriction « ne pas dépasser une intensité modérée » forbids a vigorous
      programme (code "programme_above_restriction");
    - the prescribed intensity is the ceiling (code "programme_above_prescription").
    """
    if not intensity:
        return None
    rank = INTENSITY_RANK.get(intensity, 0)
    if MAX_MODERATE_PICK in restriction_picks and rank > INTENSITY_RANK["moderate"]:
        return "programme_above_restriction"
    if prescribed_intensity and rank > INTENSITY_RANK.get(prescribed_intensity, 3):
        return "programme_above_prescription"
    return None


# --- Comparison (R-B3) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Delta:
    key: str
    label: str
    unit: str
    entry: Decimal | None
    exit: Decimal | None
    change: Decimal | None
    meaning: str  # « +45 m au test de marche de 6 minutes »
    better: bool | None  # None: not comparable, or neither better nor worse


def _signed(value: Decimal) -> str:
    text = _fr_number(value)
    return text if value < 0 else f"+{text}"


def delta(spec: TestSpec, entry: Decimal | int | None, exit: Decimal | int | None) -> Delta:
    """The change of one test between the entry and the exit bilan, with its French meaning.

    A test not done at either end is not compared (nothing is invented).
    """
    if entry is None or exit is None:
        return Delta(
            spec.key,
            spec.label,
            spec.unit,
            None if entry is None else Decimal(str(entry)),
            None if exit is None else Decimal(str(exit)),
            None,
            str(_("%(label)s : non comparable (test non réalisé)") % {"label": spec.label}),
            None,
        )
    before, after = Decimal(str(entry)), Decimal(str(exit))
    change = after - before
    meaning = f"{_signed(change)}\u00a0{spec.unit} {spec.phrase}"
    better = None
    if spec.higher_is_better is not None and change != 0:
        better = (change > 0) == spec.higher_is_better
    return Delta(spec.key, spec.label, spec.unit, before, after, change, meaning, better)


def stage_change(entry: str, exit: str) -> int | None:
    """How many stages of change the patient moved forward (negative: backward)."""
    if entry not in STAGE_ORDER or exit not in STAGE_ORDER:
        return None
    return STAGE_ORDER.index(exit) - STAGE_ORDER.index(entry)


class Proposal(models.TextChoices):
    """R-B3: the proposal at the end of the programme."""

    CONTINUE = "continue", _("Poursuivre l'activité physique adaptée")
    LEAVE = "leave", _("Sortir du programme")
