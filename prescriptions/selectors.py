"""Reads of prescriptions, already scoped to what the user may see (need-to-know).

- superusers see every prescription;
- a draft is seen by its prescriber only;
- physicians and admin staff see the issued prescriptions of the patients they may see
  (patients.selectors), and physicians every prescription they signed;
- a practitioner granted one prescription through the look-up (a physiotherapist) sees that
  prescription only; one granted the whole patient (an orientation) sees the patient's issued
  prescriptions.
"""

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from audit.models import ReadAudit
from audit.services import audit_read
from patients.models import CareTeamGrant, Patient
from patients.selectors import STRUCTURE_WIDE_PROFESSIONS, active_grants, patients_visible_to
from practitioners.models import Profession, User

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
        # The prescription's copy of its patient's structure: no join to the patients (issue 8).
        visible |= Q(structure_id=user.structure_id)
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


def user_may_prescribe_for(user: User, patient: Patient) -> bool:
    """R-P1 and need-to-know: a physician prescribes only for a patient of their care team.

    The care team is the registering structure's practitioners plus those explicitly granted
    (patients.selectors.patients_visible_to). A superuser who is not a physician may not
    prescribe (R-P1).
    """
    if not (user.is_authenticated and user.is_active and user.profession == Profession.PHYSICIAN):
        return False
    return patients_visible_to(user).filter(pk=patient.pk).exists()


def latest_confirmed_level(
    patient_ref: str = "pk", *, among: QuerySet[Prescription] | None = None
) -> Subquery:
    """Subquery: the level the physician confirmed (R-L2) on the patient's latest signed
    prescription, for `.annotate()` on a Patient queryset (`patient_ref` names its key).

    The latest: prescribed last, then signed last. `among` narrows which prescriptions count
    (a physician's dashboard counts only their own).
    """
    source = Prescription.objects.all() if among is None else among
    return Subquery(
        source.filter(
            patient_id=OuterRef(patient_ref),
            status__in=Prescription.SIGNED_STATUSES,
            assessment__isnull=False,
        )
        .order_by("-prescribed_on", "-issued_at")
        .values("assessment__confirmed_level")[:1]
    )


def patient_limitation_level(patient: Patient) -> int | None:
    """The confirmed level of the patient's latest signed prescription, or None."""
    return (
        Patient.objects.filter(pk=patient.pk)
        .annotate(level=latest_confirmed_level())
        .values_list("level", flat=True)
        .first()
    )


def supervisable_levels(user: User) -> frozenset[int]:
    """R-L4/R-L5: every level `user` may supervise, in one query (for lists)."""
    levels = SupervisionRule.objects.filter(profession=user.profession).values_list(
        "level", flat=True
    )
    return frozenset(
        level
        for level in levels
        if supervision_is_allowed_at_all(level=level, profession=user.profession)
    )


def patients_oriented_to(user: User) -> QuerySet[Patient]:
    """The patients oriented to `user` (active orientation grants), each annotated with
    `limitation_level`: the confirmed level of their latest signed prescription (or None)."""
    if not (user.is_authenticated and user.is_active):
        return Patient.objects.none()
    oriented = active_grants(user).filter(reason=CareTeamGrant.Reason.ORIENTATION)
    return (
        Patient.objects.filter(pk__in=oriented.values("patient_id"))
        .defer("nir")  # need-to-know: a dispenser never gets the NIR
        .annotate(limitation_level=latest_confirmed_level())
        .order_by("birth_name", "first_names")
    )


def orientations_of(patient: Patient) -> QuerySet[CareTeamGrant]:
    """The active orientations of a patient, with the professional and who oriented."""
    return (
        CareTeamGrant.objects.filter(
            patient=patient, reason=CareTeamGrant.Reason.ORIENTATION, revoked_at__isnull=True
        )
        .select_related("user__structure", "granted_by")
        .order_by("granted_at")
    )
