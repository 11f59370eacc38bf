from django.apps import AppConfig


class PrescriptionsConfig(AppConfig):
    name = "prescriptions"
    verbose_name = "Prescriptions"

    def ready(self) -> None:
        from patients import events
        from patients.record import register_section

        from . import receivers

        events.patient_updated.connect(
            receivers.on_patient_updated, dispatch_uid="prescriptions_follow_patient"
        )
        register_section("prescriptions", receivers.prescriptions_section, order=10)
        register_section("lookup_accesses", receivers.lookup_accesses_section, order=30)
