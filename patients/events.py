"""Domain events of the patients app: Django signals its services send, in their transaction,
and the apps above receive (connected in their AppConfig.ready()), so that this app never
imports them."""

from django.dispatch import Signal

# A patient's record was saved by `services.patient_update` (possibly moved to another
# structure by a superuser). Arguments: patient.
patient_updated = Signal()
