from django.conf import settings
from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# Third-party models whose English names the admin would show: (app label, model) -> the
# French name of their list. Their own Meta stays untouched (no migration in their apps).
FRENCH_MODEL_NAMES = {
    ("otp_totp", "totpdevice"): "Applications d'authentification (TOTP)",
    ("django_tasks_database", "dbtaskresult"): "Résultats des tâches de fond",
}


class SecureAdminSite(AdminSite):
    """The Django admin, refused to a session that has not passed the second factor.

    The project's default admin site (`security.apps.SecureAdminConfig.default_site`, Django's
    documented way to override it); the OTP middleware sends such a session to the OTP page
    before it gets here, this is the second lock.
    """

    site_header = _("APA Portal : administration")
    site_title = _("APA Portal")
    index_title = _("Gestion des dossiers")

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list:
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            for model in app["models"]:
                key = (app["app_label"], model["object_name"].lower())
                model["name"] = FRENCH_MODEL_NAMES.get(key, model["name"])
        return app_list

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if not getattr(settings, "APA_OTP_REQUIRED", True):
            return True
        return bool(getattr(request.user, "is_verified", lambda: False)())
