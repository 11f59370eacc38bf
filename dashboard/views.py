from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from audit.models import ReadAudit
from audit.services import audit_read
from bilans.selectors import next_steps
from kernel.pagination import CappedPaginator
from patients.models import FULL_NAME_FIELDS
from patients.selectors import patients_visible_count, patients_visible_to
from practitioners.http import AuthenticatedRequest
from prescriptions.models import Prescription
from prescriptions.renewal_forms import LookupForm
from prescriptions.rules import ENDING_SOON_DAYS
from prescriptions.selectors import prescriptions_visible_to
from programmes.selectors import follow_ups_due

from . import charts, selectors

MSG_NO_DASHBOARD = _(
    "Le tableau de bord est réservé aux médecins (leurs prescriptions) et au personnel "
    "administratif (leur structure)."
)


def dashboard_index(request: AuthenticatedRequest) -> HttpResponse:
    """The activity at a glance: admin staff (their structure), superusers, physicians (own)."""
    scope = selectors.dashboard_scope(request.user)
    if scope is None:
        raise PermissionDenied(MSG_NO_DASHBOARD)
    today = timezone.localdate()
    # The two lists stay live (their first rows, counted only when there are more); the aggregated
    # figures come from a cache of a few minutes (bench/RESULTS.md), their age is shown.
    ending = selectors.list_excerpt(selectors.ending_soon(scope, today=today), selectors.LIST_LIMIT)
    unread = selectors.list_excerpt(
        selectors.unread_renewals(scope), selectors.LIST_LIMIT, cap=selectors.UNREAD_COUNT_CAP
    )
    # One read for the page, naming the patients its two lists show (as the patient list does).
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=[p.patient_id for p in ending.rows]
        + [r.prescription.patient_id for r in unread.rows],
        detail="tableau de bord",
    )
    figures = selectors.dashboard_figures(scope, today=today)
    per_month = [(formats.date_format(month, "N Y"), n) for month, n in figures.per_month]
    per_level = figures.per_level
    per_situation = figures.per_situation
    context = {
        "scope": scope,
        "today": today,
        "ending_days": ENDING_SOON_DAYS,
        "ending": ending,
        "unread": unread,
        "figures_age_minutes": figures.age_minutes(),
        "figures_cache_minutes": selectors.FIGURES_CACHE_SECONDS // 60,
        # The key and lifetime of the figures' rendered fragment (templates/dashboard/index.html).
        "figures_computed_at": figures.computed_at,
        "figures_cache_seconds": selectors.FIGURES_CACHE_SECONDS,
        "per_month": per_month,
        "per_month_chart": charts.column_chart(per_month),
        "per_level": per_level,
        "per_level_chart": charts.bar_chart(per_level),
        "per_situation": per_situation,
        "per_situation_chart": charts.bar_chart(per_situation),
    }
    return render(request, "dashboard/index.html", context)


PATIENT_COUNT_CAP = CappedPaginator.cap
# What a row of the home's lists prints (the rows are read without the other columns).
ROW_FIELDS = (
    "reference",
    "status",
    "start_date",
    "current_end_date",
    "created_at",
    "updated_at",
    *(f"patient__{name}" for name in FULL_NAME_FIELDS),
)


def home(request: AuthenticatedRequest) -> HttpResponse:
    """A home page per role: what this user has to do today.

    Physicians: their drafts to finish, their prescriptions ending within 30 days (renewal
    included) and their latest ones. Everyone else: their patients and the prescriptions they
    may see.
    """
    user = request.user
    today = timezone.localdate()
    # Counted as the patient list counts them: up to 1,000 (« plus de 1 000 »).
    patient_count = patients_visible_count(user, cap=PATIENT_COUNT_CAP)
    context = {
        "patient_count": patient_count,
        "patient_count_capped": patient_count > PATIENT_COUNT_CAP,
        "patient_count_cap": PATIENT_COUNT_CAP,
        "today": today,
    }
    if user.is_physiotherapist:
        # Their one task: find the prescription the patient brings, from the home page.
        context["lookup_form"] = LookupForm()
    if user.is_physician:
        # A physician sees every prescription they made (prescriptions.selectors): their own
        # are read directly, by the prescriber's index (bench/RESULTS.md).
        own = (
            Prescription.objects.filter(prescriber=user).select_related("patient").only(*ROW_FIELDS)
        )
        horizon = today + timedelta(days=ENDING_SOON_DAYS)
        drafts = list(own.filter(status=Prescription.Status.DRAFT).order_by("-updated_at")[:20])
        # The current end: the renewal's when there is one, else the prescription's.
        ending_soon = list(
            own.filter(
                status__in=Prescription.RUNNING_STATUSES,
                current_end_date__range=(today, horizon),
            ).order_by("current_end_date")[:20]
        )
        recent = list(own.exclude(status=Prescription.Status.DRAFT).order_by("-created_at")[:10])
        context |= {
            "drafts": drafts,
            "ending_soon": ending_soon,
            "recent_prescriptions": recent,
        }
        shown = [p.patient_id for p in (*drafts, *ending_soon, *recent)]
    else:
        shown = []
        if user.is_dispenser:  # the next step due per patient oriented to them (D.1172-5)
            steps = next_steps(
                user=user,
                today=today,
                report_due_weeks=settings.APA_REPORT_DUE_WEEKS,
                ending_days=ENDING_SOON_DAYS,
            )
            context["next_steps"] = steps
            shown += [step.patient.pk for step in steps.steps]
        if user.is_dispenser or user.is_admin_staff:
            # R-G4: the follow-up consultations of group programmes due within a week.
            due = list(follow_ups_due(user, today=today)[:20])
            context["follow_ups_due"] = due
            shown += [item.enrolment.patient_id for item in due]
        recent_patients = list(patients_visible_to(user).order_by("-updated_at")[:10])
        recent = list(
            prescriptions_visible_to(user)
            .filter(status__in=Prescription.RUNNING_STATUSES)
            .select_related("patient")
            .only(*ROW_FIELDS)
            .order_by("-prescribed_on", "-created_at")[:10]
        )
        context |= {"recent_patients": recent_patients, "recent_prescriptions": recent}
        shown += [patient.pk for patient in recent_patients]
        shown += [p.patient_id for p in recent]
    # One read for the page, naming the patients it shows (as the patient list does); none when
    # it shows no patient.
    audit_read(
        request, action=ReadAudit.Action.PATIENT_LIST, patients_shown=shown, detail="accueil"
    )
    return render(request, "dashboard/home.html", context)
