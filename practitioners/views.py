from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patients.selectors import patients_visible_to
from prescriptions.selectors import prescriptions_visible_to


def home(request: HttpRequest) -> HttpResponse:
    """A home page per role: what this user has to do today."""
    user = request.user
    prescriptions = prescriptions_visible_to(user).select_related("patient")
    context = {
        "patient_count": patients_visible_to(user).count(),
        "recent_prescriptions": (
            prescriptions.filter(prescriber=user) if user.is_physician else prescriptions
        ).order_by("-created_at")[:10],
    }
    return render(request, "practitioners/home.html", context)
