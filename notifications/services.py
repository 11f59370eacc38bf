"""Writes of notifications (R-R7: the prescriber is informed of a renewal or an adaptation).

The in-app notification carries the details behind the login; the e-mail that announces it
carries no health data at all: no patient, no reference, no recommendation, only a link to log in.
"""

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bilans.models import EntryBilan, ExitBilan, ProgressReport
from pathway.models import Booking, PathwayPrescription
from pathway.rules import PATHWAY_PROFESSIONS
from practitioners.models import Profession, User
from prescriptions.models import Prescription, Renewal
from programmes.models import Enrolment, Offer, Referral

from .models import Notification

logger = logging.getLogger(__name__)

# Keyed by the model's value (a str): a Renewal.Kind is one.
KIND_OF_RENEWAL: dict[str, Notification.Kind] = {
    Renewal.Kind.RENEWAL: Notification.Kind.PRESCRIPTION_RENEWED,
    Renewal.Kind.ADAPTATION: Notification.Kind.PRESCRIPTION_ADAPTED,
}


def inbox_url() -> str:
    """The absolute address of the inbox, for e-mails (settings.SITE_URL)."""
    site_url: str = settings.SITE_URL
    return site_url.rstrip("/") + reverse("notifications:inbox")


def notify_prescriber_of_renewal(renewal: Renewal) -> Notification:
    """R-R7: tell the prescribing physician, and only them, that their prescription was renewed.

    Received from `prescriptions.events.renewal_recorded`, sent inside `prescription_renew`'s
    transaction: the notification exists if and only if the renewal does. The e-mail leaves
    after the commit, so a rolled-back renewal sends nothing.
    """
    prescription = renewal.prescription
    recipient = prescription.prescriber
    notification, _ = Notification.objects.get_or_create(
        recipient=recipient,
        renewal=renewal,
        defaults={"prescription": prescription, "kind": KIND_OF_RENEWAL[renewal.kind]},
    )
    _email_after_commit(recipient, "renewal")
    return notification


def _email_after_commit(recipient: User, template: str, **context: str) -> None:
    """Announce a notification by e-mail, with no health data (the templates
    notifications/email/<template>_subject.txt and _body.txt: a greeting, what kind of notice
    waits, a link to log in). After the commit, so that a rolled-back change sends nothing, and
    robust: a mail server that is down must not turn a recorded change into a 500."""
    if not recipient.email:
        return
    email, context = recipient.email, {"display_name": recipient.display_name, **context}

    # A function, not a functools.partial: a robust on_commit logs a failure with the
    # callback's __qualname__, which a partial does not have.
    def send_after_commit() -> None:
        _send_email(email=email, template=template, context=context)

    transaction.on_commit(send_after_commit, robust=True)


def _send_email(*, email: str, template: str, context: dict[str, str]) -> None:
    context = {**context, "inbox_url": inbox_url()}
    subject = render_to_string(f"notifications/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"notifications/email/{template}_body.txt", context)
    send_mail(subject, body, None, [email])
    logger.info("Notification e-mail (%s) sent, with no health data.", template)


DOCUMENT_KINDS = {
    EntryBilan: Notification.DocumentKind.ENTRY,
    ProgressReport: Notification.DocumentKind.REPORT,
    ExitBilan: Notification.DocumentKind.EXIT,
}


def notify_physicians_of_document(
    document: EntryBilan | ExitBilan | ProgressReport,
) -> list[Notification]:
    """R-B4: a signed bilan or compte rendu goes to the prescriber and the médecin traitant
    ONLY with the patient's recorded agreement: an in-app notification each, and an e-mail with
    no health data (no patient, no result, only a link to log in).

    Received from `bilans.events.document_signed`, inside the signing transaction; the e-mails
    leave after the commit.
    """
    if not document.share_agreement:
        return []
    prescription = document.prescription
    recipients = {prescription.prescriber_id: prescription.prescriber}
    traitant = document.patient.physician_in_charge
    if traitant is not None:
        recipients.setdefault(traitant.pk, traitant)
    notifications = []
    for recipient in recipients.values():
        if not recipient.is_active:
            continue
        notification, _ = Notification.objects.get_or_create(
            recipient=recipient,
            document_id=document.pk,
            defaults={
                "prescription": prescription,
                "kind": Notification.Kind.DOCUMENT_SHARED,
                "document_kind": DOCUMENT_KINDS[type(document)],
            },
        )
        notifications.append(notification)
        _email_after_commit(recipient, "document")
    return notifications


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_mark_read_for_renewal(*, renewal: Renewal, user: User) -> int:
    """R-R7: the prescriber has read the renewal: its notification is read too."""
    return Notification.objects.filter(
        recipient=user, renewal=renewal, read_at__isnull=True
    ).update(read_at=renewal.prescriber_read_at or timezone.now())


def _notify(
    *,
    recipients: Sequence[User | None],
    kind: str,
    prescription: Prescription | None = None,
    pathway: PathwayPrescription | None = None,
    offer: Offer | None = None,
) -> list[Notification]:
    """One in-app notification per active recipient (deduplicated), announced by an e-mail
    with no health data. `offer`: the offer's page is where they go (the offer's side); none:
    the patient's record (the prescriber)."""
    seen: set[int] = set()
    notifications = []
    for recipient in recipients:
        if recipient is None or not recipient.is_active or recipient.pk in seen:
            continue
        seen.add(recipient.pk)
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            prescription=prescription,
            pathway=pathway,
            offer_id=offer.pk if offer is not None else None,
        )
        notifications.append(notification)
        # The programmes' and the pathway's notices reach people who are not at their screen
        # (a coordinator at the gym, a prescriber between consultations): the e-mail names the
        # kind of notice only, never the patient nor the offer.
        _email_after_commit(recipient, "notice", what=str(notification.get_kind_display()))
    return notifications


