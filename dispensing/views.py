"""Orientation of a patient to an APA professional (a dispenser of CSP D.1172-2), and the
dispenser's own list « Mes patients orientés ».

R-L4 (binding) and R-L5 (editable table) decide who may supervise the patient's confirmed
limitation level; the services enforce them, the pages only show them.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import ReadAudit
from audit.services import audit_read
from patients.selectors import patient_get_visible
from practitioners.http import AuthenticatedRequest
from prescriptions.models import Prescription
from prescriptions.rules import LimitationLevel
from prescriptions.selectors import (
    patient_limitation_level,
    supervisable_levels,
    supervising_professions,
)

from . import access
from .forms import OrientationForm
from .selectors import orientation_get, orientations_of, patients_oriented_to
from .services import MSG_ORIENT_NO_LEVEL, patient_orient, patient_orientation_revoke

PAGE_SIZE = 50


def patient_orientation(request: AuthenticatedRequest, pk) -> HttpResponse:
    """The patient's current orientations; a physician or admin of the structure orients."""
    patient = patient_get_visible(user=request.user, pk=pk)
    if not access.may_orient(request.user, patient):
        raise PermissionDenied(access.MSG_ORIENT_NOT_ALLOWED)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="orientation")
    level = patient_limitation_level(patient)
    supervising = frozenset(supervising_professions(level)) if level is not None else frozenset()
    form = OrientationForm(
        request.POST if request.method == "POST" else None, supervising=supervising
    )
    if request.method == "POST" and form.is_valid():
        try:
            patient_orient(
                patient=patient, professional=form.cleaned_data["professional"], by=request.user
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("Le patient est orienté vers %(name)s.")
                % {"name": form.cleaned_data["professional"].display_name},
            )
            return redirect("dispensing:orientation", pk=patient.pk)
    context = {
        "patient": patient,
        "level": level,
        "level_label": LimitationLevel(level).label if level is not None else None,
        "no_level_message": MSG_ORIENT_NO_LEVEL,
        "orientations": orientations_of(patient),
        "form": form,
    }
    return render(
        request, "dispensing/orientation.html", context, status=400 if form.errors else 200
    )


@require_POST
def orientation_end(request: AuthenticatedRequest, pk, grant_id: int) -> HttpResponse:
    patient = patient_get_visible(user=request.user, pk=pk)
    if not access.may_orient(request.user, patient):
        raise PermissionDenied(access.MSG_ORIENT_NOT_ALLOWED)
    grant = orientation_get(patient=patient, pk=grant_id)
    if grant is None:
        raise Http404("No such orientation")
    try:
        patient_orientation_revoke(grant=grant, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("L'orientation vers %(name)s a pris fin.") % {"name": grant.user}
        )
    if request.POST.get("retour") == "dossier":  # the button of the patient's record page
        return redirect(patient)
    return redirect("dispensing:orientation", pk=patient.pk)


def supervised_patients(request: AuthenticatedRequest) -> HttpResponse:
    """« Mes patients orientés »: the dispenser's patients with their limitation level and
    whether the dispenser may supervise it (R-L4, R-L5). Never the NIR."""
    if not access.may_see_oriented_patients(request.user):
        raise PermissionDenied(access.MSG_NOT_DISPENSER_PAGE)
    # Queries: the page of patients with their level (one subquery), its count, the rules.
    page = Paginator(patients_oriented_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    levels = supervisable_levels(request.user)  # R-L4, R-L5
    # One read for the page, naming the patients shown (with their level).
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=(patient.pk for patient in page.object_list),
        detail="patients orientés",
    )
    today = timezone.localdate()
    rows = [
        {
            "patient": patient,
            "level": patient.limitation_level,
            "level_label": (
                LimitationLevel(patient.limitation_level).label
                if patient.limitation_level is not None
                else None
            ),
            "may_supervise": patient.limitation_level in levels,
            "status_label": (
                Prescription.Status(patient.prescription_status).label
                if patient.prescription_status
                else ""
            ),
            "end": patient.prescription_end,
            # Ended: expired by the nightly task, or past its end since (R-P2).
            "ended": patient.prescription_status == Prescription.Status.EXPIRED
            or (patient.prescription_end is not None and patient.prescription_end < today),
            "severe": patient.limitation_level == LimitationLevel.SEVERE,
        }
        for patient in page
    ]
    return render(request, "dispensing/supervised.html", {"page": page, "rows": rows})
