from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Structure, User


@admin.register(Structure)
class StructureAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "city"]
    list_filter = ["kind"]
    search_fields = ["name", "city"]


@admin.register(User)
class PractitionerAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "last_name", "first_name", "profession", "rpps", "structure"]
    list_filter = ["profession", "structure", "is_active", "is_staff"]
    search_fields = ["username", "last_name", "first_name", "rpps", "email"]
    autocomplete_fields = ["structure"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Exercice"), {"fields": ["profession", "specialty", "rpps", "structure"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (
            _("Exercice"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "email",
                    "profession",
                    "specialty",
                    "rpps",
                    "structure",
                ]
            },
        ),
    ]
