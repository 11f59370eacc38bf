from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import renewals_unread_by, unread_notification_count


def notifications(request: HttpRequest) -> dict:
    """The unread count for the navbar and the ids of the prescriptions to flag.

    Only physicians receive notifications (R-R7: the prescriber), so nobody else pays a query.
    Both values are lazy: a page that does not show them costs nothing.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_physician:
        return {}
    return {
        "unread_notification_count": SimpleLazyObject(lambda: unread_notification_count(user)),
        "renewals_unread_prescription_ids": SimpleLazyObject(
            lambda: set(renewals_unread_by(user).values_list("prescription_id", flat=True))
        ),
    }
