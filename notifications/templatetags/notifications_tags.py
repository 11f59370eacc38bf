from django import template

register = template.Library()


@register.inclusion_tag("notifications/_renewal_unread_badge.html", takes_context=True)
def renewal_unread_badge(context, prescription) -> dict:
    """The flag « Renouvelée par un kinésithérapeute — non lue » on a prescriber's list row.

    Uses the context processor's lazy set: one query per page, whatever the number of rows.
    """
    unread = context.get("renewals_unread_prescription_ids") or ()
    return {"show": prescription.pk in unread}
