"""Pieces shared by the ModelAdmins of the back-office.

- `StructureScopedAdmin`: a non-superuser admin sees and picks only what belongs to their
  structure (lists, change pages, history pages, autocompletes, foreign-key choices).
- `ClinicalRecordAdmin`: nothing clinical is ever deleted from the admin (R-P4, and PROTECT
  foreign keys would refuse it anyway), so no delete button and no delete action.
- `CsvExportAdmin`: the "Exporter (CSV)" button (current filters) and the
  "Exporter la sélection (CSV)" action, both streamed and audited (`dashboard.exports`).
- Every history page of a version (django-simple-history's `history_form_view`) is read-only:
  see `_read_only_history_form_view`, applied below to `SimpleHistoryAdmin` itself.
"""

import functools

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apa_portal.pagination import CappedPaginator
from patients.models import Patient
from practitioners.models import Structure, User
from prescriptions.models import Prescription

from . import exports

MSG_HISTORY_READ_ONLY = _(
    "L'historique se consulte mais ne se restaure pas : une version passée ne remplace "
    "jamais la fiche actuelle. Pour corriger une fiche, modifiez-la depuis sa page."
)


def _read_only_history_form_view(view):
    """Refuse every write to a past version's page: only GET (and HEAD) are answered.

    django-simple-history (3.13) saves the posted form on that page even with
    `SIMPLE_HISTORY_REVERT_DISABLED = True` (the setting only hides the button), so a POST
    would overwrite the current record with an old version, bypassing the services: an issued
    prescription would be edited in place (R-P4). Refused before the form is even built.
    """

    @functools.wraps(view)
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied(MSG_HISTORY_READ_ONLY)
        return view(self, request, object_id, version_id, extra_context)

    history_form_view.read_only = True
    return history_form_view


# In one place for every history admin of the project, including those that subclass
# SimpleHistoryAdmin directly (prescriptions.admin.SupervisionRuleAdmin): the class itself.
# tests/test_admin_history.py walks the admin site's registry to check each one.
if not getattr(SimpleHistoryAdmin.history_form_view, "read_only", False):
    SimpleHistoryAdmin.history_form_view = _read_only_history_form_view(
        SimpleHistoryAdmin.history_form_view
    )


def scope_to_structure(queryset: QuerySet, user: User, structure_field: str) -> QuerySet:
    """Superusers see everything; other admins only what belongs to their structure."""
    if user.is_superuser:
        return queryset
    if not user.structure_id:
        return queryset.none()
    return queryset.filter(**{structure_field: user.structure_id})


class StructureScopedAdmin(SimpleHistoryAdmin):
    """Scopes the admin of one model to the structure of a non-superuser admin.

    `structure_field` is the lookup from the model to its structure's id.
    """

    structure_field = "structure"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_structure(super().get_queryset(request), request.user, self.structure_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = related_choices(db_field.remote_field.model, request.user)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # django-simple-history falls back to the historical instance when the object is not in
    # get_queryset(): check the scope first, or another structure's history would show.
    def _check_in_scope(self, request: HttpRequest, object_id) -> None:
        try:
            in_scope = self.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, TypeError):  # a malformed id
            in_scope = False
        if not in_scope:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._check_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def related_choices(model, user: User) -> QuerySet | None:
    """The choices of a foreign key to `model` that a non-superuser admin may pick."""
    if user.is_superuser:
        return None
    structure_id = user.structure_id
    if model is Structure:
        return Structure.objects.filter(pk=structure_id)
    if model is User:
        return User.objects.filter(structure_id=structure_id, is_superuser=False)
    if model is Patient:
        return Patient.objects.filter(structure_id=structure_id)
    if model is Prescription:
        return Prescription.objects.filter(structure_id=structure_id)
    return None


class ClinicalRecordAdmin(StructureScopedAdmin):
    """Never deleted from the admin.

    Lists at the scale of a region (issue 8, bench/RESULTS.md): "12 résultats (100 000 au
    total)" is a second COUNT(*) over the whole table on every page, so only the filtered
    count is shown, and it stops after 1,000 rows (« plus de 1 000 » in
    templates/admin/pagination.html: the filters and the search narrow the list; the CSV
    export counts its rows exactly). Fifty rows a page: rendering each row costs more than
    reading it.
    """

    show_full_result_count = False
    paginator = CappedPaginator
    list_per_page = 50

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ClinicalRecordAdmin):
    """Made by the services only (the renewal, the assessment): viewed, never added or changed."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline:
    """An inline shown read-only whatever the user's permissions. Set `fields`."""

    can_delete = False
    extra = 0
    max_num = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields)


class CsvExportAdmin(admin.ModelAdmin):
    """The export of the filtered changelist ("Exporter (CSV)") and of a selection (action).

    Subclasses define `export_csv_response(request, queryset, count, filters)`.
    """

    change_list_template = "admin/export_change_list.html"
    actions = ["export_selection_csv"]

    def export_csv_response(self, request, queryset, *, count: int, filters: str):
        raise NotImplementedError

    def action_checkbox(self, obj):
        """Django's checkbox of a row, with the same markup, written without rendering a widget
        template for each row (a quarter of the list's time at fifty rows, issue 8)."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest):
        """The current changelist (filters, search, ordering) as CSV, without pagination."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse("admin:{}_{}_changelist".format(*info)))
        return self.export_csv_response(
            request,
            changelist.queryset,
            # Exact (the list's count stops at its paginator's cap): it goes to the audit.
            count=changelist.queryset.count(),
            filters=exports.describe_filters(request.GET),
        )

    @admin.action(description=_("Exporter la sélection (CSV)"), permissions=["view"])
    def export_selection_csv(self, request: HttpRequest, queryset: QuerySet):
        count = queryset.count()
        if not count:
            self.message_user(request, _("Aucune ligne sélectionnée."), messages.WARNING)
            return None
        return self.export_csv_response(
            request, queryset, count=count, filters="sélection cochée dans la liste"
        )
