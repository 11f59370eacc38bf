from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import unread_notification_count


def notifications(request: HttpRequest) -> dict:
    """The unread count for the navbar.

    Everyone may receive one: the prescriber (R-R7, R-B4, the programmes' answers and alerts),
    the offer's side of a group programme (referrals, freed seats, drop-outs), whatever their
    profession. Lazy: a page that does not show it costs nothing.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notification_count": SimpleLazyObject(lambda: unread_notification_count(user))}
