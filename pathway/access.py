"""Who may do what with the post-cancer pathway (R-C1 to R-C3), need-to-know:

- the cancer episode: a physician of the patient's care team (who sees the patient);
- the prescription: an oncologist, a paediatrician or the médecin traitant of the care team;
- bookings, « réalisé / non réalisé »: the delivering structure's staff and its pathway
  professionals (APA, dietitians, psychologists), for the pathways the structure delivers;
- the ledger: those, and the physicians of the patient's care team;
- the list of the structure's pathways: its staff and its pathway professionals;
- the statements and the ARS export: the delivering structure's administrative staff.
"""

from django.utils.translation import gettext_lazy as _

from patients.access import is_active_user
from patients.models import Patient
from patients.selectors import patient_is_visible
from practitioners.models import Profession, User

from . import rules
from .models import PathwayPrescription

MSG_EPISODE_NOT_ALLOWED = _(
    "Seul un médecin de l'équipe de soins du patient enregistre un épisode de cancer."
)
MSG_PRESCRIBE_NOT_ALLOWED = _(
    "Le parcours de soins global après un cancer est prescrit par l'oncologue, le pédiatre ou le "
    "médecin traitant du patient (art. R. 1415-1-11 du CSP)."
)
MSG_BOOK_NOT_ALLOWED = _(
    "Seuls le personnel et les professionnels du parcours de la structure qui le réalise "
    "réservent et renseignent les bilans et consultations."
)
MSG_MAY_NOT_READ = _(
    "Le suivi du parcours est réservé à la structure qui le réalise et aux médecins de l'équipe "
    "de soins du patient."
)
MSG_STRUCTURE_PATHWAYS_NOT_ALLOWED = _(
    "La liste des parcours d'une structure est réservée à son personnel et aux professionnels "
    "du parcours qui y exercent."
)
MSG_STATEMENTS_NOT_ALLOWED = _(
    "Les états des sommes dues et l'export pour l'ARS sont réservés au personnel administratif "
    "de la structure conventionnée."
)


def is_care_team_physician(user: User, patient: Patient, *, visible: bool | None = None) -> bool:
    """A physician who sees the patient (`visible`: already checked by the caller)."""
    if not (is_active_user(user) and user.is_physician):
        return False
    return visible if visible is not None else patient_is_visible(user=user, patient=patient)


def may_record_episode(user: User, patient: Patient) -> bool:
    return is_care_team_physician(user, patient)


def may_prescribe(user: User, patient: Patient, *, visible: bool | None = None) -> bool:
    """R-C1: an oncologist, a paediatrician or the médecin traitant, of the care team."""
    if not is_care_team_physician(user, patient, visible=visible):
        return False
    return rules.may_prescribe_pathway(
        specialty=user.specialty,
        is_physician=user.is_physician,
        is_medecin_traitant=user.pk == patient.physician_in_charge_id,
    )


def is_delivery_member(user: User, structure_id: int | None) -> bool:
    """Staff or a pathway professional of the structure `structure_id`."""
    return bool(
        is_active_user(user)
        and user.structure_id is not None
        and user.structure_id == structure_id
        and (
            user.profession == Profession.ADMIN_STAFF
            or user.profession in rules.PATHWAY_PROFESSIONS
        )
    )


def may_book(user: User, pathway: PathwayPrescription) -> bool:
    return is_delivery_member(user, pathway.structure_id)


def may_see_pathway(user: User, pathway: PathwayPrescription) -> bool:
    if may_book(user, pathway):
        return True
    return is_care_team_physician(user, pathway.patient)


def may_prescribe_from_project(user: User, pathway: PathwayPrescription) -> bool:
    """R-C4: a physician of the patient's care team may start an APA prescription from the
    pathway's « projet d'activité physique adaptée » (the prescription form checks R-P1)."""
    return is_care_team_physician(user, pathway.patient)


def may_see_structure_pathways(user: User) -> bool:
    """The list of the pathways the user's structure delivers: its staff and its pathway
    professionals."""
    return is_delivery_member(user, user.structure_id)


def may_see_statements(user: User, structure_id: int | None) -> bool:
    return bool(
        is_active_user(user)
        and user.profession == Profession.ADMIN_STAFF
        and user.structure_id is not None
        and user.structure_id == structure_id
    )
