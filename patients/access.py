"""Who may do what with a patient's record: every "may this user ...?" of the patients app.

Views, services, templates and the admin ask these; the lists themselves are scoped by
`selectors.patients_visible_to` (the access model of the README's « Qui voit quoi »).
"""

from django.utils.translation import gettext_lazy as _

from practitioners.models import Profession, User

from .models import Patient

# Physicians and administrative staff see every patient of their structure; everyone else only
# the patients whose care team they were granted.
STRUCTURE_WIDE_PROFESSIONS = frozenset({Profession.PHYSICIAN, Profession.ADMIN_STAFF})
# Who reads the NIR: APA professionals see the limitation level, not the NIR (need-to-know).
NIR_READERS = frozenset({Profession.PHYSICIAN, Profession.ADMIN_STAFF, Profession.PHYSIOTHERAPIST})

MSG_MAY_NOT_CREATE = _(
    "Seuls les médecins et le personnel administratif d'une structure peuvent enregistrer un "
    "patient."
)
MSG_MAY_NOT_EDIT = _(
    "Seuls les médecins et le personnel administratif de la structure qui a enregistré ce "
    "patient peuvent modifier son dossier."
)


def is_active_user(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def sees_the_structure(user: User) -> bool:
    """Whether `user` sees every patient of their structure (beside the patients granted)."""
    return user.profession in STRUCTURE_WIDE_PROFESSIONS and bool(user.structure_id)


def may_see_nir(user: User) -> bool:
    return bool(user.is_superuser or user.profession in NIR_READERS)


def may_edit_patient(user: User, patient: Patient) -> bool:
    """Identity and eligibility are kept by the registering structure's physicians and staff."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return (
        user.profession in STRUCTURE_WIDE_PROFESSIONS
        and user.structure_id is not None
        and user.structure_id == patient.structure_id
    )


def may_create_patient(user: User) -> bool:
    """Whoever may edit a patient of their own structure may register one there."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return user.structure_id is not None and user.profession in STRUCTURE_WIDE_PROFESSIONS
