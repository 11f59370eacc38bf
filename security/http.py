"""The typed request of the second-factor pages (for mypy; see practitioners.http)."""

from typing import TYPE_CHECKING

from practitioners.http import AuthenticatedRequest

if TYPE_CHECKING:
    from django_otp.models import Device

    from practitioners.models import User

    class OTPUser(User):
        """The user as django_otp's OTPMiddleware leaves it on the request (it adds these two
        attributes at run time: not a model of its own)."""

        otp_device: Device | None

        def is_verified(self) -> bool: ...


class OTPRequest(AuthenticatedRequest):
    """The request of a logged-in user, after django_otp's OTPMiddleware."""

    user: "OTPUser"
