"""Account security pages: the second factor (verify, enrol, disable) and the CSRF failure page."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import TokenForm
from .middleware import otp_exempt


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


@otp_exempt
def otp_verify(request: HttpRequest) -> HttpResponse:
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
    return render(
        request, "security/otp_verify.html", {"form": form, "next": next_url}, status=status
    )


@otp_exempt
def otp_setup(request: HttpRequest) -> HttpResponse:
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


def account_security(request: HttpRequest) -> HttpResponse:
    """« Sécurité du compte »: the second factor's state, enrol or remove it."""
    context = {
        "device": services.confirmed_device(request.user),
        "mandatory": services.otp_mandatory_for(request.user),
    }
    return render(request, "security/account.html", context)


@require_POST
def otp_disable(request: HttpRequest) -> HttpResponse:
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
