from django.contrib import admin

from .models import ReadAudit


@admin.register(ReadAudit)
class ReadAuditAdmin(admin.ModelAdmin):
    """Read-only: the audit can be searched, never edited or deleted."""

    list_display = ["at", "user", "action", "patient", "prescription", "ip_address"]
    list_filter = ["action", "at"]
    date_hierarchy = "at"
    list_select_related = ["user", "patient", "prescription"]
    search_fields = ["user__username", "user__last_name", "patient__search_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
