"""Who may do what with group programmes: orient a patient to an offer, manage an offer
(decide referrals, enrol, take the roll call, record follow-ups)."""

from django.utils.translation import gettext_lazy as _

from dispensing.access import may_orient
from patients.access import is_active_user
from patients.models import Patient
from practitioners.models import Profession, User

from .models import Offer

MSG_ORIENT_NOT_ALLOWED = _(
    "Seuls les médecins de l'équipe de soins et le personnel administratif de la structure "
    "peuvent orienter ce patient vers un programme."
)
MSG_MANAGE_NOT_ALLOWED = _(
    "Seuls le coordinateur, les intervenants du programme et le personnel administratif de sa "
    "structure peuvent gérer ce programme."
)
MSG_PUBLISH_NOT_ALLOWED = _(
    "Seul le personnel administratif d'une structure peut publier ses programmes."
)
MSG_EDIT_NOT_ALLOWED = _(
    "Seul le personnel administratif de la structure qui publie ce programme peut le modifier."
)


def may_orient_to_offer(user: User, patient: Patient, *, visible: bool | None = None) -> bool:
    """The physicians of the care team and the admin staff of the patient's structure (the
    rule of the orientation to a named professional, dispensing.access)."""
    return may_orient(user, patient, visible=visible)


def may_manage_offer(user: User, offer: Offer, *, supervisor_ids: set[int] | None = None) -> bool:
    """The offer's coordinator, its supervisors, the admin staff of its structure.

    `supervisor_ids`: the offer's supervisors when the caller already read them (lists)."""
    if not is_active_user(user):
        return False
    if user.is_superuser or user.pk == offer.coordinator_id:
        return True
    if user.profession == Profession.ADMIN_STAFF and user.structure_id == offer.structure_id:
        return True
    if supervisor_ids is None:
        return offer.supervisors.filter(pk=user.pk).exists()
    return user.pk in supervisor_ids


def may_coordinate(user: User) -> bool:
    """Who may coordinate an offer (receive its referrals, enrol, be alerted of drop-outs): the
    structure's admin staff or one of its dispensing professionals, never a physician (they
    prescribe and orient) nor an inactive account. The structure is checked by the service."""
    return is_active_user(user) and (user.profession == Profession.ADMIN_STAFF or user.is_dispenser)


def may_publish_offers(user: User) -> bool:
    """A structure's admin staff publishes its offers (and imports them from a CSV file)."""
    if not is_active_user(user):
        return False
    return user.is_superuser or (
        user.profession == Profession.ADMIN_STAFF and user.structure_id is not None
    )


def may_publish_offers_for(user: User, structure_id: int | None) -> bool:
    """A publisher publishes for their own structure only (a superuser for any)."""
    if structure_id is None or not may_publish_offers(user):
        return False
    return user.is_superuser or user.structure_id == structure_id


def may_edit_offer(user: User, offer: Offer) -> bool:
    """Who may change an offer's content (title, levels, supervisors, dates, créneaux,
    capacity): those who may publish it, i.e. the admin staff of its structure (a superuser).

    Narrower than `may_manage_offer`: the coordinator and the supervisors run the programme
    (referrals, roll calls, follow-ups); what the structure publishes is its staff's decision.
    """
    return may_publish_offers_for(user, offer.structure_id)
