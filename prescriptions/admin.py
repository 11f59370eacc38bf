"""Admin of prescriptions, renewals, assessments and the supervision table, and the patients'
admin extended with what this app knows of them (level, prescriptions, CSV export).

R-P4: an issued prescription is read-only in the admin too; nothing clinical is deleted.
"""

import calendar
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.models import ReadAudit
from audit.services import audit_read
from kernel.admin import (
    AuditedReadAdmin,
    ClinicalRecordAdmin,
    CsvExportAdmin,
    HistoryAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    StoredPdfAdmin,
)
from patients import admin as patients_admin
from patients.admin import patient_admin_term_q
from patients.models import Patient

from . import exports
from .models import (
    LimitationAssessment,
    Prescription,
    PrescriptionAccess,
    RenderedPdf,
    Renewal,
    SupervisionRule,
)
from .rules import ENDING_SOON_DAYS, NOT_ASSESSED, LimitationLevel, normalize_reference
from .selectors import latest_confirmed_level

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

Status = Prescription.Status


def audit_prescription_read(request, prescription: Prescription, *, page: str) -> None:
    """An admin page showed `prescription` (or its assessment, renewal or accesses)."""
    audit_read(
        request, action=ReadAudit.Action.PRESCRIPTION_VIEW, prescription=prescription, detail=page
    )


class AuditedPrescriptionPartAdmin(AuditedReadAdmin):
    """The admin of a part of a prescription (`obj.prescription`): its pages are reads of the
    prescription, its lists name the patients of their rows."""

    def record_read(self, request, obj, *, page: str) -> None:
        audit_prescription_read(request, obj.prescription, page=page)

    def record_list_read(self, request, objects: list) -> None:
        patients_admin.audit_patients_listed(request, (o.prescription.patient_id for o in objects))


def prescription_term_q(term: str, prefix: str = "") -> Q:
    """One word of an admin search: reference, patient (accents ignored), prescriber or RPPS."""
    q = patient_admin_term_q(term, f"{prefix}patient__") | Q(
        **{f"{prefix}reference__icontains": term}
    )
    reference = normalize_reference(term)
    if reference:
        q |= Q(**{f"{prefix}reference": reference})
    if term.isdigit():
        q |= Q(**{f"{prefix}prescriber__rpps": term}) | Q(**{f"{prefix}renewal__physio_rpps": term})
    return q | Q(**{f"{prefix}prescriber__last_name__icontains": term})


