"""The read audit in the admin: « qui a consulté ce dossier », per patient and per user.

Read-only for everyone (no add, change or delete), and scoped: a structure admin sees the reads
of their structure's patients (and the exports made by their structure's members); a
superuser sees everything. The Patient admin links here with `?patient=<uuid>`
(`readaudit_changelist_for_patient`). An entry names the records read by their ids and links to
them; it holds no name.
"""

import uuid

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kernel.pagination import CappedPaginator

from .models import ReadAudit


def readaudit_changelist_for_patient(patient) -> str:
    """The URL of « qui a consulté ce dossier » for one patient (for the Patient admin)."""
    return f"{reverse('admin:audit_readaudit_changelist')}?patient={patient.pk}"


def scope_audit(queryset: QuerySet, user) -> QuerySet:
    if user.is_superuser:
        return queryset
    if not user.structure_id:
        return queryset.none()
    return queryset.filter(structure_id=user.structure_id)


class PatientFilter(admin.SimpleListFilter):
    """`?patient=<uuid>`: the reads of one patient's record. Offers no list of patients (the
    sidebar would otherwise list every name): the choice shown is the selected record."""

    title = _("patient")
    parameter_name = "patient"

    def lookups(self, request, model_admin):
        value = self._uuid()
        if value is None:
            return []
        return [(str(value), _("ce dossier"))]

    def _uuid(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.value()))
        except (TypeError, ValueError):
            return None

    def queryset(self, request, queryset):
        if self.value() in (None, ""):
            return queryset
        value = self._uuid()
        return queryset.filter(patient_id=value) if value else queryset.none()


@admin.register(ReadAudit)
class ReadAuditAdmin(admin.ModelAdmin):
    """Read-only: the audit can be searched, never added, edited or deleted."""

    list_display = ["at", "user", "action", "patient_link", "prescription_link", "ip_address"]
    list_filter = [
        PatientFilter,
        ("user", admin.RelatedOnlyFieldListFilter),
        "action",
        ("at", admin.DateFieldListFilter),  # « Aujourd'hui », « Ce mois-ci », …
    ]
    date_hierarchy = "at"
    list_select_related = ["user"]
    # A patient's id finds the list and search pages that showed them (`patient_ids`).
    search_fields = ["user__username", "user__last_name", "patient_ids"]
    show_full_result_count = False
    # One row per read: the largest table of all. Counted up to 1,000 (bench/RESULTS.md).
    paginator = CappedPaginator
    list_per_page = 50
    actions = None

    @admin.display(description=_("dossier patient"))
    def patient_link(self, obj: ReadAudit) -> str:
        return _record_link("admin:patients_patient_change", obj.patient_id, _("dossier"))

    @admin.display(description=_("prescription"))
    def prescription_link(self, obj: ReadAudit) -> str:
        return _record_link(
            "admin:prescriptions_prescription_change", obj.prescription_id, _("prescription")
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_audit(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _record_link(url_name: str, pk, label) -> str:
    if pk is None:
        return "–"
    try:
        return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), label)
    except NoReverseMatch:  # that record's admin is not installed
        return str(pk)
