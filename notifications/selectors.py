"""Reads of notifications, scoped to their recipient."""

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from practitioners.models import User

from .models import Notification


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's inbox: unread first, then the newest."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("prescription__patient", "pathway__patient", "renewal")
        .annotate(unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
        .order_by("-unread", "-created_at", "-pk")
    )


def unread_notification_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