class EndOfPrescriptionFilter(admin.SimpleListFilter):
    """« Fin de la prescription », counting the physiotherapist's renewal (current_end_date)."""

    title = _("fin de la prescription")
    parameter_name = "fin"

    def lookups(self, request, model_admin):
        return [
            ("mois", _("Ce mois-ci")),
            ("30j", _("Dans les %(n)s jours") % {"n": ENDING_SOON_DAYS}),
            ("echues", _("Échues")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in {"mois", "30j", "echues"}:
            return queryset
        today = timezone.localdate()
        # Drafts have not started and cancelled prescriptions do not "end".
        queryset = queryset.exclude(status__in=[Status.DRAFT, Status.CANCELLED])
        if value == "mois":
            last_day = today.replace(day=calendar.monthrange(today.year, today.month)[1])
            return queryset.filter(current_end_date__range=(today.replace(day=1), last_day))
        if value == "30j":
            return queryset.filter(
                current_end_date__range=(today, today + timedelta(days=ENDING_SOON_DAYS))
            )
        return queryset.filter(current_end_date__lt=today)


class AssessmentInline(ReadOnlyInline, admin.StackedInline):
    model = LimitationAssessment
    fields = [
        "locomotor",
        "cerebral",
        "sensory",
        "computed_level_label",
        "confirmed_level",
        "severe_indicator_labels",
    ]

    @admin.display(description=_("limitation résultante (calculée)"))
    def computed_level_label(self, obj: LimitationAssessment) -> str:
        return obj.computed_level_label

    @admin.display(description=_("indicateurs de limitation sévère"))
    def severe_indicator_labels(self, obj: LimitationAssessment) -> str:
        return " ; ".join(obj.severe_indicator_labels) or "–"


class RenewalInline(ReadOnlyInline, admin.StackedInline):
    model = Renewal
    fields = [
        "kind",
        "physio_last_name",
        "physio_first_name",
        "physio_rpps",
        "performed_on",
        "duration_months",
        "start_date",
        "end_date",
        "summary",
        "prescriber_read_at",
    ]

    @admin.display(description=_("préconisations adaptées"))
    def summary(self, obj: Renewal) -> str:
        return obj.recommendations_summary() or obj.recommendations_text or "–"


@admin.register(Prescription)
class PrescriptionAdmin(AuditedReadAdmin, CsvExportAdmin, ClinicalRecordAdmin):
    structure_field = "structure"
    list_display = [
        "reference",
        "patient",
        "patient_birth_date",
        "prescriber",
        "status",
        "prescribed_on",
        "start_date",
        "current_end_date",
        "duration_months",
        "level_display",
        "renewal_display",
    ]
    list_select_related = ["patient", "prescriber", "assessment", "renewal"]
    list_filter = [
        "status",
        EndOfPrescriptionFilter,
        "assessment__confirmed_level",
        "patient__situations",
        "duration_months",
        "renewal__kind",
        ("prescribed_on", admin.DateFieldListFilter),
        "structure",
    ]
    search_fields = ["reference", "patient__search_name", "prescriber__rpps"]
    search_help_text = _(
        "Référence, nom du patient (accents facultatifs), date de naissance, nom ou RPPS du "
        "prescripteur."
    )
    # No date_hierarchy: it costs two queries over every prescription on each page (first and
    # last date, then the distinct years: ~150 ms at 300,000 rows); the date filter
    # above gives the same choice.
    inlines = [AssessmentInline, RenewalInline]
    # R-P1, R-P4: who prescribes for whom, when, and where the prescription stands are the
    # services' alone (the prescriber's own draft, dated the day they sign it), never the
    # admin's, even on a draft: a superuser who changed a draft's prescriber or date would let
    # another physician sign it, backdated.
    readonly_fields = [
        "reference",
        "verification_code",
        "patient",
        "prescriber",
        "prescribed_on",
        "start_date",
        "end_date",
        "status",
        "issued_at",
        "cancelled_at",
    ]

    def record_read(self, request, obj: Prescription, *, page: str) -> None:
        audit_prescription_read(request, obj, page=page)

    def record_list_read(self, request, objects: list[Prescription]) -> None:
        patients_admin.audit_patients_listed(request, (p.patient_id for p in objects))

    @admin.display(description=_("date de naissance"), ordering="patient__birth_date")
    def patient_birth_date(self, obj: Prescription):
        return obj.patient.birth_date

    @admin.display(description=_("limitation"), ordering="assessment__confirmed_level")
    def level_display(self, obj: Prescription) -> str:
        assessment = getattr(obj, "assessment", None)
        # A str, not the lazy label: the admin compares a cell's value with each of its five
        # empty values, and each comparison of a lazy string translates it again (bench/RESULTS.md).
        return str(LimitationLevel(assessment.confirmed_level).label) if assessment else "–"

    @admin.display(description=_("renouvellement / adaptation"))
    def renewal_display(self, obj: Prescription) -> str:
        renewal = getattr(obj, "renewal", None)
        if renewal is None:
            return "–"
        return f"{renewal.get_kind_display()} du {renewal.performed_on:%d/%m/%Y}"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            # A draft is its prescriber's only (prescriptions.selectors).
            queryset = queryset.exclude(status=Status.DRAFT)
        return queryset

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return [f for f in self.list_filter if f != "structure"]

    def search_term_q(self, term: str) -> Q:
        return prescription_term_q(term)

    def has_add_permission(self, request) -> bool:
        # Made by the physician through prescriptions.services (reference, code, assessment).
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # R-P4 (CSP D.1172-2): an issued prescription is read-only, in the admin too.
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def export_csv_response(self, request, queryset, *, count, filters):
        return exports.prescriptions_csv(request, queryset, count=count, filters=filters)


@admin.register(LimitationAssessment)
class LimitationAssessmentAdmin(AuditedPrescriptionPartAdmin, ReadOnlyAdmin):
    """R-L1 to R-L3: made with the prescription, read-only here."""

    structure_field = "prescription__structure"
    list_display = [
        "prescription",
        "patient",
        "locomotor",
        "cerebral",
        "sensory",
        "computed_level_display",
        "confirmed_level",
    ]
    list_select_related = ["prescription__patient"]
    list_filter = ["confirmed_level", "locomotor", "cerebral", "sensory"]
    search_fields = ["prescription__reference", "prescription__patient__search_name"]

    @admin.display(description=_("patient"), ordering="prescription__patient__birth_name")
    def patient(self, obj: LimitationAssessment):
        return obj.prescription.patient

    @admin.display(description=_("limitation résultante (calculée)"))
    def computed_level_display(self, obj: LimitationAssessment) -> str:
        return obj.computed_level_label

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            queryset = queryset.exclude(prescription__status=Status.DRAFT)
        return queryset

    def search_term_q(self, term: str) -> Q:
        return prescription_term_q(term, "prescription__")


@admin.register(Renewal)
class RenewalAdmin(AuditedPrescriptionPartAdmin, ReadOnlyAdmin):
    """R-R1 to R-R7: made by the physiotherapist through the services, read-only here."""

    structure_field = "prescription__structure"
    list_display = [
        "prescription",
        "patient",
        "kind",
        "physiotherapist",
        "physio_rpps",
        "performed_on",
        "end_date",
        "prescriber_read_at",
    ]
    list_select_related = ["prescription__patient", "physiotherapist"]
    list_filter = [
        "kind",
        ("prescriber_read_at", admin.EmptyFieldListFilter),
        ("performed_on", admin.DateFieldListFilter),
    ]
    date_hierarchy = "performed_on"
    search_fields = ["prescription__reference", "prescription__patient__search_name", "physio_rpps"]

    @admin.display(description=_("patient"), ordering="prescription__patient__birth_name")
    def patient(self, obj: Renewal):
        return obj.prescription.patient

    def search_term_q(self, term: str) -> Q:
        return (
            prescription_term_q(term, "prescription__")
            | Q(physio_rpps=term)
            | Q(physio_last_name__icontains=term)
        )


@admin.register(SupervisionRule)
class SupervisionRuleAdmin(HistoryAdmin):
    """R-L4 (binding, enforced by a database constraint) and R-L5 (editable defaults)."""

    list_display = ["level", "profession", "note"]
    list_filter = ["level", "profession"]
    search_fields = ["note"]


@admin.register(RenderedPdf)
class RenderedPdfAdmin(StoredPdfAdmin):
    """The official forms as handed out (prescriptions.pdf)."""

    structure_field = "prescription__structure"
    list_display = ["prescription", "created_at", "size", "sha256"]
    list_select_related = ["prescription"]
    date_hierarchy = "created_at"
    search_fields = ["prescription__reference", "sha256"]
    fields = ["prescription", "content_key", "sha256", "size", "created_at"]


# --- The patients' admin, with their prescriptions ------------------------------------------
class LatestLevelFilter(admin.SimpleListFilter):
    """R-L2: the level the physician confirmed on the patient's latest signed prescription."""

    title = _("limitation fonctionnelle")
    parameter_name = "limitation"

    def lookups(self, request, model_admin):
        return [
            *((str(v), label) for v, label in LimitationLevel.choices),
            ("aucune", NOT_ASSESSED),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "aucune":
            return queryset.filter(latest_level__isnull=True)
        if value in {str(v) for v in LimitationLevel.values}:
            return queryset.filter(latest_level=int(value))
        return queryset


class PrescriptionInline(ReadOnlyInline, admin.TabularInline):
    model = Prescription
    fields = ["reference_link", "status", "prescribed_on", "end_date", "prescriber"]
    verbose_name_plural = _("prescriptions")
    ordering = ["-prescribed_on"]

    @admin.display(description=_("référence"))
    def reference_link(self, obj: Prescription):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.reference)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("prescriber")
        if not request.user.is_superuser:
            # Drafts are their prescriber's only (prescriptions.selectors).
            queryset = queryset.exclude(status=Prescription.Status.DRAFT)
        return queryset


class LatestLevel(TypedDict):
    latest_level: int | None


class PatientWithPrescriptionsAdmin(CsvExportAdmin, patients_admin.PatientAdmin):
    """The patients' admin (patients.admin) with the level of each patient (R-L2), its
    prescriptions and the CSV export. Registered in its place, as Django documents for
    extending another app's admin."""

    list_display: list[Any] = [
        *(f for f in patients_admin.PatientAdmin.list_display if f != "created_at"),
        "latest_level_display",
        "created_at",
    ]
    list_filter: ClassVar[list[Any]] = [
        *patients_admin.PatientAdmin.list_filter[:2],
        LatestLevelFilter,
        *patients_admin.PatientAdmin.list_filter[2:],
    ]
    inlines = [PrescriptionInline]

    @admin.display(description=_("limitation (dernière retenue)"), ordering="latest_level")
    def latest_level_display(self, obj: "WithAnnotations[Patient, LatestLevel]") -> str:
        if obj.latest_level is None:
            return "–"
        # A str, not the lazy label: the admin compares a cell's value with each of its five
        # empty values, and each comparison of a lazy string translates it again.
        return str(LimitationLevel(obj.latest_level).label)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(latest_level=latest_confirmed_level())

    def export_csv_response(self, request, queryset, *, count, filters):
        return exports.patients_csv(request, queryset, count=count, filters=filters)


admin.site.unregister(Patient)
admin.site.register(Patient, PatientWithPrescriptionsAdmin)


@admin.register(PrescriptionAccess)
class PrescriptionAccessAdmin(AuditedPrescriptionPartAdmin, ReadOnlyAdmin):
    """A physiotherapist's access to the prescription they looked up: made by the look-up."""

    structure_field = "prescription__structure"
    list_display = ["prescription", "user", "granted_at", "revoked_at"]
    list_select_related = ["prescription", "user"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prescription__reference", "user__last_name", "user__rpps"]
