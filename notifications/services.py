"""Writes of notifications (R-R7: the prescriber is informed of a renewal or an adaptation).

The in-app notification carries the details behind the login; the e-mail that announces it
carries no health data at all: no patient, no reference, no recommendation, only a link to log in.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from practitioners.models import User
from prescriptions.models import Renewal

from .models import Notification

logger = logging.getLogger(__name__)

KIND_OF_RENEWAL = {
    Renewal.Kind.RENEWAL: Notification.Kind.PRESCRIPTION_RENEWED,
    Renewal.Kind.ADAPTATION: Notification.Kind.PRESCRIPTION_ADAPTED,
}


def inbox_url() -> str:
    """The absolute address of the inbox, for e-mails (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + reverse("notifications:inbox")


def notify_prescriber_of_renewal(renewal: Renewal) -> Notification:
    """R-R7: tell the prescribing physician, and only them, that their prescription was renewed.

    Called inside `prescription_renew`'s transaction: the notification exists if and only if the
    renewal does. The e-mail leaves after the commit, so a rolled-back renewal sends nothing.
    """
    prescription = renewal.prescription
    recipient = prescription.prescriber
    notification, _ = Notification.objects.get_or_create(
        recipient=recipient,
        renewal=renewal,
        defaults={"prescription": prescription, "kind": KIND_OF_RENEWAL[renewal.kind]},
    )
    if recipient.email:
        email, display_name = recipient.email, recipient.display_name

        def send_after_commit() -> None:
            _send_renewal_email(email=email, display_name=display_name)

        # robust: a mail server that is down must not turn a recorded renewal into a 500.
        transaction.on_commit(send_after_commit, robust=True)
    return notification


def _send_renewal_email(*, email: str, display_name: str) -> None:
    context = {"display_name": display_name, "inbox_url": inbox_url()}
    subject = render_to_string("notifications/email/renewal_subject.txt", context).strip()
    body = render_to_string("notifications/email/renewal_body.txt", context)
    send_mail(subject, body, None, [email])
    logger.info("Renewal e-mail sent to the prescriber (no health data).")


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def renewal_mark_read_by_prescriber(*, renewal: Renewal, user: User) -> bool:
    """The prescriber has seen what the physiotherapist changed: clear the flag and the inbox.

    Does nothing for anyone else (a colleague or the physiotherapist reading the same page), nor
    the second time. Returns whether it marked the renewal read.
    """
    if renewal.prescription.prescriber_id != user.pk or renewal.prescriber_read_at is not None:
        return False
    now = timezone.now()
    renewal.prescriber_read_at = now
    renewal.save(update_fields=["prescriber_read_at"])
    # Its notification is read too (it was created with the renewal, so it exists by now).
    Notification.objects.filter(recipient=user, renewal=renewal, read_at__isnull=True).update(
        read_at=now
    )
    return True
