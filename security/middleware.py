"""Security middleware: the second factor for the sessions that need one, and headers."""

import time
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control

from .backends import REQUEST_REFUSAL_ATTR
from .services import SESSION_REFRESHED_AT, SESSION_STARTED_AT, otp_required

if TYPE_CHECKING:
    from .http import OTPUser

# Views an authenticated but not yet verified user may reach (besides those marked
# `otp_exempt`): logging out.
OTP_EXEMPT_URL_NAMES = frozenset({"logout"})


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
        # OTPMiddleware, before this one, gave the user `is_verified()` (security.http.OTPUser).
        if not otp_required(user, request.session) or cast("OTPUser", user).is_verified():
            return None
        url = reverse("security:otp_verify")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)


class SessionIdleTimeoutMiddleware:
    """Sessions end after SESSION_COOKIE_AGE (30 min) without activity, and in any case
    SESSION_ABSOLUTE_AGE (12 h) after the login, however active (ASVS 3.3.2).

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
            started = request.session.get(SESSION_STARTED_AT)
            if not isinstance(started, int):
                # A session opened before the absolute lifetime existed: it starts counting now.
                request.session[SESSION_STARTED_AT] = now
            elif now - started >= settings.SESSION_ABSOLUTE_AGE:
                # Flushes the session; LoginRequiredMiddleware then sends to the login page.
                logout(request)
                return self.get_response(request)
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


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every response to a logged-in user: pages carry
    health data (the NIR, lists, search fragments), which no browser or shared cache may keep.

    Directives a view set itself are kept (patch_cache_control adds, and `private` replaces a
    `public`). After AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        authenticated = request.user.is_authenticated
        response = self.get_response(request)
        if authenticated or request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class LoginLimitMiddleware:
    """Answers 429 (« connexion temporairement refusée ») to a login that a limit of
    security.login_limits refused (LoginLimitBackend marks the request), as django-axes does
    for its own lock-out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, REQUEST_REFUSAL_ATTR, None):
            minutes = max(1, settings.APA_LOGIN_FAILURE_WINDOW_SECONDS // 60)
            return render(
                request, "registration/login_limited.html", {"minutes": minutes}, status=429
            )
        return response
