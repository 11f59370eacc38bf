from django.conf import settings
from django.contrib.admin import AdminSite
from django.http import HttpRequest


class SecureAdminSite(AdminSite):
    """The Django admin, refused to a session that has not passed the second factor.

    Installed with `admin.site.__class__ = SecureAdminSite` (apa_portal/urls.py), as django-otp
    documents for its OTPAdminSite; the OTP middleware sends such a session to the OTP page
    before it gets here, this is the second lock.
    """

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if not getattr(settings, "APA_OTP_REQUIRED", True):
            return True
        return bool(getattr(request.user, "is_verified", lambda: False)())
