from django.apps import AppConfig, apps
from django.db.models.signals import pre_delete, pre_save


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Traçabilité des consultations"

    def ready(self) -> None:
        # The history of every record (django-simple-history) is append-only too: the
        # application may add historical rows, never change or delete one.
        from simple_history.models import HistoricalChanges

        from .models import refuse_history_change, refuse_history_delete

        for model in apps.get_models():
            if issubclass(model, HistoricalChanges):
                pre_save.connect(
                    refuse_history_change, sender=model, dispatch_uid=f"history_ro_{model}"
                )
                pre_delete.connect(
                    refuse_history_delete, sender=model, dispatch_uid=f"history_nodel_{model}"
                )
