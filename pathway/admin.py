"""The pathway in the back-office: the dated tariffs and the ARS conventions are edited here
(R-C2, R-C3: the texts change, a new row with its date and its legal source); the episodes,
prescriptions and bookings are made by the services and only viewed, with their history."""

from django.contrib import admin
from django.http import HttpRequest

from audit.models import ReadAudit
from audit.services import audit_read
from kernel.admin import (
    AuditedReadAdmin,
    HistoryAdmin,
    ReadOnlyAdmin,
    StoredPdfAdmin,
    StructureScopedAdmin,
)

from .models import Booking, CancerEpisode, Convention, PathwayPdf, PathwayPrescription, Tariff


@admin.register(Tariff)
class TariffAdmin(HistoryAdmin):
    """R-C2, R-C3: the prices and caps in force from a date; a booking uses its date's row."""

    list_display = [
        "valid_from",
        "bilan_price",
        "consultation_price",
        "annual_cap",
        "max_bilans",
        "max_consultations",
        "legal_source",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a booking keeps the row it used


@admin.register(Convention)
class ConventionAdmin(StructureScopedAdmin):
    list_display = ["structure", "number", "starts_on", "ends_on", "export_identity"]
    list_select_related = ["structure"]
    search_fields = ["number", "structure__name"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _AuditedPathwayAdmin(AuditedReadAdmin, ReadOnlyAdmin):
    patient_path = "patient"

    def record_read(self, request: HttpRequest, obj, *, page: str) -> None:
        patient = obj
        for part in self.patient_path.split("__"):
            patient = getattr(patient, part)
        audit_read(
            request,  # type: ignore[arg-type]
            action=ReadAudit.Action.PATIENT_VIEW,
            patient=patient,
            detail=f"admin parcours ({page})",
        )


@admin.register(CancerEpisode)
class CancerEpisodeAdmin(_AuditedPathwayAdmin):
    structure_field = "patient__structure"
    list_display = ["patient", "localisation", "treatment_end", "ald"]
    list_select_related = ["patient"]
    search_fields = ["localisation"]


@admin.register(PathwayPrescription)
class PathwayPrescriptionAdmin(_AuditedPathwayAdmin):
    structure_field = "structure"
    list_display = ["reference", "patient", "prescriber", "structure", "prescribed_on"]
    list_select_related = ["patient", "prescriber", "structure"]
    search_fields = ["reference"]


@admin.register(Booking)
class BookingAdmin(_AuditedPathwayAdmin):
    structure_field = "pathway__structure"
    patient_path = "pathway__patient"
    list_display = ["pathway", "kind", "scheduled_on", "professional", "amount", "status"]
    list_select_related = ["pathway", "professional"]
    list_filter = ["kind", "status"]
    search_fields = ["pathway__reference"]


@admin.register(PathwayPdf)
class PathwayPdfAdmin(StoredPdfAdmin):
    """The pathway prescriptions' PDFs as handed out (pathway.pdf). No name in the list."""

    structure_field = "pathway__structure"
    list_display = ["pathway", "created_at", "size", "sha256"]
    list_select_related = ["pathway"]
    date_hierarchy = "created_at"
    search_fields = ["pathway__reference", "sha256"]
    fields = ["pathway", "sha256", "size", "created_at"]
