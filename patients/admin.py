"""Admin of patients: accent-insensitive search, structure scope, streamed CSV export."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dashboard import exports
from dashboard.admin_tools import ClinicalRecordAdmin, CsvExportAdmin, ReadOnlyInline
from dashboard.selectors import NOT_ASSESSED
from prescriptions.models import Prescription
from prescriptions.rules import LimitationLevel
from prescriptions.selectors import latest_confirmed_level

from . import rules
from .models import CareTeamGrant, EligibilitySituation, Patient
from .selectors import parse_french_date
from .services import (
    MSG_BIRTH_DATE,
    MSG_NIR_FORMAT,
    MSG_NIR_KEY,
    MSG_OTHER_RISK_FACTOR,
    patient_prescriptions_follow_structure,
)


def folded_name_q(term: str, field: str = "search_name") -> Q:
    """A word of the folded names starts with `term`, accents and case ignored ("hel" -> Hélène).

    `search_name` holds the folded names separated by spaces; on PostgreSQL a trigram index
    (patients migration 0004) serves these LIKE queries.
    """
    folded = rules.fold(term)
    return Q(**{f"{field}__startswith": folded}) | Q(**{f"{field}__contains": f" {folded}"})


def patient_term_q(term: str, prefix: str = "") -> Q:
    """One word of an admin search on patients: a name, a birth date or a NIR."""
    birth_date = parse_french_date(term)
    if birth_date is not None:
        return Q(**{f"{prefix}birth_date": birth_date})
    q = folded_name_q(term, f"{prefix}search_name")
    compact = rules.nir_normalize(term)
    if len(compact) >= 13 and compact[:1].isdigit():
        q |= Q(**{f"{prefix}nir__startswith": compact})
    return q


class PatientAdminForm(forms.ModelForm):
    """The same checks as patients.services: R-ID2 NIR key, a plausible birth date, the other
    risk factor named (patients.rules)."""

    # Typed as printed on the carte Vitale, spaces included; stored compact (15 characters).
    nir = forms.CharField(
        label=Patient._meta.get_field("nir").verbose_name,
        help_text=Patient._meta.get_field("nir").help_text,
        max_length=25,
        required=False,
    )

    class Meta:
        model = Patient
        fields = [
            "birth_name",
            "used_name",
            "first_names",
            "birth_date",
            "sex",
            "nir",
            "phone",
            "email",
            "address",
            "postal_code",
            "city",
            "situations",
            "ald_details",
            "other_risk_factor",
            "structure",
            "physician_in_charge",
        ]

    def clean_nir(self) -> str:
        nir = self.cleaned_data.get("nir", "")
        if not nir:
            return ""
        try:
            return rules.nir_validate(nir)  # R-ID2
        except rules.NirError as exc:
            message = MSG_NIR_KEY if exc.reason == "key" else MSG_NIR_FORMAT
            raise forms.ValidationError(message) from exc

    def clean_birth_date(self):
        birth_date = self.cleaned_data.get("birth_date")
        if birth_date and not rules.birth_date_is_plausible(birth_date, today=timezone.localdate()):
            raise forms.ValidationError(MSG_BIRTH_DATE)
        return birth_date

    def clean(self):
        cleaned = super().clean()
        situations = cleaned.get("situations") or ()
        if rules.other_risk_factor_is_missing(
            (s.code for s in situations), cleaned.get("other_risk_factor") or ""
        ):
            self.add_error("other_risk_factor", MSG_OTHER_RISK_FACTOR)
        return cleaned


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


@admin.register(EligibilitySituation)
class EligibilitySituationAdmin(admin.ModelAdmin):
    """R-E1: the situations are data from the decree; kept, never deleted (patients use them)."""

    list_display = ["label", "group", "code", "position"]
    list_filter = ["group"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(CsvExportAdmin, ClinicalRecordAdmin):
    form = PatientAdminForm
    list_display = [
        "full_name_display",
        "birth_date",
        "sex",
        "structure",
        "physician_in_charge",
        "latest_level_display",
        "created_at",
    ]
    list_select_related = ["structure", "physician_in_charge"]
    list_filter = [
        "structure",
        "sex",
        LatestLevelFilter,
        "situations",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["search_name"]
    search_help_text = _(
        "Nom ou prénom (les premières lettres suffisent, accents facultatifs), date de naissance "
        "jj/mm/aaaa ou NIR."
    )
    autocomplete_fields = ["structure", "physician_in_charge"]
    filter_horizontal = ["situations"]
    # No date_hierarchy: it scans every visible patient on each page (bench/RESULTS.md).
    inlines = [PrescriptionInline]
    fieldsets = [
        (
            _("Identité"),
            {"fields": ["birth_name", "used_name", "first_names", "birth_date", "sex", "nir"]},
        ),
        (_("Coordonnées"), {"fields": ["phone", "email", "address", "postal_code", "city"]}),
        (
            _("Situations ouvrant droit à l'APA"),
            {"fields": ["situations", "ald_details", "other_risk_factor"]},
        ),
        (_("Suivi"), {"fields": ["structure", "physician_in_charge", "consultations"]}),
    ]
    readonly_fields = ["consultations"]

    @admin.display(description=_("consultations du dossier"))
    def consultations(self, obj: Patient):
        if obj.pk is None:
            return "–"
        from audit.admin import readaudit_changelist_for_patient

        return format_html(
            '<a href="{}">{}</a>',
            readaudit_changelist_for_patient(obj),
            _("Qui a consulté ce dossier"),
        )

    @admin.display(description=_("patient"), ordering="birth_name")
    def full_name_display(self, obj: Patient) -> str:
        return obj.full_name

    @admin.display(description=_("limitation (dernière retenue)"), ordering="latest_level")
    def latest_level_display(self, obj: Patient) -> str:
        if obj.latest_level is None:
            return "–"
        # A str, not the lazy label: the admin compares a cell's value with each of its five
        # empty values, and each comparison of a lazy string translates it again (issue 8).
        return str(LimitationLevel(obj.latest_level).label)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(latest_level=latest_confirmed_level())

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return [f for f in self.list_filter if f != "structure"]

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return [f for f in self.list_display if f != "structure"]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        # The structure that registered the patient is set once, to the admin's own.
        return [*self.readonly_fields, "structure"]

    def get_search_results(self, request, queryset, search_term):
        """Every word must match: "hel dup" and "helene" find Hélène Dupont."""
        for term in search_term.split():
            queryset = queryset.filter(patient_term_q(term))
        return queryset, False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            if not request.user.is_superuser:
                obj.structure_id = request.user.structure_id
        super().save_model(request, obj, form, change)
        if change:  # a superuser may move the patient: its prescriptions follow (same transaction)
            patient_prescriptions_follow_structure(obj)

    def export_csv_response(self, request, queryset, *, count, filters):
        return exports.patients_csv(request, queryset, count=count, filters=filters)


@admin.register(CareTeamGrant)
class CareTeamGrantAdmin(ClinicalRecordAdmin):
    structure_field = "patient__structure"
    list_display = ["patient", "user", "reason", "prescription", "granted_at", "revoked_at"]
    list_select_related = ["patient", "user", "prescription"]
    list_filter = ["reason", ("revoked_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "granted_at"
    search_fields = ["patient__search_name"]
    autocomplete_fields = ["patient", "user", "prescription", "granted_by"]

    def get_search_results(self, request, queryset, search_term):
        for term in search_term.split():
            queryset = queryset.filter(
                patient_term_q(term, "patient__")
                | Q(user__last_name__icontains=term)
                | Q(user__rpps=term)
            )
        return queryset, False
