"""What the physiotherapist's part of a prescription page shows (`_renewal_actions.html`)."""

from typing import Any

from django import template
from django.utils import timezone

from prescriptions.models import Prescription, Renewal
from prescriptions.services import renewal_refusal

register = template.Library()


@register.simple_tag(takes_context=True)
def renewal_state(context, prescription: Prescription) -> dict:
    """The renewal if any; else, for a physiotherapist, whether they may renew and why not.

    The reasons come from `services.renewal_refusal` (R-R1 to R-R4): the template holds no rule.
    """
    try:
        renewal = prescription.renewal
    except Renewal.DoesNotExist:
        renewal = None
    request = context.get("request")
    user = getattr(request, "user", None)
    state: dict[str, Any] = {"renewal": renewal, "may_renew": False, "refusal_messages": []}
    if renewal is None and user is not None and user.is_authenticated and user.is_physiotherapist:
        refusal = renewal_refusal(
            prescription=prescription, physiotherapist=user, today=timezone.localdate()
        )
        state["may_renew"] = refusal is None
        state["refusal_messages"] = refusal.messages if refusal is not None else []
    state["is_prescriber"] = user is not None and prescription.prescriber_id == user.pk
    return state


@register.inclusion_tag("prescriptions/_renewal_unread_badge.html", takes_context=True)
def renewal_unread_badge(context, prescription) -> dict:
    """The flag « Renouvelée (or Adaptée) par un masseur-kinésithérapeute — non lue » on a
    prescriber's list row.

    Uses the context processor's lazy set: one query per page, whatever the number of rows.
    """
    unread = context.get("renewals_unread_prescription_ids") or ()
    return {"show": prescription.pk in unread, "adapted": prescription.status == "adapted"}
