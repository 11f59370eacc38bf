"""Who may do what on the dispensing side: orient a patient, see « Mes patients orientés »."""

from django.utils.translation import gettext_lazy as _

from patients import access as patient_access
from patients.models import Patient
from patients.selectors import patient_is_visible
from practitioners.models import Profession, User

MSG_ORIENT_NOT_ALLOWED = _(
    "Seuls les médecins de l'équipe de soins et le personnel administratif de la structure "
    "peuvent orienter ce patient."
)
MSG_NOT_DISPENSER_PAGE = _(
    "Cette page liste les patients orientés vers un intervenant en activité physique adaptée : "
    "elle est réservée aux intervenants (art. D. 1172-2 du CSP)."
)


def may_orient(user: User, patient: Patient, *, visible: bool | None = None) -> bool:
    """Who may orient a patient to a dispenser (or end an orientation).

    The physicians of the patient's care team (their structure or an explicit grant, such as
    the prescriber) and the admin staff of the registering structure. `visible`: as for
    `prescriptions.access.may_prescribe_for`.
    """
    if not patient_access.is_active_user(user):
        return False
    if user.is_superuser:
        return True
    if user.profession == Profession.PHYSICIAN:
        return patient_is_visible(user=user, patient=patient) if visible is None else visible
    return patient_access.may_edit_patient(user, patient)


def may_see_oriented_patients(user: User) -> bool:
    """« Mes patients orientés » is the dispensers' own list (CSP D.1172-2)."""
    return patient_access.is_active_user(user) and user.is_dispenser
