"""Reads of prescriptions, already scoped to what the user may see (need-to-know).

- superusers see every prescription;
- a draft is seen by its prescriber only;
- physicians and admin staff see the issued prescriptions of the patients they may see
  (patients.selectors), and physicians every prescription they signed;
- a practitioner granted one prescription through the look-up (a physiotherapist) sees that
  prescription only; one granted the whole patient (an orientation) sees the patient's issued
  prescriptions.
"""

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from audit.models import ReadAudit
from audit.services import audit_read
from patients.selectors import STRUCTURE_WIDE_PROFESSIONS, active_grants
from practitioners.models import User

from .models import Prescription, SupervisionRule
from .rules import supervision_is_allowed_at_all


def prescriptions_visible_to(user: User) -> QuerySet[Prescription]:
    prescriptions = Prescription.objects.all()
    if not (user.is_authenticated and user.is_active):
        return prescriptions.none()
    if user.is_superuser:
        return prescriptions
    grants = active_grants(user)
    visible = Q(pk__in=grants.filter(prescription__isnull=False).values("prescription_id")) | Q(
        patient_id__in=grants.filter(prescription__isnull=True).values("patient_id")
    )
    if user.profession in STRUCTURE_WIDE_PROFESSIONS and user.structure_id:
        visible |= Q(patient__structure_id=user.structure_id)
    not_draft = ~Q(status=Prescription.Status.DRAFT)
    return prescriptions.filter((visible & not_draft) | Q(prescriber=user))


def prescription_get_for(
    request: HttpRequest, pk, *, audit: str | None = ReadAudit.Action.PRESCRIPTION_VIEW
) -> Prescription:
    """The one access helper for a prescription page: 404 unless the user may see it.

    Records the read in the audit (`audit=None` for a write that follows a recorded read).
    """
    prescription = get_object_or_404(
        prescriptions_visible_to(request.user).select_related(
            "patient", "prescriber__structure", "assessment", "renewal__physiotherapist"
        ),
        pk=pk,
    )
    if audit:
        audit_read(request, action=audit, prescription=prescription)
    return prescription


def supervising_professions(level: int) -> list[str]:
    """R-L4/R-L5: the professions the editable table lets supervise `level`.

    R-L4 stays binding whatever the table holds.
    """
    professions = SupervisionRule.objects.filter(level=level).values_list("profession", flat=True)
    return [p for p in professions if supervision_is_allowed_at_all(level=level, profession=p)]


def user_may_supervise(user: User, level: int) -> bool:
    return SupervisionRule.objects.filter(level=level, profession=user.profession).exists() and (
        supervision_is_allowed_at_all(level=level, profession=user.profession)
    )
