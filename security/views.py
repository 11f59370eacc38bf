"""Account security pages: the second factor (verify, enrol, disable), the password (change,
reset by e-mail) and the CSRF failure page."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel.http import client_ip, otp_exempt
from practitioners.http import AuthenticatedRequest

from . import services
from .forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm, TokenForm
from .http import OTPRequest
from .throttle import throttle_clear, throttle_give_back, throttle_hit


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


# Outside the request's transaction: a wrong code's failure count is committed by the service
# before the refusal, whatever happens to the rest of the request.
@transaction.non_atomic_requests
@otp_exempt
def otp_verify(request: OTPRequest) -> HttpResponse:
    """The second step of the login: the 6-digit code of the user's authenticator app."""
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    if services.confirmed_device(request.user) is None:
        return redirect(_with_next("security:otp_setup", next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.otp_verify(request=request, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return redirect(next_url)
    status = 400 if form.errors else 200
    codes = {e.code for errors in form.errors.as_data().values() for e in errors}
    if codes & {"otp_throttled", "otp_locked"}:
        status = 429
    return render(
        request, "security/otp_verify.html", {"form": form, "next": next_url}, status=status
    )


@otp_exempt
def otp_setup(request: OTPRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), then give one code."""
    next_url = _next_url(request)
    if services.confirmed_device(request.user) is not None and not request.user.is_verified():
        # Never let an unverified session replace the second factor it has to prove.
        return redirect(_with_next("security:otp_verify", next_url))
    device = services.pending_device(request.user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.otp_enrol_confirm(request=request, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("La double authentification est activée sur votre compte."))
            return redirect(next_url)
    context = {
        "form": form,
        "next": next_url,
        "qr_code": services.qr_code_data_uri(device),
        "secret": services.base32_secret(device),
        "mandatory": services.otp_mandatory_for(request.user),
    }
    return render(request, "security/otp_setup.html", context, status=400 if form.errors else 200)


def account_security(request: AuthenticatedRequest) -> HttpResponse:
    """« Sécurité du compte »: the second factor's state, enrol or remove it."""
    context = {
        "device": services.confirmed_device(request.user),
        "mandatory": services.otp_mandatory_for(request.user),
        "session_hours": settings.SESSION_ABSOLUTE_AGE // 3600,
    }
    return render(request, "security/account.html", context)


@require_POST
def otp_disable(request: AuthenticatedRequest) -> HttpResponse:
    try:
        services.otp_disable(request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("La double authentification a été désactivée."))
    return redirect("security:account")


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF refusal in French, without Django's technical explanation."""
    message = _(
        "Le formulaire a expiré ou n'a pas pu être vérifié. Rechargez la page et recommencez ; "
        "si le problème persiste, vérifiez que les cookies sont autorisés pour ce site."
    )
    return render(request, "403.html", {"message": message}, status=403)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


# --- Passwords ------------------------------------------------------------------------------------
def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "429.html", status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every user changes their own password (the current one first). Wrong current passwords
    are throttled per account (counted before the check): a stolen session must not become a
    way to guess the password."""

    template_name = "registration/password_change_form.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("security:account")

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        attempts = throttle_hit(
            "password-change",
            str(request.user.pk),
            window_seconds=settings.APA_PASSWORD_THROTTLE_WINDOW_SECONDS,
        )
        if attempts > settings.APA_PASSWORD_CHANGE_MAX_ATTEMPTS:
            return _too_many(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" not in form.errors:
            # The current password was right (a new one too short, two that differ): this
            # attempt guessed nothing.
            throttle_give_back("password-change", str(self.request.user.pk))
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle_clear("password-change", str(self.request.user.pk))
        messages.success(self.request, _("Votre mot de passe a été modifié."))
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """« Mot de passe oublié » : an e-mail with a one-time link, and the same answer whether
    or not an account has this address. Throttled per client address (429) and per e-mail
    address (silently: no more e-mails, the same answer)."""

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("security:password_reset_done")

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        attempts = throttle_hit(
            "password-reset-ip",
            client_ip(request) or "unknown",
            window_seconds=settings.APA_PASSWORD_THROTTLE_WINDOW_SECONDS,
        )
        if attempts > settings.APA_PASSWORD_RESET_MAX_PER_IP:
            return _too_many(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        attempts = throttle_hit(
            "password-reset-email",
            form.cleaned_data["email"].strip().casefold(),
            window_seconds=settings.APA_PASSWORD_THROTTLE_WINDOW_SECONDS,
        )
        if attempts > settings.APA_PASSWORD_RESET_MAX_PER_EMAIL:
            return redirect(self.get_success_url())  # what a sent e-mail would answer
        return super().form_valid(form)  # the e-mail is queued (PasswordResetForm.send_mail)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("security:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
