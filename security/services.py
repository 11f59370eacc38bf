"""Second factor (TOTP, django-otp): who must use it, enrolment and verification.

- Mandatory for superusers, staff (Django admin) and administrative staff: after the password,
  the OTP middleware sends them to the verification page (or to enrolment when they have no
  device yet). The Django admin also refuses an unverified session.
- Optional for every other user, who may enrol from « Sécurité du compte »; once enrolled,
  the second factor is asked at every login.
"""

import base64
import binascii
import time
from datetime import datetime

import django_otp
import segno
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernel.http import client_ip
from practitioners.http import AuthenticatedRequest
from practitioners.models import Profession, User

from .models import SecurityEvent

# Stored in the session at login (no query per request): the user has a confirmed device.
SESSION_HAS_DEVICE = "security_has_otp_device"
# When the session's expiry was last pushed back (security.middleware.SessionIdleTimeout...).
SESSION_REFRESHED_AT = "security_refreshed_at"
# When the user logged in (security.middleware: the absolute session lifetime).
SESSION_STARTED_AT = "security_started_at"
DEVICE_NAME = "Application d'authentification"
# RFC 6238's test key ("12345678901234567890"): used for the local demo account only (DEBUG).
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"

MSG_TOKEN_INVALID = _(
    "Ce code n'est pas valide. Saisissez les 6 chiffres affichés par votre application "
    "d'authentification (le code change toutes les 30 secondes)."
)
MSG_OTP_LOCKED = _(
    "Trop de codes erronés : la double authentification de ce compte est bloquée. Contactez "
    "l'administrateur de votre structure pour la débloquer."
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
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _clean_token(token: str) -> str:
    return "".join(c for c in str(token) if not c.isspace())[:10]


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Keep one security event for the administrators (no health data: an account, an address)."""
    event = SecurityEvent(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        ip_address=client_ip(request) if request is not None else None,
        detail=detail[:250],
    )
    event.full_clean()
    event.save()
    return event


def otp_locked(device: TOTPDevice) -> bool:
    """Locked after APA_OTP_MAX_FAILURES consecutive wrong codes, until an administrator unlocks
    it (otp_unlock): the delays alone would let a patient attacker go on for ever."""
    return bool(device.throttling_failure_count >= settings.APA_OTP_MAX_FAILURES)


def _throttled_error(locked_until: datetime) -> ValidationError:
    seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    message = _t(
        "Trop de codes erronés : attendez %(seconds)s seconde(s) avant de saisir un nouveau code."
    ) % {"seconds": seconds}
    return ValidationError({"token": [ValidationError(message, code="otp_throttled")]})


def otp_verify(*, request: AuthenticatedRequest, token: str) -> TOTPDevice:
    """Check `token` against the user's confirmed device and mark the session verified.

    Every failure is committed before the refusal is raised (the view runs outside the
    request's transaction): django-otp's counter on the device then gives growing delays
    (1, 2, 4, 8… s, during which even the right code is refused, unevaluated), and
    APA_OTP_MAX_FAILURES consecutive failures lock the second factor until an administrator
    unlocks it. The device row is locked while a code is checked, so that parallel guesses
    are counted one by one.
    """
    token = _clean_token(token)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=request.user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise ValidationError({"token": [ValidationError(MSG_TOKEN_INVALID, code="invalid")]})
        if otp_locked(device):
            raise ValidationError({"token": [ValidationError(MSG_OTP_LOCKED, code="otp_locked")]})
        allowed, info = device.verify_is_allowed()
        if not allowed:
            raise _throttled_error(info["locked_until"])
        verified = device.verify_token(token)  # saves the success or the failure
        if not verified:
            security_event_record(
                kind=SecurityEvent.Kind.OTP_FAILURE,
                request=request,
                user=request.user,
                detail=f"{device.throttling_failure_count} échec(s) consécutif(s)",
            )
            if device.throttling_failure_count == settings.APA_OTP_MAX_FAILURES:
                security_event_record(
                    kind=SecurityEvent.Kind.OTP_LOCKOUT, request=request, user=request.user
                )
    # Out of the atomic block: the failure and its events are kept whatever is raised now.
    if not verified:
        code, message = (
            ("otp_locked", MSG_OTP_LOCKED)
            if otp_locked(device)
            else (
                "invalid",
                MSG_TOKEN_INVALID,
            )
        )
        raise ValidationError({"token": [ValidationError(message, code=code)]})
    django_otp.login(request, device)
    request.session[SESSION_HAS_DEVICE] = True
    return device


@transaction.atomic
def otp_unlock(*, user: User, by: User | None, request: HttpRequest | None = None) -> bool:
    """Lift the lock-out (and the delays) of a user's second factor; False if it was not locked."""
    devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
    changed = False
    for device in devices:
        if device.throttling_failure_count:
            device.throttle_reset()
            changed = True
    if changed:
        by_name = by.get_username() if by is not None else "commande manage.py otp_unlock"
        security_event_record(
            kind=SecurityEvent.Kind.OTP_UNLOCK,
            request=request,
            user=user,
            detail=f"par {by_name}"[:250],
        )
    return changed


@transaction.atomic
def otp_enrol_confirm(*, request: AuthenticatedRequest, token: str) -> TOTPDevice:
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
def otp_disable(*, request: AuthenticatedRequest) -> None:
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
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
