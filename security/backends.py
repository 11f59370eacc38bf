from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from practitioners.models import User

from .login_limits import ACCOUNT, login_attempt
from .models import SecurityEvent
from .services import security_event_record

# Set on the request when a login limit refused it (security.middleware answers 429).
REQUEST_REFUSAL_ATTR = "security_login_refused"


class LoginLimitBackend:
    """Counts each login attempt and refuses, before any password is checked, one that a limit
    of security.login_limits forbids: authenticate() then stops (PermissionDenied) and reports
    a failed login. Records a security event when a limit is first exceeded.

    No get_user(): it never logs anyone in (and Client.force_login picks the first backend
    that has one)."""

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None or username is None:
            return None
        username = str(username)
        refusal, first_exceeded = login_attempt(request, username)
        for limit in first_exceeded:
            security_event_record(
                kind=SecurityEvent.Kind.LOGIN_ACCOUNT_LIMIT
                if limit == ACCOUNT
                else SecurityEvent.Kind.LOGIN_ADDRESS_LIMIT,
                request=request,
                username=username if limit == ACCOUNT else "",
                user=_existing_user(username) if limit == ACCOUNT else None,
            )
        if refusal is not None:
            setattr(request, REQUEST_REFUSAL_ATTR, refusal)
            raise PermissionDenied
        return None


def _existing_user(username: str) -> User | None:
    return User.objects.filter(username=username).first()
