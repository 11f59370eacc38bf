"""Domain events of the prescriptions app: Django signals its services send, inside their
transaction, and the apps above receive (connected in their AppConfig.ready()), so that this app
never imports them."""

from dataclasses import dataclass
from datetime import date, datetime

from django.dispatch import Signal

# R-R7: a physiotherapist renewed or adapted a prescription (`services.prescription_renew`).
# Arguments: renewal. A receiver that fails rolls the renewal back: the prescriber is informed
# if and only if the renewal is recorded.
renewal_recorded = Signal()

# R-R7: the prescriber has seen the renewal (`services.renewal_mark_read`). Arguments: renewal, by.
renewal_read = Signal()

# An issued prescription was withdrawn (`services.prescription_cancel`): the look-up accesses to
# it are already ended; the apps above end what hung on it (the orientations). Arguments:
# prescription.
prescription_withdrawn = Signal()


@dataclass(frozen=True)
class ReportedDocument:
    """One bilan or compte rendu (CSP D.1172-5) an app above records, as R-R5 reads it."""

    performed_on: date
    recorded_at: datetime  # orders two documents of the same day
    author: str
    risk_flag: bool
    words: str


# R-R5: « the compte rendu and bilans report no difficulty or risk ». Sent by
# `services.renewal_risk_case` with `prescription`; each receiver (the bilans app) returns the
# signed documents of the prescription's patient dated on or after the prescription, as a list
# of `ReportedDocument`, oldest first. No receiver, or empty lists: none is recorded in the
# product, and the physiotherapist's attestation stays the only source.
risk_reports_requested = Signal()


@dataclass(frozen=True)
class VerifiedDocument:
    """What the public verification page may say of a document an app above issues (a bilan, a
    compte rendu: R-B4): authentic, its kind and its dates. Never a name nor health data."""

    reference: str
    kind_label: str
    performed_on: date
    signed_on: date


# R-B4: the public verification page (`verification_views.verify`) asks the apps above about a
# reference and a code that no prescription answers, with `reference` and `code` (normalised).
# Each receiver returns a `VerifiedDocument` when the pair is one of its signed documents (the
# code compared in constant time), None otherwise: a wrong code is answered as an unknown
# reference.
document_verification_requested = Signal()


@dataclass(frozen=True)
class PrescriptionPrefill:
    """First values of a new prescription that an app above offers from one of its records (the
    « projet d'activité physique adaptée » of a post-cancer pathway's bilan: R-C4). `initial`
    holds `PrescriptionForm` field values; `label` says in French where they come from."""

    label: str
    initial: dict[str, object]


# R-C4: the new-prescription page (`views.prescription_create_view`) was opened with
# `?from=<source>`. Sent with `user`, `patient` and `source`; a receiver returns a
# `PrescriptionPrefill` when `source` names one of its records about that patient that the user
# may read, None otherwise. The physician reviews every value before saving: nothing is issued.
prescription_prefill_requested = Signal()
