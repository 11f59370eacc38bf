"""What the notifications app does when the apps below tell it something (their domain events,
connected in NotificationsConfig.ready())."""

from prescriptions.models import Renewal

from . import services
from .services import (
    notification_mark_read_for_renewal,
    notify_physicians_of_document,
    notify_prescriber_of_renewal,
)


def on_renewal_recorded(sender, *, renewal: Renewal, **kwargs) -> None:
    notify_prescriber_of_renewal(renewal)  # R-R7


def on_renewal_read(sender, *, renewal: Renewal, by, **kwargs) -> None:
    notification_mark_read_for_renewal(renewal=renewal, user=by)


def on_document_signed(sender, *, document, **kwargs) -> None:
    notify_physicians_of_document(document)  # R-B4


def on_referral_sent(sender, *, referral, **kwargs) -> None:
    services.notify_offer_of_referral(referral)


def on_referral_decided(sender, *, referral, **kwargs) -> None:
    services.notify_prescriber_of_decision(referral)


def on_seat_offered(sender, *, enrolment, **kwargs) -> None:
    services.notify_seat_offered(enrolment)


def on_dropout_detected(sender, *, enrolment, **kwargs) -> None:
    services.notify_dropout(enrolment)


def on_pathway_prescribed(sender, *, pathway, **kwargs) -> None:
    services.notify_structure_of_pathway(pathway)


def on_booking_created(sender, *, booking, **kwargs) -> None:
    services.notify_professional_of_booking(booking)
