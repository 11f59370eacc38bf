"""Reads of prescriptions, already scoped to what the user may see (need-to-know).

- superusers see every prescription;
- a draft is seen by its prescriber only;
- physicians and admin staff see the issued prescriptions of the patients they may see
  (patients.selectors), and physicians every prescription they signed;
- a physiotherapist who looked a prescription up sees that prescription only
  (`PrescriptionAccess`); one granted the whole patient (prescriber, orientation:
  `CareTeamGrant.WHOLE_RECORD_REASONS`) sees the patient's issued prescriptions.
"""

from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from patients.access import is_active_user, sees_the_structure
from patients.models import CareTeamGrant, Patient
from patients.selectors import active_grants
from practitioners.models import User

from .models import Prescription, PrescriptionAccess, Renewal, SupervisionRule
from .rules import supervision_is_allowed_at_all


def prescriptions_visible_to(user: User) -> QuerySet[Prescription]:
    prescriptions = Prescription.objects.all()
    if not is_active_user(user):
        return prescriptions.none()
    if user.is_superuser:
        return prescriptions
    grants = active_grants(user)
    # A look-up opens its prescription while the look-up's membership of the care team is
    # active too: ending the membership ends the access (the patient's record decides).
    looked_up = PrescriptionAccess.objects.filter(
        user=user,
        revoked_at__isnull=True,
        prescription__patient_id__in=grants.filter(reason=CareTeamGrant.Reason.LOOKUP).values(
            "patient_id"
        ),
    )
    whole_records = grants.filter(reason__in=CareTeamGrant.WHOLE_RECORD_REASONS)
    visible = Q(pk__in=looked_up.values("prescription_id")) | Q(
        patient_id__in=whole_records.values("patient_id")
    )
    if sees_the_structure(user):
        # The prescription's copy of its patient's structure: no join to the patients.
        visible |= Q(structure_id=user.structure_id)
    not_draft = ~Q(status=Prescription.Status.DRAFT)
    return prescriptions.filter((visible & not_draft) | Q(prescriber=user))


def prescription_get_visible(*, user: User, pk: Any) -> Prescription:
    """The prescription `pk` if `user` may see it (404 otherwise: its existence is not told),
    with what its pages print."""
    return get_object_or_404(
        prescriptions_visible_to(user).select_related(
            "patient", "prescriber__structure", "assessment", "renewal__physiotherapist"
        ),
        pk=pk,
    )


def supervising_professions(level: int) -> list[str]:
    """R-L4/R-L5: the professions the editable table lets supervise `level`.

    R-L4 stays binding whatever the table holds.
    """
    professions = SupervisionRule.objects.filter(level=level).values_list("profession", flat=True)
    return [p for p in professions if supervision_is_allowed_at_all(level=level, profession=p)]


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


def latest_signed(field: str) -> Subquery:
    """Subquery: `field` of the patient's latest signed prescription (as latest_confirmed_level
    picks it), for `.annotate()` on a Patient queryset."""
    return Subquery(
        Prescription.objects.filter(
            patient_id=OuterRef("pk"),
            status__in=Prescription.SIGNED_STATUSES,
            assessment__isnull=False,
        )
        .order_by("-prescribed_on", "-issued_at")
        .values(field)[:1]
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


def renewals_unread_by(user: User) -> QuerySet[Renewal]:
    """R-R7: the renewals and adaptations of `user`'s prescriptions they have not read yet."""
    return Renewal.objects.filter(prescription__prescriber=user, prescriber_read_at__isnull=True)


def lookup_accesses_of(patient: Patient) -> QuerySet[PrescriptionAccess]:
    """The physiotherapists' look-up accesses to the patient's prescriptions, open ones first,
    ended ones kept (their history). For those who may end them (`access.may_end_access`)."""
    return (
        PrescriptionAccess.objects.filter(prescription__patient=patient)
        .select_related("user", "prescription")
        .order_by(F("revoked_at").desc(nulls_first=True), "-granted_at")
    )
