"""Recording reads of clinical records: the one helper every view that shows a record, serves
its PDF, exports records or lists patients calls (`audit_read`), in the application and in the
admin alike (the admins of clinical records call it through `kernel.admin.AuditedReadAdmin`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

from kernel.http import client_ip
from practitioners.http import AuthenticatedRequest

from .models import ReadAudit

# A read is recorded when the request reads (a page shown by GET or HEAD); a POST that shows the
# page again (a refused form) follows the read already recorded. These actions are recorded
# whatever the method: they hand data out (a file, an export) or open a record (a look-up).
ALWAYS_RECORDED = frozenset(
    {
        ReadAudit.Action.PRESCRIPTION_PDF,
        ReadAudit.Action.PRESCRIPTION_LOOKUP,
        ReadAudit.Action.EXPORT,
        # The search results of the patient list are asked by POST (no name in a URL).
        ReadAudit.Action.PATIENT_LIST,
    }
)


class PatientRecord(Protocol):
    pk: Any
    structure_id: Any


class PrescriptionRecord(Protocol):
    pk: Any
    patient_id: Any
    structure_id: Any


def audit_read(
    request: AuthenticatedRequest,
    *,
    action: str,
    patient: PatientRecord | None = None,
    prescription: PrescriptionRecord | None = None,
    detail: str = "",
    patients_shown: Iterable[Any] | None = None,
) -> ReadAudit | None:
    """Append one entry to the read audit for the current user (see `ALWAYS_RECORDED`).

    `patient` and `prescription` are the records read (a prescription names its patient);
    neither for an export, which `detail` describes without any patient data. A list or search
    results page (action PATIENT_LIST) names the ids of the patients it shows in
    `patients_shown`: one entry per page shown, none when it shows no patient.
    """
    shown = list(dict.fromkeys(str(pk) for pk in patients_shown or ()))
    if action == ReadAudit.Action.PATIENT_LIST and not shown:
        return None
    if request.method not in ("GET", "HEAD") and action not in ALWAYS_RECORDED:
        return None
    patient_id: UUID | None = patient.pk if patient is not None else None
    structure_id = getattr(patient, "structure_id", None)
    if prescription is not None:
        patient_id = prescription.patient_id
        structure_id = prescription.structure_id
    if patient is None and prescription is None:
        structure_id = getattr(request.user, "structure_id", None)
    return ReadAudit.objects.create(
        user=request.user,
        action=action,
        patient_id=patient_id,
        prescription_id=prescription.pk if prescription is not None else None,
        structure_id=structure_id,
        detail=detail[:250],
        patient_ids=" ".join(shown),
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:250],
    )
