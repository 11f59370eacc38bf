"""Reads of the back-office: the dashboard's figures, aggregated in the database.

Every figure is one aggregated query (`annotate`/`Count`, `TruncMonth`), so the dashboard runs a
constant number of queries whatever the size of the data. At the scale of a regional network
(bench/RESULTS.md: 20,000 patients and 56,000 prescriptions for one hospital) each aggregate costs
50–400 ms, whatever its formulation (a `DISTINCT ON` pass was measured as slow as the
per-patient subquery: the cost is reading the structure's prescriptions): the aggregated
figures are therefore cached per scope for a few minutes (`dashboard_figures`), while the two
lists (ending soon, unread renewals) stay live: their first rows, and their count when there
are more (each an index range scan, on the copies the prescriptions keep, bench/RESULTS.md).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import FULL_NAME_FIELDS, EligibilitySituation, Patient
from practitioners.models import DISPLAY_NAME_FIELDS, User
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import ENDING_SOON_DAYS, NOT_ASSESSED, LimitationLevel, add_months
from prescriptions.selectors import latest_confirmed_level

Status = Prescription.Status
# Prescriptions that run: issued, possibly renewed or adapted by the physiotherapist.
RUNNING_STATUSES = Prescription.RUNNING_STATUSES
# Prescriptions that were signed and not withdrawn.
SIGNED_STATUSES = Prescription.SIGNED_STATUSES
# The dashboard shows the first rows of each list; the admin lists them all (filters, export).
LIST_LIMIT = 20
UNREAD_COUNT_CAP = 100
# How long the aggregated figures of a scope are reused (the page says how old they are).
FIGURES_CACHE_SECONDS = 5 * 60


@dataclass(frozen=True)
class DashboardScope:
    """What a user's dashboard counts."""

    prescriptions: QuerySet[Prescription]
    patients: QuerySet[Patient]
    label: str
    key: str  # names the scope in the cache of the figures


def dashboard_scope(user: User) -> DashboardScope | None:
    """Superusers: everything; admin staff: their structure; physicians: their own prescriptions.

    None for anyone else (the view answers 403).
    """
    if not (user.is_authenticated and user.is_active):
        return None
    signed = Prescription.objects.exclude(status=Status.DRAFT)
    if user.is_superuser:
        return DashboardScope(signed, Patient.objects.all(), str(_("toutes les structures")), "all")
    if user.is_admin_staff and user.structure_id:
        return DashboardScope(
            signed.filter(structure_id=user.structure_id),
            Patient.objects.filter(structure_id=user.structure_id),
            str(user.structure),
            f"structure-{user.structure_id}",
        )
    if user.is_physician:
        mine = signed.filter(prescriber=user)
        return DashboardScope(
            mine,
            Patient.objects.filter(pk__in=mine.values("patient_id")),
            str(_("vos prescriptions")),
            f"prescriber-{user.pk}",
        )
    return None


# What a row of the two lists prints: the patient's name, the reference, the prescriber's name
# (need-to-know: neither the NIR nor the contact details are read).
LIST_FIELDS = (
    "reference",
    *(f"patient__{name}" for name in FULL_NAME_FIELDS),
    *(f"prescriber__{name}" for name in DISPLAY_NAME_FIELDS),
)


def ending_soon(scope: DashboardScope, *, today: date) -> QuerySet[Prescription]:
    """Running prescriptions whose (possibly renewed) end falls in the next 30 days."""
    return (
        scope.prescriptions.filter(
            status__in=RUNNING_STATUSES,
            current_end_date__range=(today, today + timedelta(days=ENDING_SOON_DAYS)),
        )
        .select_related("patient", "prescriber")
        .only(*LIST_FIELDS, "current_end_date")
        .order_by("current_end_date", "reference")
    )


def unread_renewals(scope: DashboardScope) -> QuerySet[Renewal]:
    """Renewals and adaptations the prescriber has not read yet (R-R7)."""
    return (
        Renewal.objects.filter(
            prescription__in=scope.prescriptions.values("pk"), prescriber_read_at__isnull=True
        )
        .select_related("prescription__patient", "prescription__prescriber")
        .only(
            "kind",
            "performed_on",
            "prescription_id",
            *(f"prescription__{name}" for name in LIST_FIELDS),
        )
        .order_by("-performed_on", "-created_at")
    )


