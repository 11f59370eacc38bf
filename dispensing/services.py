"""Writes of the dispensing side: orienting a patient to a dispenser of CSP D.1172-2, who may
supervise the patient's confirmed limitation level (R-L4 binding, R-L5 editable table)."""

from collections.abc import Collection
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import CareTeamGrant, Patient
from patients.services import care_team_grant
from practitioners.models import User
from prescriptions.access import may_supervise
from prescriptions.models import Prescription
from prescriptions.rules import LimitationLevel, supervision_is_allowed_at_all
from prescriptions.selectors import patient_limitation_level

from .access import MSG_ORIENT_NOT_ALLOWED, may_orient

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MSG_ORIENT_NOT_DISPENSER = _(
    "On ne peut orienter un patient que vers un intervenant en activité physique adaptée "
    "(masseur-kinésithérapeute, ergothérapeute, psychomotricien, enseignant en APA, éducateur "
    "sportif ou titulaire d'une certification fédérale, art. D. 1172-2 du CSP)."
)
MSG_ORIENT_INACTIVE = _("Ce compte est désactivé : il ne peut pas recevoir d'orientation.")
MSG_ORIENT_NO_LEVEL = _(
    "Le patient n'a pas encore de prescription émise : sa limitation fonctionnelle n'est pas "
    "connue, l'orientation n'est pas possible."
)
MSG_ORIENT_SEVERE = _(
    "La limitation fonctionnelle du patient est sévère : seuls les professionnels de santé "
    "(masseurs-kinésithérapeutes, ergothérapeutes, psychomotriciens) peuvent l'encadrer "
    "(art. D. 1172-3 du CSP)."
)
MSG_ORIENT_LEVEL = _(
    "Selon le tableau d'encadrement en vigueur, un(e) %(profession)s ne peut pas encadrer un "
    "patient dont la limitation fonctionnelle est « %(level)s »."
)
MSG_ORIENT_NOT_ACTIVE = _("Cette orientation a déjà pris fin.")


def _professional_error(message: "StrOrPromise", code: str, **params: Any) -> ValidationError:
    return ValidationError(
        {"professional": [ValidationError(message, code=code, params=params or None)]}
    )


@transaction.atomic
def patient_orient(*, patient: Patient, professional: User, by: User) -> CareTeamGrant:
    """Orient `patient` to the dispenser `professional`: a care-team grant (ORIENTATION).

    Refuses a non-dispenser (D.1172-2) and a professional who may not supervise the confirmed
    limitation level of the patient's latest signed prescription: R-L4 (binding) for a severe
    limitation, the editable R-L5 table otherwise. Idempotent; re-activates an ended one.
    """
    if not may_orient(by, patient):
        raise ValidationError(MSG_ORIENT_NOT_ALLOWED, code="orient_not_allowed")
    if not professional.is_dispenser:
        raise _professional_error(MSG_ORIENT_NOT_DISPENSER, "orient_not_dispenser")
    if not professional.is_active:
        raise _professional_error(MSG_ORIENT_INACTIVE, "orient_inactive")
    level = patient_limitation_level(patient)
    if level is None:
        raise ValidationError(MSG_ORIENT_NO_LEVEL, code="orient_no_level")
    if not supervision_is_allowed_at_all(level=level, profession=professional.profession):
        raise _professional_error(MSG_ORIENT_SEVERE, "orient_severe")  # R-L4 (binding)
    if not may_supervise(professional, level):  # R-L5 (editable table)
        raise _professional_error(
            MSG_ORIENT_LEVEL,
            "orient_level",
            profession=professional.get_profession_display().lower(),
            level=LimitationLevel(level).label.lower(),
        )
    grant = care_team_grant(
        patient=patient,
        user=professional,
        reason=CareTeamGrant.Reason.ORIENTATION,
        granted_by=by,
    )
    if grant.granted_by_id != by.pk:
        grant.granted_by = by
        grant.save(update_fields=["granted_by"])
    return grant


@transaction.atomic
def patient_orientation_revoke(*, grant: CareTeamGrant, by: User) -> CareTeamGrant:
    """End an orientation: the grant is kept (history) with `revoked_at` set."""
    locked = CareTeamGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.reason != CareTeamGrant.Reason.ORIENTATION or not may_orient(by, locked.patient):
        raise ValidationError(MSG_ORIENT_NOT_ALLOWED, code="orient_not_allowed")
    if locked.revoked_at is not None:
        raise ValidationError(MSG_ORIENT_NOT_ACTIVE, code="orient_not_active")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    return locked


@transaction.atomic
def orientations_end_without_prescription(
    *, patient_ids: Collection[Any] | None = None, today: date | None = None
) -> int:
    """End the orientations of the patients who have no prescription in force any more
    (need-to-know: an orientation follows a running prescription): none signed and not
    withdrawn whose end, renewal included, is less than APA_GRANT_DAYS_AFTER_END days ago. Run
    when a prescription is withdrawn (`patient_ids`: its patient) and by the daily job (every
    patient). Never deleted: `revoked_at` is set, the history keeps it. Returns how many
    ended."""
    today = today or timezone.localdate()
    last_day = today - timedelta(days=settings.APA_GRANT_DAYS_AFTER_END)
    in_force = Prescription.objects.filter(
        patient_id=OuterRef("patient_id"),
        status__in=Prescription.SIGNED_STATUSES,
        current_end_date__gte=last_day,
    )
    # A group programme's team (PROGRAMME) too: no access outlives the prescriptions in force,
    # whatever path granted it (a new referral grants it again). Ending one orientation by hand
    # (`patient_orientation_revoke`) stays the direct orientation's only.
    grants = CareTeamGrant.objects.filter(
        reason__in=CareTeamGrant.ORIENTED_REASONS, revoked_at__isnull=True
    ).exclude(Exists(in_force))
    if patient_ids is not None:
        grants = grants.filter(patient_id__in=list(patient_ids))
    now = timezone.now()
    count = 0
    for grant in grants.select_for_update():
        grant.revoked_at = now
        grant.save(update_fields=["revoked_at"])  # one save each: the history keeps it
        count += 1
    return count
