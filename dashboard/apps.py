from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Tableau de bord et exports")

    def ready(self) -> None:
        from .permissions import sync_structure_admin_group

        # Data-free: the group of structure administrators is (re)made after every migrate.
        post_migrate.connect(
            sync_structure_admin_group, sender=self, dispatch_uid="dashboard_structure_admin_group"
        )
