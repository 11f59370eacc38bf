"""CSV exports of patients and prescriptions, streamed row by row.

UTF-8 with a BOM and `;` as separator (what French Excel expects), dates jj/mm/aaaa. Rows are read
with `.iterator(chunk_size=...)` and written as they come, so 100,000 rows never sit in memory.
Every export is recorded in the read audit, without any patient data in its detail.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from audit.models import ReadAudit
from audit.services import audit_read
from patients.models import Patient
from prescriptions.models import Prescription
from prescriptions.rules import LimitationLevel
from prescriptions.selectors import latest_confirmed_level

CHUNK_SIZE = 2000
ROWS_PER_WRITE = 500
BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "oui" if value else "non"
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The BOM and the header, then the rows, a few hundred per chunk."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield BOM + writer.writerow(header)
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow([_cell(c) for c in row]))
        if len(batch) >= ROWS_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


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
    request: HttpRequest, patients: QuerySet[Patient], *, count: int, filters: str
) -> StreamingHttpResponse:
    from patients.selectors import user_may_see_nir

    with_nir = user_may_see_nir(request.user)
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
    request: HttpRequest, prescriptions: QuerySet[Prescription], *, count: int, filters: str
) -> StreamingHttpResponse:
    audit_read(
        request,
        action=ReadAudit.Action.EXPORT,
        detail=f"prescriptions : {count} lignes, {filters}",
    )
    return csv_response("prescriptions", PRESCRIPTION_HEADER, prescription_rows(prescriptions))


def describe_filters(params) -> str:
    """The changelist's filters for the audit, without what was typed in the search box.

    A search term may be a patient's name: it is recorded as "recherche", never its content.
    """
    parts = []
    for key in sorted(params):
        if key in {"o", "p", "_changelist_filters"}:
            continue
        if key == "q":
            if params.get("q", "").strip():
                parts.append("recherche")
            continue
        parts.append(f"{key}={','.join(params.getlist(key))}"[:60])
    return "filtres : " + (" ; ".join(parts) if parts else "aucun")
