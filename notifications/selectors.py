"""Reads of notifications, scoped to their recipient."""

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from practitioners.models import User
from prescriptions.models import Renewal

from .models import Notification


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's inbox: unread first, then the newest."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("prescription__patient", "renewal")
        .annotate(unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
        .order_by("-unread", "-created_at", "-pk")
    )


def unread_notification_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def renewals_unread_by(user: User) -> QuerySet[Renewal]:
    """The renewals and adaptations of `user`'s prescriptions they have not read yet."""
    return Renewal.objects.filter(prescription__prescriber=user, prescriber_read_at__isnull=True)
