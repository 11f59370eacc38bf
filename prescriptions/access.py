"""Who may do what with a prescription: every "may this user ...?" of the prescriptions app.

Views, services, templates and the admin ask these; what a user may see is scoped by
`selectors.prescriptions_visible_to`.
"""

from django.utils.translation import gettext_lazy as _

from patients.access import is_active_user, may_edit_patient
from patients.models import Patient
from patients.selectors import patient_is_visible
from practitioners.models import Profession, User

from .models import Prescription, SupervisionRule
from .rules import supervision_is_allowed_at_all

MSG_MAY_NOT_PRESCRIBE = _("Seul un médecin peut prescrire une activité physique adaptée.")
MSG_NOT_PRESCRIBER_EDIT = _("Seul le médecin prescripteur peut modifier ce brouillon.")
MSG_NOT_PRESCRIBER_CANCEL = _("Seul le médecin prescripteur peut annuler cette prescription.")
MSG_MAY_NOT_END_ACCESS = _(
    "Seuls les médecins de l'équipe de soins du patient et les administrateurs de sa structure "
    "peuvent mettre fin à l'accès d'un masseur-kinésithérapeute."
)
MSG_LOOKUP_NOT_PHYSIOTHERAPIST = _(
    "La recherche d'une prescription par sa référence est réservée aux masseurs-"
    "kinésithérapeutes, qui peuvent la renouveler ou l'adapter une fois (art. D. 1172-2-1 du "
    "CSP). Les médecins retrouvent les prescriptions dans le dossier de leurs patients."
)


def may_prescribe_for(user: User, patient: Patient, *, visible: bool | None = None) -> bool:
    """R-P1 and need-to-know: a physician prescribes only for a patient of their care team.

    The care team is the registering structure's practitioners plus those explicitly granted
    (patients.selectors.patients_visible_to). A superuser who is not a physician may not
    prescribe (R-P1). `visible`: whether `user` sees `patient`, when the caller has just read
    the patient through the user's scope (the record page); asked otherwise.
    """
    if not (is_active_user(user) and user.profession == Profession.PHYSICIAN):
        return False
    return patient_is_visible(user=user, patient=patient) if visible is None else visible


def is_prescriber(user: User, prescription: Prescription) -> bool:
    return bool(user.pk) and prescription.prescriber_id == user.pk


def may_edit_draft(user: User, prescription: Prescription) -> bool:
    """R-P4: only a draft is edited or signed, by its prescriber, while still in the patient's
    care team (a revoked grant leaves the draft theirs to cancel, not to sign)."""
    return (
        is_prescriber(user, prescription)
        and prescription.is_draft
        and may_prescribe_for(user, prescription.patient)
    )


def may_be_cancelled(prescription: Prescription) -> bool:
    """A draft, or an issued prescription not yet renewed (then withdrawn, with a reason)."""
    return prescription.status in (prescription.Status.DRAFT, prescription.Status.ISSUED)


def may_cancel(user: User, prescription: Prescription) -> bool:
    return is_prescriber(user, prescription) and may_be_cancelled(prescription)


def has_official_form(prescription: Prescription) -> bool:
    """Only a signed prescription has the official form (not a draft, not a cancelled one)."""
    return prescription.is_signed


def may_look_up(user: User) -> bool:
    """The look-up by reference opens a prescription to a physiotherapist (R-R1, R-R6)."""
    return is_active_user(user) and user.profession == Profession.PHYSIOTHERAPIST


def may_supervise(user: User, level: int) -> bool:
    """R-L4 (binding) and R-L5 (the editable table): may `user` supervise `level`?"""
    return SupervisionRule.objects.filter(level=level, profession=user.profession).exists() and (
        supervision_is_allowed_at_all(level=level, profession=user.profession)
    )


def may_end_access(user: User, patient: Patient, *, visible: bool | None = None) -> bool:
    """Who ends a physiotherapist's look-up access to one of the patient's prescriptions: the
    physicians of the patient's care team and the admin staff of the registering structure (as
    for an orientation). `visible`: as for `may_prescribe_for`."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    if user.profession == Profession.PHYSICIAN:
        return patient_is_visible(user=user, patient=patient) if visible is None else visible
    return user.profession == Profession.ADMIN_STAFF and may_edit_patient(user, patient)
