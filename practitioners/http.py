"""Typed requests for the views (for mypy): what the middleware guarantees about a request.

LoginRequiredMiddleware lets no anonymous request reach a view that is not marked
`login_not_required`, so those views read `request.user` as a `User`, not as
`User | AnonymousUser`. django-htmx's middleware sets `request.htmx` on every request.
Annotations only: at run time every request is Django's own `HttpRequest`.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind LoginRequiredMiddleware: a logged-in user."""

    user: User


class AuthenticatedHtmxRequest(AuthenticatedRequest):
    """The same, for a view that reads `request.htmx` (set by HtmxMiddleware)."""

    htmx: HtmxDetails
