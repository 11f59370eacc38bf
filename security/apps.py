from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Sécurité des comptes"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the login receivers)
