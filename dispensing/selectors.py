"""Reads of the dispensing side: who a patient is oriented to, and a dispenser's patients."""

from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.db.models import QuerySet

from patients.access import is_active_user
from patients.models import CareTeamGrant, Patient
from patients.selectors import active_grants
from practitioners.models import User
from prescriptions.selectors import latest_confirmed_level, latest_signed

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LevelAnnotation(TypedDict):
    limitation_level: int | None
    prescription_status: str | None
    prescription_end: date | None


def patients_oriented_to(
    user: User,
) -> "QuerySet[WithAnnotations[Patient, LevelAnnotation]]":
    """The patients oriented to `user` (active orientation grants: direct or through a group
    programme, `CareTeamGrant.ORIENTED_REASONS`), each annotated with
    `limitation_level`: the confirmed level of their latest signed prescription (or None),
    and that prescription's `prescription_status` and `prescription_end` (its current end)."""
    if not is_active_user(user):
        return Patient.objects.none()  # type: ignore[return-value]  # empty: nothing to annotate
    oriented = active_grants(user).filter(reason__in=CareTeamGrant.ORIENTED_REASONS)
    return (
        Patient.objects.filter(pk__in=oriented.values("patient_id"))
        .defer("nir")  # need-to-know: a dispenser never gets the NIR
        .annotate(
            limitation_level=latest_confirmed_level(),
            prescription_status=latest_signed("status"),
            prescription_end=latest_signed("current_end_date"),
        )
        .order_by("birth_name", "first_names")
    )


def orientations_of(patient: Patient) -> QuerySet[CareTeamGrant]:
    """The active direct orientations of a patient (dispensing's own, which its page may end),
    with the professional and who oriented. A programme's team is not one of them: it follows
    the referral (programmes)."""
    return (
        CareTeamGrant.objects.filter(
            patient=patient, reason=CareTeamGrant.Reason.ORIENTATION, revoked_at__isnull=True
        )
        .select_related("user__structure", "granted_by")
        .order_by("granted_at")
    )


def orientation_get(*, patient: Patient, pk: int) -> CareTeamGrant | None:
    """An active orientation of `patient`, or None."""
    return orientations_of(patient).filter(pk=pk).first()