def month_starts(today: date, months: int = 12) -> list[date]:
    """First days of the last `months` months, the current one last."""
    first = today.replace(day=1)
    return [add_months(first, -offset) for offset in range(months - 1, -1, -1)]


def prescriptions_per_month(scope: DashboardScope, *, today: date) -> list[tuple[date, int]]:
    """Signed (not cancelled) prescriptions per month of `prescribed_on`, last 12 months."""
    months = month_starts(today)
    rows = (
        scope.prescriptions.filter(status__in=SIGNED_STATUSES, prescribed_on__gte=months[0])
        .annotate(month=TruncMonth("prescribed_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[date, int] = {}
    for row in rows:
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        counts[month.replace(day=1)] = counts.get(month.replace(day=1), 0) + row["n"]
    return [(month, counts.get(month, 0)) for month in months]


def patients_per_level(scope: DashboardScope) -> list[tuple[str, int]]:
    """Patients by the latest confirmed functional-limitation level (R-L2), most severe first."""
    rows = (
        scope.patients.annotate(level=latest_confirmed_level(among=scope.prescriptions))
        .values("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["level"]: row["n"] for row in rows}
    figures = [
        (str(label), counts.get(value, 0))
        for value, label in sorted(LimitationLevel.choices, reverse=True)
    ]
    figures.append((str(NOT_ASSESSED), counts.get(None, 0)))
    return figures


def patients_per_situation(scope: DashboardScope) -> list[tuple[str, int]]:
    """Patients by eligibility situation (R-E1); a patient may be in several."""
    situations = EligibilitySituation.objects.annotate(
        n=Count("patients", filter=Q(patients__in=scope.patients.values("pk")), distinct=True)
    ).order_by("position")
    return [(s.label, s.n) for s in situations]


@dataclass(frozen=True)
class ListExcerpt:
    """The first rows of a dashboard list and how many rows it has (at most `cap + 1` counted)."""

    rows: list[Any]
    count: int
    cap: int | None = None

    @property
    def capped(self) -> bool:
        """True when there are more than `cap` rows (the page says « plus de cap »)."""
        return self.cap is not None and self.count > self.cap

    @property
    def truncated(self) -> bool:
        return self.count > len(self.rows)


def list_excerpt(queryset: QuerySet[Any], limit: int, *, cap: int | None = None) -> ListExcerpt:
    """The first `limit` rows, and the number of all the rows, counted only past one page.

    Two queries at most, each an index range scan: counting inside the page query
    (`COUNT(*) OVER ()`) made PostgreSQL join every row of the list to its patient and
    prescriber before keeping the first ones (4,600 rows for the largest structure).
    `cap`: stop counting after `cap + 1` rows, for a list whose rows can only be counted one
    by one (the unread renewals of a structure: each renewal's prescription is looked up).
    """
    rows = list(queryset[:limit])
    if len(rows) < limit:
        return ListExcerpt(rows, len(rows), cap)
    counted = queryset.order_by()
    if cap is not None:
        counted = counted[: cap + 1]
    return ListExcerpt(rows, counted.count(), cap)


@dataclass(frozen=True)
class DashboardFigures:
    """The aggregated figures of a scope, and when they were computed."""

    per_month: list[tuple[date, int]]
    per_level: list[tuple[str, int]]
    per_situation: list[tuple[str, int]]
    computed_at: datetime

    def age_minutes(self, now: datetime | None = None) -> int:
        return max(int(((now or timezone.now()) - self.computed_at).total_seconds() // 60), 0)


def figures_cache_key(scope: DashboardScope, *, today: date) -> str:
    return f"dashboard:figures:{scope.key}:{today.isoformat()}"


def dashboard_figures(scope: DashboardScope, *, today: date) -> DashboardFigures:
    """The per-month, per-level and per-situation figures, cached per scope for a few minutes.

    They move slowly and cost most of the page (three aggregates over the scope); the cache
    (per scope and day) serves them for FIGURES_CACHE_SECONDS, and the page shows their age.
    """
    key = figures_cache_key(scope, today=today)
    figures: DashboardFigures | None = cache.get(key)
    if figures is None:
        figures = DashboardFigures(
            per_month=prescriptions_per_month(scope, today=today),
            per_level=patients_per_level(scope),
            per_situation=[(str(label), n) for label, n in patients_per_situation(scope)],
            computed_at=timezone.now(),
        )
        cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures
