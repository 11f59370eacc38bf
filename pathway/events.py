"""Domain events of the pathway app: signals its services send, inside their transaction, for
the apps above it (notifications), connected in their AppConfig.ready()."""

from django.dispatch import Signal

# R-C1: a pathway was prescribed (`services.pathway_prescribe`). Arguments: pathway.
pathway_prescribed = Signal()
# R-C2, R-C3: a bilan or consultation was booked (`services.booking_create`). Arguments: booking.
booking_created = Signal()
