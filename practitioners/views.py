from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apa_portal.pagination import CappedPaginator
from patients.models import FULL_NAME_FIELDS
from patients.selectors import patients_visible_count, patients_visible_to
from prescriptions.models import Prescription
from prescriptions.selectors import prescriptions_visible_to

ENDING_SOON_DAYS = 30
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


def home(request: HttpRequest) -> HttpResponse:
    """A home page per role: what this user has to do today.

    Physicians: their drafts to finish, their prescriptions ending within 30 days (renewal
    included) and their latest ones. Everyone else: their patients and the prescriptions they
    may see.
    """
    user = request.user
    today = timezone.localdate()
    # Counted as the patient list counts them: up to 1,000 (« plus de 1 000 », issue 8).
    patient_count = patients_visible_count(user, cap=PATIENT_COUNT_CAP)
    context = {
        "patient_count": patient_count,
        "patient_count_capped": patient_count > PATIENT_COUNT_CAP,
        "patient_count_cap": PATIENT_COUNT_CAP,
        "today": today,
    }
    if user.is_physician:
        # A physician sees every prescription they made (prescriptions.selectors): their own
        # are read directly, by the prescriber's index (issue 8).
        own = (
            Prescription.objects.filter(prescriber=user).select_related("patient").only(*ROW_FIELDS)
        )
        horizon = today + timedelta(days=ENDING_SOON_DAYS)
        context |= {
            "drafts": own.filter(status=Prescription.Status.DRAFT).order_by("-updated_at")[:20],
            # The current end: the renewal's when there is one, else the prescription's.
            "ending_soon": own.filter(
                status__in=Prescription.RUNNING_STATUSES,
                current_end_date__range=(today, horizon),
            ).order_by("current_end_date")[:20],
            "recent_prescriptions": own.exclude(status=Prescription.Status.DRAFT).order_by(
                "-created_at"
            )[:10],
        }
    else:
        context |= {
            "recent_patients": patients_visible_to(user).order_by("-updated_at")[:10],
            "recent_prescriptions": prescriptions_visible_to(user)
            .filter(status__in=Prescription.RUNNING_STATUSES)
            .select_related("patient")
            .only(*ROW_FIELDS)
            .order_by("-prescribed_on", "-created_at")[:10],
        }
    return render(request, "practitioners/home.html", context)
