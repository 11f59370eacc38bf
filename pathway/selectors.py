"""Reads of the post-cancer pathway: the tariff and the convention in force, the ledger of one
pathway (R-C1 to R-C3), the statements of a structure. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from practitioners.models import Structure, User
from prescriptions.rules import add_months

from . import rules
from .models import Booking, CancerEpisode, Convention, PathwayPrescription, Tariff


def tariff_in_force(on: date) -> Tariff | None:
    """R-C2, R-C3: the tariff row in force on `on` (the latest that started on or before)."""
    return Tariff.objects.filter(valid_from__lte=on).order_by("-valid_from").first()


def caps_of(tariff: Tariff) -> rules.Caps:
    return rules.Caps(
        bilan_price=tariff.bilan_price,
        consultation_price=tariff.consultation_price,
        annual_cap=tariff.annual_cap,
        max_bilans=tariff.max_bilans,
        max_consultations=tariff.max_consultations,
    )


def convention_in_force(structure_id: int, on: date) -> Convention | None:
    return (
        Convention.objects.filter(structure_id=structure_id, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .order_by("-starts_on")
        .first()
    )


def conventioned_structures(on: date) -> QuerySet[Structure]:
    return Structure.objects.filter(
        Q(pathway_conventions__ends_on__isnull=True) | Q(pathway_conventions__ends_on__gte=on),
        pathway_conventions__starts_on__lte=on,
    ).distinct()


def structure_professionals(structure_id: int, kind: str | None = None) -> QuerySet[User]:
    """The pathway professionals of a structure (those who fit `kind` when given)."""
    professions = rules.PROFESSIONS_BY_KIND[kind] if kind else rules.PATHWAY_PROFESSIONS
    return User.objects.filter(
        structure_id=structure_id, is_active=True, profession__in=professions
    ).order_by("last_name", "first_name")


def counting_lines(bookings: Iterable[Booking]) -> list[rules.Line]:
    return [rules.Line(kind=b.kind, amount=b.amount) for b in bookings if b.counts]


def patient_episodes(patient_id: Any) -> QuerySet[CancerEpisode]:
    return CancerEpisode.objects.filter(patient_id=patient_id).select_related("pathway")


def pathway_get(pk: Any) -> PathwayPrescription:
    """The pathway `pk` with what its pages read (404 when there is none; access is asked of
    `access.may_see_pathway` by the caller)."""
    return get_object_or_404(
        PathwayPrescription.objects.select_related("patient", "episode", "prescriber", "structure"),
        pk=pk,
    )


@dataclass(frozen=True)
class Ledger:
    """What the patient's page shows of one pathway (R-C1 to R-C3)."""

    pathway: PathwayPrescription
    bookings: list[Booking]
    caps: rules.Caps | None
    used: Decimal
    booked: Decimal
    remaining: Decimal
    bilans_possible: int
    consultations_possible: int
    prescription_deadline: date
    first_delivery: date | None
    delivery_deadline: date | None


def ledger(pathway: PathwayPrescription, *, today: date) -> Ledger:
    """The ledger of `pathway`: used (done), booked, remaining, what may still be booked, the two
    windows' dates, every line with its professional and date. The caps are those in force
    `today` (each line keeps the amount of its own date)."""
    bookings = list(
        Booking.objects.filter(pathway=pathway)
        .select_related("professional")
        .order_by("scheduled_on", "created_at")
    )
    tariff = tariff_in_force(today)
    caps = caps_of(tariff) if tariff else None
    lines = counting_lines(bookings)
    used = sum((b.amount for b in bookings if b.status == Booking.Status.DONE), Decimal("0.00"))
    booked = sum((b.amount for b in bookings if b.status == Booking.Status.BOOKED), Decimal("0.00"))
    remaining = (caps.annual_cap - used - booked) if caps else Decimal("0.00")
    bilans, consultations = rules.still_possible(lines=lines, caps=caps) if caps else (0, 0)
    counting = [b.scheduled_on for b in bookings if b.counts]
    first = min(counting) if counting else None
    return Ledger(
        pathway=pathway,
        bookings=bookings,
        caps=caps,
        used=used,
        booked=booked,
        remaining=max(remaining, Decimal("0.00")),
        bilans_possible=bilans,
        consultations_possible=consultations,
        prescription_deadline=rules.prescription_deadline(pathway.episode.treatment_end),
        first_delivery=first,
        delivery_deadline=rules.delivery_deadline(first) if first else None,
    )


# --- Statements (R-C2) ----------------------------------------------------------------------
def structure_pathways(structure_id: int, *, limit: int = 200) -> QuerySet[PathwayPrescription]:
    """The pathways a structure delivers, the latest prescribed first (its first `limit`)."""
    return (
        PathwayPrescription.objects.filter(structure_id=structure_id)
        .select_related("patient")
        .order_by("-prescribed_on")[:limit]
    )


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    end = add_months(start, 3)
    return start, end


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    return start, add_months(start, 1)


def professional_statement(structure_id: int, *, year: int, month: int) -> list[dict[str, Any]]:
    """Per professional, what the structure owes them for the month: the bookings done, by
    kind of service, with their sum (one query, grouped in the database)."""
    start, end = month_bounds(year, month)
    rows = (
        Booking.objects.filter(
            pathway__structure_id=structure_id,
            status=Booking.Status.DONE,
            scheduled_on__gte=start,
            scheduled_on__lt=end,
        )
        .values(
            "professional_id",
            "professional__first_name",
            "professional__last_name",
            "professional__profession",
        )
        .annotate(
            bilans=Count("id", filter=Q(kind__in=rules.BILAN_KINDS)),
            consultations=Count("id", filter=Q(kind__in=rules.CONSULTATION_KINDS)),
            total=Sum("amount"),
        )
        .order_by("professional__last_name", "professional__first_name", "professional_id")
    )
    return list(rows)


def ars_quarter_bookings(structure_id: int, *, year: int, quarter: int) -> QuerySet[Booking]:
    """The bookings done in the quarter, for the ARS statement."""
    start, end = quarter_bounds(year, quarter)
    return (
        Booking.objects.filter(
            pathway__structure_id=structure_id,
            status=Booking.Status.DONE,
            scheduled_on__gte=start,
            scheduled_on__lt=end,
        )
        .select_related("pathway", "pathway__patient", "professional")
        .order_by("scheduled_on", "created_at")
    )
