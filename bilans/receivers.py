"""What the bilans app answers to the apps below it (connected in BilansConfig.ready())."""

from django.utils import timezone

from prescriptions.events import ReportedDocument, VerifiedDocument
from prescriptions.models import Prescription

from .selectors import issued_verified, signed_documents_since


def on_risk_reports_requested(
    sender, *, prescription: Prescription, **kwargs
) -> list[ReportedDocument]:
    """R-R5: the patient's signed bilans and comptes rendus since the prescription, with their
    difficulty or risk flag, their date, author and words."""
    return [
        ReportedDocument(
            performed_on=row["performed_on"],
            recorded_at=row["created_at"],
            # As User.display_name: the author is a dispenser, never « Dr ».
            author=f"{row['author__first_name']} {row['author__last_name'].upper()}".strip()
            or row["author__username"],
            risk_flag=row["risk_flag"],
            words=row["risk_description"],
        )
        for row in signed_documents_since(
            patient_id=prescription.patient_id, since=prescription.prescribed_on
        )
    ]


def on_document_verification_requested(
    sender, *, reference: str, code: str, **kwargs
) -> VerifiedDocument | None:
    """R-B4: the public verification page asks whether a reference and code are one of the
    signed bilans or comptes rendus: its kind and dates only, never a name nor health data."""
    issued = issued_verified(reference=reference, code=code)
    if issued is None:
        return None
    return VerifiedDocument(
        reference=issued.reference,
        kind_label=str(issued.get_kind_display()),
        performed_on=issued.performed_on,
        signed_on=timezone.localdate(issued.signed_at),
    )
