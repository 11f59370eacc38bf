"""CSV exports of patients (with their limitation level, R-L2) and prescriptions, for the
admin's lists: streamed row by row (`kernel.csv`), rows read with `.iterator(chunk_size=...)` so
100,000 rows never sit in memory. Every export is recorded in the read audit, without any
patient data in its detail.
"""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from audit.models import ReadAudit
from audit.services import audit_read
from kernel.csv import CHUNK_SIZE, csv_response
from patients.access import may_see_nir
from patients.models import Patient
from practitioners.http import AuthenticatedRequest

from .models import Prescription
from .rules import LimitationLevel
from .selectors import latest_confirmed_level


def _level_label(value: int | None) -> str:
    return str(LimitationLevel(value).label) if value is not None else ""


# --- Patients -------------------------------------------------------------------------------
def patient_header(*, with_nir: bool) -> list[str]:
    header = [
        "Nom de naissance",
        "Nom d'usage",
        "Prénoms",
        "Date de naissance",
        "Sexe",
    ]
    if with_nir:
        header.append("NIR")
    return [
        *header,
        "Structure",
        "Code postal",
        "Commune",
        "Situations ouvrant droit",
        "Médecin en charge",
        "Limitation fonctionnelle (dernière retenue)",
        "Créé le",
    ]


def patient_rows(patients: QuerySet[Patient], *, with_nir: bool) -> Iterator[list]:
    queryset = (
        patients.select_related("structure", "physician_in_charge")
        .prefetch_related("situations")
        .annotate(export_level=latest_confirmed_level())
    )
    for p in queryset.iterator(chunk_size=CHUNK_SIZE):
        row = [p.birth_name, p.used_name, p.first_names, p.birth_date, p.get_sex_display()]
        if with_nir:
            row.append(p.nir)
        yield [
            *row,
            p.structure.name,
            p.postal_code,
            p.city,
            ", ".join(s.label for s in p.situations.all()),
            p.physician_in_charge.display_name if p.physician_in_charge else "",
            _level_label(p.export_level),
            p.created_at,
        ]


def patients_csv(
    request: AuthenticatedRequest, patients: QuerySet[Patient], *, count: int, filters: str
) -> StreamingHttpResponse:
    with_nir = may_see_nir(request.user)
    audit_read(
        request,
        action=ReadAudit.Action.EXPORT,
        detail=f"patients : {count} lignes, {filters}",
    )
    return csv_response(
        "patients", patient_header(with_nir=with_nir), patient_rows(patients, with_nir=with_nir)
    )


# --- Prescriptions --------------------------------------------------------------------------
PRESCRIPTION_HEADER = [
    "Référence",
    "Patient",
    "Date de naissance",
    "Prescripteur",
    "RPPS du prescripteur",
    "Statut",
    "Date de la prescription",
    "Début",
    "Fin",
    "Durée (mois)",
    "Limitation fonctionnelle retenue",
    "Renouvellement ou adaptation",
    "Date du renouvellement ou de l'adaptation",
    "Fin après renouvellement ou adaptation",
]


def prescription_rows(prescriptions: QuerySet[Prescription]) -> Iterator[list]:
    queryset = prescriptions.select_related("patient", "prescriber", "assessment", "renewal")
    for p in queryset.iterator(chunk_size=CHUNK_SIZE):
        assessment = getattr(p, "assessment", None)
        renewal = getattr(p, "renewal", None)
        yield [
            p.reference,
            p.patient.full_name,
            p.patient.birth_date,
            p.prescriber.display_name,
            p.prescriber.rpps,
            p.get_status_display(),
            p.prescribed_on,
            p.start_date,
            p.end_date,
            p.duration_months,
            _level_label(assessment.confirmed_level) if assessment else "",
            renewal.get_kind_display() if renewal else "",
            renewal.performed_on if renewal else None,
            renewal.end_date if renewal else None,
        ]


def prescriptions_csv(
    request: AuthenticatedRequest,
    prescriptions: QuerySet[Prescription],
    *,
    count: int,
    filters: str,
) -> StreamingHttpResponse:
    audit_read(
        request,
        action=ReadAudit.Action.EXPORT,
        detail=f"prescriptions : {count} lignes, {filters}",
    )
    return csv_response("prescriptions", PRESCRIPTION_HEADER, prescription_rows(prescriptions))
