from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import renewals_unread_by


def renewals(request: HttpRequest) -> dict:
    """R-R7: the ids of the prescriptions whose renewal the prescriber has not read, for the
    flag « non lue » on the lists' rows (`renewal_unread_badge`).

    Only a physician prescribes, so nobody else pays a query; lazy: a page that shows no list
    costs nothing.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_physician:
        return {}
    return {
        "renewals_unread_prescription_ids": SimpleLazyObject(
            lambda: set(renewals_unread_by(user).values_list("prescription_id", flat=True))
        ),
    }
