"""Second factor (TOTP, django-otp): who must use it, enrolment and verification.

- Mandatory for superusers, staff (Django admin) and administrative staff: after the password,
  the OTP middleware sends them to the verification page (or to enrolment when they have no
  device yet). The Django admin also refuses an unverified session.
- Optional for every other user, who may enrol from « Sécurité du compte »; once enrolled,
  the second factor is asked at every login.
"""

import base64
import binascii
from io import BytesIO

import django_otp
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from practitioners.models import Profession, User

# Stored in the session at login (no query per request): the user has a confirmed device.
SESSION_HAS_DEVICE = "security_has_otp_device"
# When the session's expiry was last pushed back (security.middleware.SessionIdleTimeout...).
SESSION_REFRESHED_AT = "security_refreshed_at"
DEVICE_NAME = "Application d'authentification"
# RFC 6238's test key ("12345678901234567890"): used for the local demo account only (DEBUG).
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"

MSG_TOKEN_INVALID = _(
    "Ce code n'est pas valide. Saisissez les 6 chiffres affichés par votre application "
    "d'authentification (le code change toutes les 30 secondes)."
)
MSG_OTP_MANDATORY = _(
    "La double authentification est obligatoire pour les comptes d'administration : elle ne "
    "peut pas être désactivée."
)


def otp_mandatory_for(user: User) -> bool:
    """Superusers, Django-admin staff and administrative staff must use a second factor."""
    return bool(user.is_superuser or user.is_staff or user.profession == Profession.ADMIN_STAFF)


def otp_required(user: User, session: SessionBase) -> bool:
    """Whether this logged-in session must be verified with a second factor."""
    if not getattr(settings, "APA_OTP_REQUIRED", True):
        return False
    return otp_mandatory_for(user) or bool(session.get(SESSION_HAS_DEVICE))


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: User) -> TOTPDevice:
    """The device being enrolled (unconfirmed), created on first use with a random key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps want it when typed by hand (groups of 4)."""
    secret = base64.b32encode(binascii.unhexlify(device.key)).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI (allowed by the CSP's img-src)."""
    import segno

    buffer = BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _clean_token(token: str) -> str:
    return "".join(c for c in str(token) if not c.isspace())[:10]


@transaction.atomic
def otp_verify(*, request: HttpRequest, token: str) -> TOTPDevice:
    """Check `token` against the user's confirmed device and mark the session verified.

    django-otp throttles failures (growing delays) on the device itself.
    """
    device = confirmed_device(request.user)
    token = _clean_token(token)
    if device is None or not token.isdigit() or not device.verify_token(token):
        raise ValidationError({"token": [MSG_TOKEN_INVALID]})
    django_otp.login(request, device)
    request.session[SESSION_HAS_DEVICE] = True
    return device


@transaction.atomic
def otp_enrol_confirm(*, request: HttpRequest, token: str) -> TOTPDevice:
    """Confirm the pending device with a first code; the session is then verified."""
    device = pending_device(request.user)
    token = _clean_token(token)
    if not token.isdigit() or not device.verify_token(token):
        raise ValidationError({"token": [MSG_TOKEN_INVALID]})
    # One device per user: the new one replaces any previous one.
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    django_otp.login(request, device)
    request.session[SESSION_HAS_DEVICE] = True
    return device


@transaction.atomic
def otp_disable(*, request: HttpRequest) -> None:
    """Remove the second factor of a user for whom it is optional."""
    if otp_mandatory_for(request.user):
        raise ValidationError(MSG_OTP_MANDATORY)
    TOTPDevice.objects.filter(user=request.user).delete()
    request.session.pop(SESSION_HAS_DEVICE, None)
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)


def totp_device_for_demo(user: User) -> TOTPDevice:
    """A confirmed TOTP device for a demo account (idempotent).

    Local demo (DEBUG): the fixed, published RFC 6238 test key, so that a newcomer can compute
    codes (`manage.py demo_totp`). Otherwise a random key.
    """
    device = confirmed_device(user)
    if device is None:
        device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=True)
        if settings.DEBUG:
            device.key = DEMO_TOTP_KEY_HEX
        device.save()
    return device


def current_totp(device: TOTPDevice) -> str:
    """The code the device expects now (for the local demo only)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
