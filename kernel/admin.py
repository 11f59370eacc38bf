"""Pieces shared by the ModelAdmins of the back-office.

- `StructureScopedAdmin`: a non-superuser admin sees and picks only what belongs to their
  structure (lists, change pages, history pages, autocompletes, foreign-key choices).
- `ClinicalRecordAdmin`: nothing clinical is ever deleted from the admin (R-P4, and PROTECT
  foreign keys would refuse it anyway), so no delete button and no delete action.
- `CsvExportAdmin`: the "Exporter (CSV)" button (current filters) and the
  "Exporter la sélection (CSV)" action, both streamed and audited by the app that owns the
  rows (`export_csv_response`).
- `HistoryAdmin`: django-simple-history's admin with every past version's page read-only.
- `AuditedReadAdmin`: the change, history and past-version pages (and the list) of a clinical
  record call the app's `record_read` hook, which writes the read audit (`audit.services.
  audit_read`): the kernel knows no app, the app that owns the record knows what was read.
"""

from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kernel import csv as kernel_csv
from kernel.pagination import CappedPaginator

MSG_HISTORY_READ_ONLY = _(
    "L'historique se consulte mais ne se restaure pas : une version passée ne remplace "
    "jamais la fiche actuelle. Pour corriger une fiche, modifiez-la depuis sa page."
)


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin, with every past version's page read-only.

    django-simple-history (3.13) saves the posted form on a version's page even with
    `SIMPLE_HISTORY_REVERT_DISABLED = True` (the setting only hides the button), so a POST
    would overwrite the current record with an old version, bypassing the services: an issued
    prescription would be edited in place (R-P4). Refused here before the form is even built.
    Every history admin of the project derives from this class (tests/test_admin_history.py
    walks the admin site's registry to check it).
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied(MSG_HISTORY_READ_ONLY)
        return super().history_form_view(request, object_id, version_id, extra_context)


# What the audit says of the admin page that showed the record (French: read by admins).
ADMIN_PAGE_CHANGE = "administration : fiche"
ADMIN_PAGE_HISTORY = "administration : historique"
ADMIN_PAGE_VERSION = "administration : version passée"
ADMIN_PAGE_LIST = "administration : liste"


class AuditedReadAdmin:
    """Every admin page that shows a clinical record records the read, as the application's
    pages do ("Qui a consulté ce dossier" names the admins too).

    Put before the other admin classes (`class PatientAdmin(AuditedReadAdmin, ...)`) and define
    `record_read(request, obj, *, page)`, which calls `audit.services.audit_read` with what
    `obj` is (a patient, a prescription, ...); `record_list_read(request, objects)` for a list
    whose rows name patients. Pages shown (GET) are recorded; a POST that shows the form again
    follows the read already recorded (audit_read decides). Past versions are recorded as reads
    of the current record (a version may lack the copied fields that scope the entry).
    """

    def record_read(self, request: HttpRequest, obj, *, page: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} must record the reads it shows")

    def record_list_read(self, request: HttpRequest, objects: list) -> None:
        """A list page: by default, nothing (rows that name no patient)."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:
            self.record_read(request, obj, page=ADMIN_PAGE_CHANGE)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_history_view(self, request, template, context, **kwargs):
        if "original" in context:  # a past version (history_form_view)
            version = context["original"]
            current = self.model._default_manager.filter(pk=version.pk).first()
            self.record_read(request, current or version, page=ADMIN_PAGE_VERSION)
        elif context.get("object") is not None:  # the list of versions (history_view)
            self.record_read(request, context["object"], page=ADMIN_PAGE_HISTORY)
        return super().render_history_view(request, template, context, **kwargs)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and response.status_code == 200:
            self.record_list_read(request, list(changelist.result_list))
        return response


def scope_to_structure(queryset: QuerySet, user, structure_field: str) -> QuerySet:
    """Superusers see everything; other admins only what belongs to their structure."""
    if user.is_superuser:
        return queryset
    if not user.structure_id:
        return queryset.none()
    return queryset.filter(**{structure_field: user.structure_id})


class StructureScopedAdmin(HistoryAdmin):
    """Scopes the admin of one model to the structure of a non-superuser admin.

    `structure_field` is the lookup from the model to its structure's id.
    """

    structure_field = "structure"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_structure(super().get_queryset(request), request.user, self.structure_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The choices of a foreign key are what the related model's own admin lets this user
        # see (scoped to their structure), as Django's autocomplete already does.
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if related_admin is not None and not request.user.is_superuser:
            kwargs.setdefault("queryset", related_admin.get_queryset(request).order_by())
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


class WordSearchAdmin(admin.ModelAdmin):
    """An admin search where every word typed must match: `search_term_q(word)` says how one
    word matches (the apps' own search rules), in one query whatever the number of words."""

    def search_term_q(self, term: str) -> Q:
        """By default, the word appears in one of `search_fields` (case ignored)."""
        condition = Q()
        for name in self.search_fields:
            condition |= Q(**{f"{name}__icontains": term})
        return condition

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        for term in search_term.replace("\x00", "").split():
            queryset = queryset.filter(self.search_term_q(term))
        return queryset, False


class ClinicalRecordAdmin(WordSearchAdmin, StructureScopedAdmin):
    """Never deleted from the admin.

    Lists at the scale of a region (bench/RESULTS.md): "12 résultats (100 000 au
    total)" is a second COUNT(*) over the whole table on every page, so only the filtered
    count is shown, and it stops after 1,000 rows (« plus de 1 000 » in
    templates/admin/pagination.html: the filters and the search narrow the list; the CSV
    export counts its rows exactly). Fifty rows a page: rendering each row costs more than
    reading it.
    """

    show_full_result_count = False
    paginator: ClassVar[type] = CappedPaginator  # ModelAdmin's type, for the subclasses' mixins
    list_per_page = 50

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ClinicalRecordAdmin):
    """Made by the services only (the renewal, the assessment): viewed, never added or changed."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class StoredPdfAdmin(admin.ModelAdmin):
    """The PDFs handed out (a prescription's form, a bilan, a pathway prescription): a trace,
    never added, changed or deleted here, listed without their bytes, scoped to the admin's
    structure by `structure_field`. Set `list_display` and `fields` (shown read-only)."""

    structure_field: str = "structure"

    def get_readonly_fields(self, request, obj=None):
        return self.fields or ()

    def get_queryset(self, request):
        return scope_to_structure(
            super().get_queryset(request).defer("pdf"), request.user, self.structure_field
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline:
    """An inline shown read-only whatever the user's permissions. Set `fields`."""

    can_delete = False
    extra = 0
    max_num: int | None = 0  # InlineModelAdmin's type

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
        template for each row (a quarter of the list's time at fifty rows, bench/RESULTS.md)."""
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
            filters=kernel_csv.describe_filters(request.GET),
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
