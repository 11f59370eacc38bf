from django.apps import AppConfig


class PathwayConfig(AppConfig):
    """The post-cancer care pathway (CSP L.1415-8, R.1415-1-11; R-C1 to R-C4)."""

    name = "pathway"
    verbose_name = "Parcours de soins global après un cancer"

    def ready(self) -> None:
        from patients.record import register_section
        from prescriptions import events

        from . import receivers
        from .record import pathway_section

        register_section("pathway", pathway_section, order=40)
        events.document_verification_requested.connect(
            receivers.on_document_verification_requested, dispatch_uid="pathway_verification"
        )
        events.prescription_prefill_requested.connect(  # R-C4
            receivers.on_prescription_prefill_requested, dispatch_uid="pathway_prefill"
        )
