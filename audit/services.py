"""Recording reads. Called by the access helpers, so a page that fetches a record through them
is audited without further thought."""

from django.http import HttpRequest

from .models import ReadAudit


def client_ip(request: HttpRequest) -> str | None:
    # Behind the production reverse proxy, REMOTE_ADDR is set from X-Forwarded-For by it.
    return request.META.get("REMOTE_ADDR") or None


def audit_read(
    request: HttpRequest,
    *,
    action: str,
    patient=None,
    prescription=None,
    detail: str = "",
) -> ReadAudit:
    """Append one entry to the read audit for the current user."""
    return ReadAudit.objects.create(
        user=request.user,
        action=action,
        patient=patient if patient is not None else getattr(prescription, "patient", None),
        prescription=prescription,
        detail=detail[:250],
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:250],
    )
