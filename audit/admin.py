"""The read audit in the admin: « qui a consulté ce dossier », per patient and per user.

Read-only for everyone (no add, change or delete), and scoped: a structure admin sees the reads
of their structure's patients (and the exports made by their structure's members); a
superuser sees everything. The Patient admin links here with `?patient=<uuid>`
(`readaudit_changelist_for_patient`).
"""

import uuid

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apa_portal.pagination import CappedPaginator

from .models import ReadAudit


def readaudit_changelist_for_patient(patient) -> str:
    """The URL of « qui a consulté ce dossier » for one patient (for the Patient admin)."""
    return f"{reverse('admin:audit_readaudit_changelist')}?patient={patient.pk}"


def readaudit_changelist_for_user(user) -> str:
    """The URL of everything one user has consulted (for the User admin)."""
    return f"{reverse('admin:audit_readaudit_changelist')}?user__id__exact={user.pk}"


def scope_audit(queryset: QuerySet, user) -> QuerySet:
    if user.is_superuser:
        return queryset
    if not user.structure_id:
        return queryset.none()
    return queryset.filter(
        Q(patient__structure_id=user.structure_id)
        | Q(patient__isnull=True, user__structure_id=user.structure_id)
    )


class PatientFilter(admin.SimpleListFilter):
    """`?patient=<uuid>`: the reads of one patient's record. Offers no list of patients (the
    sidebar would otherwise list every name): the choice shown is the selected patient."""

    title = _("patient")
    parameter_name = "patient"

    def lookups(self, request, model_admin):
        value = self._uuid()
        if value is None:
            return []
        from patients.models import Patient

        patient = Patient.objects.filter(pk=value).only("birth_name", "first_names").first()
        return [(str(value), str(patient) if patient else _("patient inconnu"))]

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


class ScopedUserFilter(admin.RelatedOnlyFieldListFilter):
    """The users who appear in the (already scoped) audit."""


@admin.register(ReadAudit)
class ReadAuditAdmin(admin.ModelAdmin):
    """Read-only: the audit can be searched, never added, edited or deleted."""

    list_display = ["at", "user", "action", "patient", "prescription", "ip_address"]
    list_filter = [
        PatientFilter,
        ("user", ScopedUserFilter),
        "action",
        ("at", admin.DateFieldListFilter),  # « Aujourd'hui », « Ce mois-ci », …
    ]
    date_hierarchy = "at"
    list_select_related = ["user", "patient", "prescription"]
    search_fields = ["user__username", "user__last_name", "prescription__reference"]
    show_full_result_count = False
    # One row per read: the largest table of all. Counted up to 1,000 (issue 8).
    paginator = CappedPaginator
    list_per_page = 50
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_audit(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