def _offer_side(offer: Offer) -> list[User | None]:
    """Who runs an offer: its coordinator, else its supervisors."""
    if offer.coordinator is not None:
        return [offer.coordinator]
    return list(offer.supervisors.all())


def notify_offer_of_referral(referral: Referral) -> list[Notification]:
    """A patient was oriented to the offer: its side is told."""
    return _notify(
        recipients=_offer_side(referral.offer),
        kind=Notification.Kind.PROGRAMME_REFERRAL,
        prescription=referral.prescription,
        offer=referral.offer,
    )


def notify_prescriber_of_decision(referral: Referral) -> list[Notification]:
    """The referral was accepted or refused (with a reason): who oriented is told."""
    return _notify(
        recipients=[referral.sent_by],
        kind=Notification.Kind.PROGRAMME_DECISION,
        prescription=referral.prescription,
    )


def _notify_offer_side_and_prescriber(enrolment: Enrolment, kind: str) -> list[Notification]:
    """The offer's side (with the offer) and the prescriber of the enrolment's prescription."""
    offer, prescription = enrolment.offer, enrolment.prescription
    return _notify(
        recipients=_offer_side(offer), kind=kind, prescription=prescription, offer=offer
    ) + _notify(recipients=[prescription.prescriber], kind=kind, prescription=prescription)


def notify_seat_offered(enrolment: Enrolment) -> list[Notification]:
    """A freed seat went to the first of the waiting list: the offer's side (to welcome the
    patient) and the prescriber are told."""
    return _notify_offer_side_and_prescriber(enrolment, Notification.Kind.PROGRAMME_SEAT)


def notify_dropout(enrolment: Enrolment) -> list[Notification]:
    """N sessions missed in a row: the coordinator and the prescriber are alerted."""
    return _notify_offer_side_and_prescriber(enrolment, Notification.Kind.PROGRAMME_DROPOUT)


def notify_structure_of_pathway(pathway: PathwayPrescription) -> list[Notification]:
    """A post-cancer pathway was prescribed to a conventioned structure (R-C1): its staff, who
    book the bilans (R-C2), are told; a structure without staff, its pathway professionals."""
    members = User.objects.filter(structure_id=pathway.structure_id, is_active=True)
    staff = list(members.filter(profession=Profession.ADMIN_STAFF).order_by("pk"))
    recipients = staff or list(members.filter(profession__in=PATHWAY_PROFESSIONS).order_by("pk"))
    return _notify(
        recipients=recipients, kind=Notification.Kind.PATHWAY_PRESCRIBED, pathway=pathway
    )


def notify_professional_of_booking(booking: Booking) -> list[Notification]:
    """A bilan or consultation of the pathway was booked with a professional (R-C2, R-C3): they
    are told, unless they booked it themselves."""
    if booking.professional_id == booking.booked_by_id:
        return []
    return _notify(
        recipients=[booking.professional],
        kind=Notification.Kind.PATHWAY_BOOKED,
        pathway=booking.pathway,
    )
