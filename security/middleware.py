"""Security middleware: the second factor for the sessions that need one, and headers."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .services import SESSION_REFRESHED_AT, otp_required

# Views an authenticated but not yet verified user may reach (besides those marked
# `otp_exempt`): logging out.
OTP_EXEMPT_URL_NAMES = frozenset({"logout"})


def otp_exempt(view):
    """Mark a view as reachable before the second factor (the OTP pages themselves)."""
    view.otp_exempt = True
    return view


class OTPRequiredMiddleware:
    """After the password, send the sessions that need a second factor to the OTP page.

    Must come after django_otp's OTPMiddleware (which sets `request.user.is_verified()`).
    Deny by default: every view is covered unless marked `otp_exempt`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or getattr(view_func, "otp_exempt", False):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OTP_EXEMPT_URL_NAMES:
            return None
        if not otp_required(user, request.session) or user.is_verified():
            return None
        url = reverse("security:otp_verify")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)


class SessionIdleTimeoutMiddleware:
    """Sessions end after SESSION_COOKIE_AGE (30 min) without activity.

    Rather than saving the session on every request (SESSION_SAVE_EVERY_REQUEST: one write per
    request, htmx keystrokes included), the expiry is pushed back when the last push is older
    than SESSION_IDLE_REFRESH_SECONDS (1 min): the idle timeout is then between 29 and 30
    minutes, for one write a minute at most. The database refuses an expired session.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.every = getattr(settings, "SESSION_IDLE_REFRESH_SECONDS", 60)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(SESSION_REFRESHED_AT)
            if not isinstance(last, int) or now - last >= self.every:
                request.session[SESSION_REFRESHED_AT] = now  # marks it modified: saved
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Sends `Permissions-Policy` (the browser features the portal never uses)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
