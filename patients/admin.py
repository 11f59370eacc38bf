"""Admin of patients: accent-insensitive search, structure scope, validation and saves through
the patients' services. The prescriptions app extends this admin with what it knows of the
patient (the limitation level, the prescriptions, the CSV export): prescriptions.admin."""

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.admin import readaudit_changelist_for_patient
from audit.models import ReadAudit
from audit.services import audit_read
from kernel.admin import ADMIN_PAGE_LIST, AuditedReadAdmin, ClinicalRecordAdmin

from . import rules
from .models import CareTeamGrant, EligibilitySituation, Patient
from .selectors import patient_term_q
from .services import patient_errors, patient_save


def patient_admin_term_q(term: str, prefix: str = "") -> Q:
    """One word of an admin search on patients: the front office's (`patient_term_q`: a name,
    a birth date, a month) or the start of a NIR."""
    q = patient_term_q(term, prefix)
    compact = rules.nir_normalize(term)
    if len(compact) >= 13 and compact[:1].isdigit():
        q |= Q(**{f"{prefix}nir__startswith": compact})
    return q


class PatientAdminForm(forms.ModelForm):
    """The patient's fields, validated by the patients' services (`services.patient_errors`:
    R-ID2 NIR key, a plausible birth date, the other risk factor named), as on the pages."""

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

    def clean(self):
        cleaned = super().clean()
        # The services' checks, on what was typed (a field that fails them is then left out of
        # the model's own validation, as Django does for any field in error).
        probe = Patient(
            pk=self.instance.pk,
            nir=cleaned.get("nir") or "",
            birth_date=cleaned.get("birth_date"),
            other_risk_factor=cleaned.get("other_risk_factor") or "",
        )
        errors = patient_errors(probe, cleaned.get("situations") or ())
        for field, field_errors in errors.items():
            self.add_error(field if field in self.fields else None, field_errors)
        if "nir" not in errors and "nir" in cleaned:
            cleaned["nir"] = probe.nir  # compacted by the check
        return cleaned


@admin.register(EligibilitySituation)
class EligibilitySituationAdmin(admin.ModelAdmin):
    """R-E1: the situations are data from the decree; kept, never deleted (patients use them)."""

    list_display = ["label", "group", "code", "position"]
    list_filter = ["group"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def audit_patient_read(request, patient: Patient, *, page: str) -> None:
    """An admin page showed `patient`'s record (the NIR with it)."""
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail=page)


def audit_patients_listed(request, patient_ids) -> None:
    """An admin list showed these patients: one entry for the page."""
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=patient_ids,
        detail=ADMIN_PAGE_LIST,
    )


@admin.register(Patient)
class PatientAdmin(AuditedReadAdmin, ClinicalRecordAdmin):
    form = PatientAdminForm
    list_display = [
        "full_name_display",
        "birth_date",
        "sex",
        "structure",
        "physician_in_charge",
        "created_at",
    ]
    list_select_related = ["structure", "physician_in_charge"]
    # Typed as ModelAdmin declares it: prescriptions.admin extends this list.
    list_filter: ClassVar[list[Any]] = [
        "structure",
        "sex",
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

    def record_read(self, request, obj: Patient, *, page: str) -> None:
        audit_patient_read(request, obj, page=page)

    def record_list_read(self, request, objects: list[Patient]) -> None:
        audit_patients_listed(request, (patient.pk for patient in objects))

    @admin.display(description=_("consultations du dossier"))
    def consultations(self, obj: Patient):
        if obj.pk is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            readaudit_changelist_for_patient(obj),
            _("Qui a consulté ce dossier"),
        )

    @admin.display(description=_("patient"), ordering="birth_name")
    def full_name_display(self, obj: Patient) -> str:
        return obj.full_name

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

    def search_term_q(self, term: str) -> Q:
        return patient_admin_term_q(term)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            if not request.user.is_superuser:
                obj.structure_id = request.user.structure_id
        # The services' one path (a superuser may move the patient: its prescriptions follow).
        patient_save(patient=obj, situations=form.cleaned_data.get("situations") or ())


@admin.register(CareTeamGrant)
class CareTeamGrantAdmin(AuditedReadAdmin, ClinicalRecordAdmin):
    structure_field = "patient__structure"
    list_display = ["patient", "user", "reason", "granted_at", "revoked_at"]
    list_select_related = ["patient", "user"]
    list_filter = ["reason", ("revoked_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "granted_at"
    search_fields = ["patient__search_name"]
    autocomplete_fields = ["patient", "user", "granted_by"]

    def record_read(self, request, obj: CareTeamGrant, *, page: str) -> None:
        audit_patient_read(request, obj.patient, page=page)

    def record_list_read(self, request, objects: list[CareTeamGrant]) -> None:
        audit_patients_listed(request, (grant.patient_id for grant in objects))

    def search_term_q(self, term: str) -> Q:
        return (
            patient_admin_term_q(term, "patient__")
            | Q(user__last_name__icontains=term)
            | Q(user__rpps=term)
        )
