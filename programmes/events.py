"""Domain events of the programmes app: signals its services send, inside their transaction, for
the apps above it (notifications), connected in their AppConfig.ready()."""

from django.dispatch import Signal

# A patient was oriented to an offer (`services.referral_send`). Arguments: referral.
referral_sent = Signal()
# The offer's side accepted or refused a referral. Arguments: referral.
referral_decided = Signal()
# A seat freed and the first of the waiting list was given it. Arguments: enrolment.
seat_offered = Signal()
# A patient missed N sessions in a row (settings.APA_PROGRAMME_DROPOUT_ABSENCES). Arguments:
# enrolment, absences.
dropout_detected = Signal()
# R-G4: no event of its own for a follow-up: it is recorded as a compte rendu, whose
# `bilans.events.document_signed` tells the prescriber and the médecin traitant (R-B4).
