import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from .login_limits import login_success_record
from .services import SESSION_HAS_DEVICE, SESSION_REFRESHED_AT, SESSION_STARTED_AT


@receiver(user_logged_in, dispatch_uid="security_remember_otp_device")
def remember_otp_device(sender, request, user, **kwargs) -> None:
    """Remember in the session whether the user enrolled a second factor (one query at login,
    none per request): the OTP middleware then asks for it."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_HAS_DEVICE] = TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).exists()
        now = int(time.time())
        request.session[SESSION_REFRESHED_AT] = now
        request.session[SESSION_STARTED_AT] = now


@receiver(user_logged_in, dispatch_uid="security_remember_login_address")
def remember_login_address(sender, request, user, **kwargs) -> None:
    """An address the account logged in from is exempt from the spread-attack limits."""
    if request is not None:
        login_success_record(request, user.get_username())
