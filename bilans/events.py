"""Domain events of the bilans app: signals its services send, inside their transaction, for the
apps above it (notifications), connected in their AppConfig.ready()."""

from django.dispatch import Signal

# R-B4: a bilan or a compte rendu was signed (`services.entry_bilan_sign`, ...). Arguments:
# document (EntryBilan, ExitBilan or ProgressReport). A receiver sends it on only when
# `document.share_agreement` records the patient's agreement.
document_signed = Signal()
