"""Who may record and who may read the bilans and comptes rendus (CSP D.1172-5).

- records: the dispensing professional the patient is oriented to (an active ORIENTATION
  grant, or PROGRAMME: a group programme's team; `CareTeamGrant.ORIENTED_REASONS`) whose
  profession may supervise the patient's current limitation level (R-L4 binding, R-L5 table);
- reads: the professionals who record, every signed document; the author, their drafts; the
  prescriber of the document's prescription and the patient's médecin traitant
  (`Patient.physician_in_charge`), the signed documents the patient agreed to send them (R-B4);
- nobody else (superusers and structure staff included: need-to-know).
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from patients.access import is_active_user
from patients.models import CareTeamGrant, Patient
from practitioners.models import User
from prescriptions.access import may_supervise
from prescriptions.models import Prescription
from prescriptions.selectors import patient_limitation_level

MSG_NOT_ORIENTED = _(
    "Seul l'intervenant en activité physique adaptée vers qui le patient est orienté, et dont "
    "la profession peut encadrer son niveau de limitation fonctionnelle, rédige ses bilans et "
    "comptes rendus (art. D. 1172-3 et D. 1172-5 du CSP)."
)
MSG_MAY_NOT_READ = _(
    "Les bilans et comptes rendus sont réservés à l'intervenant qui suit le patient, au médecin "
    "prescripteur et au médecin traitant (art. D. 1172-5 du CSP)."
)
MSG_NOT_SHARED = _(
    "Le patient n'a pas donné son accord pour que ce document soit transmis à son médecin "
    "prescripteur et à son médecin traitant (art. D. 1172-5 du CSP)."
)
MSG_DRAFT_AUTHOR_ONLY = _("Ce brouillon n'est visible que par l'intervenant qui le rédige.")


def is_oriented(user: User, patient: Patient) -> bool:
    """An active orientation of `patient` to `user`: direct (dispensing.services.patient_orient)
    or to a group programme `user` runs (programmes.services.referral_send)."""
    return (
        is_active_user(user)
        and user.is_dispenser
        and CareTeamGrant.objects.filter(
            patient=patient,
            user=user,
            reason__in=CareTeamGrant.ORIENTED_REASONS,
            revoked_at__isnull=True,
        ).exists()
    )


def may_record(user: User, patient: Patient, *, level: int | None = -1) -> bool:
    """R-B1, R-B2, R-B3 by the professional who supervises the patient: oriented to them, and
    allowed to supervise the patient's confirmed level (R-L4 binding, R-L5 table).

    `level`: the patient's level when the caller has it (-1: read it here)."""
    if not is_oriented(user, patient):
        return False
    if level == -1:
        level = patient_limitation_level(patient)
    return level is not None and may_supervise(user, level)


def is_reader_physician(user: User, patient: Patient, *, prescriber_id: object = None) -> bool:
    """The médecin traitant of the patient, or the prescriber of the document's prescription."""
    if not (is_active_user(user) and user.is_physician):
        return False
    return user.pk == patient.physician_in_charge_id or (
        prescriber_id is not None and user.pk == prescriber_id
    )


def may_read_document(user: User, document: Any, *, recorder: bool | None = None) -> bool:
    """Who reads one bilan or compte rendu. R-B4: a physician reads a signed document only with
    the patient's agreement to send it. `recorder`: `may_record(user, patient)` when known."""
    if not is_active_user(user):
        return False
    if not document.is_signed:
        return bool(user.pk == document.author_id)
    if user.pk == document.author_id:
        return True
    if recorder is None:
        recorder = may_record(user, document.patient)
    if recorder:
        return True
    return bool(document.share_agreement) and is_reader_physician(
        user, document.patient, prescriber_id=document.prescription.prescriber_id
    )


def physician_refusal(user: User, document: Any) -> str | None:
    """Why a reader physician does not read `document` (not shared, a draft), or None."""
    if not is_reader_physician(
        user, document.patient, prescriber_id=document.prescription.prescriber_id
    ):
        return None
    if not document.is_signed:
        return str(MSG_DRAFT_AUTHOR_ONLY)
    if not document.share_agreement:
        return str(MSG_NOT_SHARED)
    return None


def is_patient_prescriber(user: User, patient: Patient) -> bool:
    return (
        is_active_user(user)
        and user.is_physician
        and Prescription.objects.filter(
            patient=patient, prescriber=user, status__in=Prescription.SIGNED_STATUSES
        ).exists()
    )


def may_see_patient_bilans(user: User, patient: Patient, *, recorder: bool | None = None) -> bool:
    """The patient's bilans page: the professional who records, the médecin traitant and the
    physicians who prescribed for the patient (each then sees what they may read)."""
    if recorder is None:
        recorder = may_record(user, patient)
    return recorder or is_reader_physician(user, patient) or is_patient_prescriber(user, patient)
