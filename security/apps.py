from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SecurityConfig(AppConfig):
    default = True
    name = "security"
    verbose_name = "Sécurité des comptes"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the login receivers)


class SecureAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the second factor required (`SecureAdminSite`): listed in
    INSTALLED_APPS instead of "django.contrib.admin"."""

    default = False

    default_site = "security.admin_site.SecureAdminSite"
