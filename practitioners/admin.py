"""Admin of structures and practitioner accounts.

A non-superuser admin (group « Administrateurs de structure ») manages the accounts of their
structure only: they cannot see superusers, grant superuser status or permissions, move an
account to another structure, or give a group they do not belong to.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from kernel.admin import ClinicalRecordAdmin, StructureScopedAdmin
from kernel.text import fold

from .forms import PractitionerChangeForm, PractitionerCreationForm
from .models import Structure, User

# A tuple: the stubs type a fieldset's fields as list[str | list | tuple] or a tuple (covariant).
EXERCISE_FIELDS = ("profession", "specialty", "rpps", "confirm_rpps", "structure")


@admin.register(Structure)
class StructureAdmin(ClinicalRecordAdmin):
    structure_field = "pk"
    list_display = ["name", "kind", "city", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "city"]


@admin.register(User)
class PractitionerAdmin(UserAdmin, StructureScopedAdmin):
    form = PractitionerChangeForm
    add_form = PractitionerCreationForm
    list_display = [
        "username",
        "last_name",
        "first_name",
        "profession",
        "rpps",
        "structure",
        "is_staff",
        "is_active",
    ]
    list_select_related = ["structure"]
    list_filter = ["profession", "structure", "is_active", "is_staff", "groups"]
    search_fields = ["username", "last_name", "first_name", "rpps", "email"]
    autocomplete_fields = ["structure"]
    date_hierarchy = "date_joined"
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Exercice"), {"fields": EXERCISE_FIELDS}),
        (
            _("Coordonnées professionnelles (imprimées sur le formulaire de prescription)"),
            {"fields": ["professional_address", "professional_phone", "secure_email"]},
        ),
        (
            _("Droits"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates importantes"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "usable_password", "password1", "password2"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Exercice"), {"fields": EXERCISE_FIELDS}),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            # A structure admin never touches a superuser's account.
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return [f for f in self.list_filter if f != "structure"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"user_permissions"} if obj is not None else {"structure"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and obj is not None:
            readonly += ["is_superuser", "structure", "last_login", "date_joined"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            # Only the groups the admin belongs to: no way to give more than one has.
            kwargs["queryset"] = request.user.groups.all()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            # A structure admin creates accounts of their own structure, never a superuser.
            obj.is_superuser = False
            obj.structure_id = request.user.structure_id
        super().save_model(request, obj, form, change)

    def get_search_results(self, request, queryset, search_term):
        """Every word must appear in the name, username, e-mail or RPPS, accents ignored.

        "lefevre" finds Lefèvre. User has no folded column, so the (small, already scoped and
        filtered) list is folded here: one query whatever the number of words.
        """
        terms = [fold(term) for term in search_term.split()]
        if not terms:
            return queryset, False
        rows = queryset.values_list("pk", "username", "first_name", "last_name", "email", "rpps")
        matching = [
            row[0] for row in rows if all(term in fold(" ".join(row[1:])) for term in terms)
        ]
        return queryset.filter(pk__in=matching), False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Accounts are deactivated, never deleted: prescriptions and audits point to them.
        return False
