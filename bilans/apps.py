from django.apps import AppConfig


class BilansConfig(AppConfig):
    """The bilans and comptes rendus of the dispensing professional (CSP D.1172-5)."""

    name = "bilans"
    verbose_name = "Bilans et comptes rendus"

    def ready(self) -> None:
        from patients.record import register_section
        from prescriptions import events

        from . import receivers
        from .record import bilans_section

        register_section("bilans", bilans_section, order=30)
        events.risk_reports_requested.connect(  # R-R5
            receivers.on_risk_reports_requested, dispatch_uid="bilans_risk_reports"
        )
        events.document_verification_requested.connect(  # R-B4
            receivers.on_document_verification_requested, dispatch_uid="bilans_verification"
        )
