from django.apps import AppConfig


class DispensingConfig(AppConfig):
    """The dispensing side (CSP D.1172-2): the professionals a patient is oriented to."""

    name = "dispensing"
    verbose_name = "Dispensation de l'activité physique adaptée"

    def ready(self) -> None:
        from patients.record import register_section
        from prescriptions import events

        from . import receivers
        from .record import orientation_section

        register_section("orientation", orientation_section, order=20)
        events.prescription_withdrawn.connect(
            receivers.on_prescription_withdrawn, dispatch_uid="dispensing_prescription_withdrawn"
        )
