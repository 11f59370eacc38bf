"""The post-cancer care pathway's rules that need no database (CSP L.1415-8, R.1415-1-11;
arrêté du 24 décembre 2020; R-C1 to R-C4).

Money is `Decimal`, never a float. The tariffs and caps themselves are dated data
(`models.Tariff`); these functions take them as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from practitioners.models import Profession, Specialty
from prescriptions.rules import add_months

# The pathway prescription's reference (PSC-2026-7K3Q-X9MD): checked on the public verification
# page with its code, as the APA form's (pathway.receivers).
PATHWAY_REFERENCE_PREFIX = "PSC"

# R-C1: the pathway is prescribed within 12 months after the end of treatment, and delivered
# within 12 months of the first bilan.
PRESCRIPTION_WINDOW_MONTHS = 12
DELIVERY_WINDOW_MONTHS = 12

# R-C1: who prescribes the pathway: an oncologist, a paediatrician, or the médecin traitant.
PRESCRIBER_SPECIALTIES = frozenset({Specialty.ONCOLOGY, Specialty.PAEDIATRICS})

CENT = Decimal("0.01")


class Kind(models.TextChoices):
    """What the pathway delivers (R-C3): three bilans of one hour, two follow-up
    consultations of 30 minutes."""

    BILAN_PHYSICAL = "bilan_physical", _("Bilan d'activité physique")
    BILAN_DIETARY = "bilan_dietary", _("Bilan diététique")
    BILAN_PSYCHOLOGICAL = "bilan_psychological", _("Bilan psychologique")
    CONSULTATION_DIETARY = "consultation_dietary", _("Consultation de suivi diététique")
    CONSULTATION_PSYCHOLOGICAL = (
        "consultation_psychological",
        _("Consultation de suivi psychologique"),
    )


BILAN_KINDS = frozenset({Kind.BILAN_PHYSICAL, Kind.BILAN_DIETARY, Kind.BILAN_PSYCHOLOGICAL})
CONSULTATION_KINDS = frozenset({Kind.CONSULTATION_DIETARY, Kind.CONSULTATION_PSYCHOLOGICAL})

# Who delivers each kind (R-C3): the physical-activity bilan by an APA professional, the
# dietary ones by a dietitian, the psychological ones by a psychologist.
PROFESSIONS_BY_KIND: dict[str, frozenset[str]] = {
    Kind.BILAN_PHYSICAL: frozenset(
        {
            Profession.APA_TEACHER,
            Profession.PHYSIOTHERAPIST,
            Profession.OCCUPATIONAL_THERAPIST,
            Profession.PSYCHOMOTOR_THERAPIST,
        }
    ),
    Kind.BILAN_DIETARY: frozenset({Profession.DIETITIAN}),
    Kind.BILAN_PSYCHOLOGICAL: frozenset({Profession.PSYCHOLOGIST}),
    Kind.CONSULTATION_DIETARY: frozenset({Profession.DIETITIAN}),
    Kind.CONSULTATION_PSYCHOLOGICAL: frozenset({Profession.PSYCHOLOGIST}),
}
PATHWAY_PROFESSIONS = frozenset().union(*PROFESSIONS_BY_KIND.values())


def euros(amount: Decimal) -> str:
    """`Decimal("22.5")` → « 22,50 € » (French format, to the cent)."""
    return f"{amount.quantize(CENT)}".replace(".", ",") + "\u00a0€"


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def is_bilan(kind: str) -> bool:
    return kind in BILAN_KINDS


def profession_fits(kind: str, profession: str) -> bool:
    """R-C3: whether a professional of `profession` delivers a booking of `kind`."""
    return profession in PROFESSIONS_BY_KIND.get(kind, frozenset())


def may_prescribe_pathway(*, specialty: str, is_physician: bool, is_medecin_traitant: bool) -> bool:
    """R-C1: an oncologist, a paediatrician, or the patient's médecin traitant."""
    return is_physician and (specialty in PRESCRIBER_SPECIALTIES or is_medecin_traitant)


def prescription_deadline(treatment_end: date) -> date:
    """R-C1: the last day the pathway may be prescribed (12 months after the end of treatment,
    that day included)."""
    return add_months(treatment_end, PRESCRIPTION_WINDOW_MONTHS)


def prescription_date_is_valid(*, treatment_end: date, prescribed_on: date) -> bool:
    """R-C1: from the end of treatment to 12 months after it, both days included."""
    return treatment_end <= prescribed_on <= prescription_deadline(treatment_end)


def delivery_deadline(first_delivery: date) -> date:
    """R-C1: the last day of delivery, 12 months after the first bilan (that day included)."""
    return add_months(first_delivery, DELIVERY_WINDOW_MONTHS)


def forfait_end(*, prescribed_on: date, first_delivery: date | None) -> date:
    """R-C2: the last day a pathway's annual forfait runs: 12 months after its first service,
    or after its prescription while nothing is booked. A patient has one forfait at a time."""
    return delivery_deadline(first_delivery or prescribed_on)


@dataclass(frozen=True)
class Caps:
    """The tariff in force: the price of each kind and the caps (R-C2, R-C3)."""

    bilan_price: Decimal
    consultation_price: Decimal
    annual_cap: Decimal
    max_bilans: int
    max_consultations: int

    def price(self, kind: str) -> Decimal:
        return self.bilan_price if is_bilan(kind) else self.consultation_price


@dataclass(frozen=True)
class Line:
    """A booking as the ledger counts it: its kind and its amount (booked or done)."""

    kind: str
    amount: Decimal


@dataclass(frozen=True)
class Balance:
    bilans: int
    consultations: int
    total: Decimal


def balance(lines: Iterable[Line]) -> Balance:
    bilans = consultations = 0
    total = Decimal("0.00")
    for line in lines:
        if is_bilan(line.kind):
            bilans += 1
        else:
            consultations += 1
        total += line.amount
    return Balance(bilans=bilans, consultations=consultations, total=total.quantize(CENT))


def cap_refusal(*, lines: Iterable[Line], kind: str, caps: Caps) -> str | None:
    """R-C2, R-C3: why one more booking of `kind` is refused (a code), or None.

    `lines` are the bookings that count (booked or done; a "not done" one counts no more).
    """
    current = balance(lines)
    if is_bilan(kind) and current.bilans + 1 > caps.max_bilans:
        return "max_bilans"
    if not is_bilan(kind) and current.consultations + 1 > caps.max_consultations:
        return "max_consultations"
    if current.total + caps.price(kind) > caps.annual_cap:
        return "annual_cap"
    return None


def still_possible(*, lines: Iterable[Line], caps: Caps) -> tuple[int, int]:
    """How many more bilans, or how many more consultations (each alone), may still be booked
    (« encore possible : 1 bilan ou 2 consultations »)."""
    current = balance(lines)
    left = caps.annual_cap - current.total
    bilans = min(caps.max_bilans - current.bilans, int(left // caps.bilan_price))
    consultations = min(
        caps.max_consultations - current.consultations, int(left // caps.consultation_price)
    )
    return max(bilans, 0), max(consultations, 0)
