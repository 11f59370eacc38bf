from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from bilans import events as bilan_events
        from pathway import events as pathway_events
        from prescriptions import events
        from programmes import events as programme_events

        from . import receivers

        bilan_events.document_signed.connect(
            receivers.on_document_signed, dispatch_uid="notifications_document_signed"
        )

        events.renewal_recorded.connect(
            receivers.on_renewal_recorded, dispatch_uid="notifications_renewal_recorded"
        )
        events.renewal_read.connect(
            receivers.on_renewal_read, dispatch_uid="notifications_renewal_read"
        )
        for signal, receiver in (
            (programme_events.referral_sent, receivers.on_referral_sent),
            (programme_events.referral_decided, receivers.on_referral_decided),
            (programme_events.seat_offered, receivers.on_seat_offered),
            (programme_events.dropout_detected, receivers.on_dropout_detected),
            (pathway_events.pathway_prescribed, receivers.on_pathway_prescribed),
            (pathway_events.booking_created, receivers.on_booking_created),
        ):
            signal.connect(receiver, dispatch_uid=f"notifications_{receiver.__name__}")
