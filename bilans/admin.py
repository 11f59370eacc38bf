"""Admin of the bilans and comptes rendus (CSP D.1172-5) and of their issued PDFs (R-B4).

Read-only, as the prescriptions' admin is for what the services make: a bilan or compte rendu is
written and signed only through `bilans.services` (a draft is its author's alone, a signed
document is never edited), so the admin views, never adds, changes nor deletes. History is kept
(simple_history) and shown read-only (kernel.admin.HistoryAdmin). A non-superuser admin sees the
documents of their structure's patients, never a draft; every page that shows a document is a
read of the patient's record in the audit.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.models import ReadAudit
from audit.services import audit_read
from kernel.admin import AuditedReadAdmin, ReadOnlyAdmin, StoredPdfAdmin
from patients import admin as patients_admin
from patients.admin import patient_admin_term_q
from prescriptions.rules import normalize_reference

from .models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport, Status


def bilan_term_q(term: str) -> Q:
    """One word of an admin search: the patient (accents ignored), the prescription's or the
    document's reference, the author's name."""
    q = (
        patient_admin_term_q(term, "patient__")
        | Q(prescription__reference__icontains=term)
        | Q(issued__reference__icontains=term)
        | Q(author__last_name__icontains=term)
    )
    reference = normalize_reference(term)
    if reference:
        q |= Q(prescription__reference=reference) | Q(issued__reference=reference)
    return q


class DocumentAdmin(AuditedReadAdmin, ReadOnlyAdmin):
    """What the three documents' admins share."""

    structure_field = "patient__structure"
    list_select_related = ["patient", "author", "prescription", "issued"]
    search_fields = ["patient__search_name", "prescription__reference", "author__last_name"]
    search_help_text = _(
        "Nom du patient (accents facultatifs), date de naissance, référence de la prescription "
        "ou du document, nom de l'intervenant."
    )

    def record_read(self, request, obj, *, page: str) -> None:
        audit_read(
            request,
            action=ReadAudit.Action.PATIENT_VIEW,
            patient=obj.patient,
            detail=f"{page} (bilan)",
        )

    def record_list_read(self, request, objects: list) -> None:
        patients_admin.audit_patients_listed(request, (o.patient_id for o in objects))

    def search_term_q(self, term: str) -> Q:
        return bilan_term_q(term)

    @admin.display(description=_("référence du document"))
    def reference(self, obj) -> str:
        issued = getattr(obj, "issued", None)
        return issued.reference if issued is not None else "–"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser and hasattr(self.model, "status"):
            # A draft is its author's only (bilans.access).
            queryset = queryset.exclude(status=Status.DRAFT)
        return queryset


@admin.register(EntryBilan)
class EntryBilanAdmin(DocumentAdmin):
    """R-B1: the entry bilan and its programme."""

    list_display = [
        "patient",
        "performed_on",
        "status",
        "author",
        "reference",
        "risk_flag",
        "share_agreement",
    ]
    list_filter = [
        "status",
        "risk_flag",
        "share_agreement",
        ("performed_on", admin.DateFieldListFilter),
    ]


@admin.register(ProgressReport)
class ProgressReportAdmin(DocumentAdmin):
    """R-B2: the comptes rendus, signed when recorded."""

    list_display = [
        "patient",
        "performed_on",
        "author",
        "reference",
        "sessions_done",
        "tolerance",
        "risk_flag",
        "share_agreement",
    ]
    list_filter = [
        "risk_flag",
        "tolerance",
        "share_agreement",
        ("performed_on", admin.DateFieldListFilter),
    ]


@admin.register(ExitBilan)
class ExitBilanAdmin(DocumentAdmin):
    """R-B3: the comparative exit bilan and its proposal."""

    list_select_related = [*DocumentAdmin.list_select_related, "entry"]
    list_display = [
        "patient",
        "performed_on",
        "status",
        "author",
        "reference",
        "proposal",
        "risk_flag",
        "share_agreement",
    ]
    list_filter = ["status", "proposal", "risk_flag", ("performed_on", admin.DateFieldListFilter)]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(StoredPdfAdmin):
    """The references, codes and stored PDFs of the signed documents (R-B4). No name in the
    list."""

    structure_field = "patient__structure"
    list_display = ["reference", "kind", "performed_on", "signed_at", "size", "rendered_at"]
    list_filter = ["kind", ("rendered_at", admin.EmptyFieldListFilter)]
    search_fields = ["reference", "sha256"]
    fields = [
        "reference",
        "kind",
        "performed_on",
        "signed_at",
        "sha256",
        "size",
        "rendered_at",
        "created_at",
    ]
