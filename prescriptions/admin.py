from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import LimitationAssessment, Prescription, Renewal, SupervisionRule


@admin.register(Prescription)
class PrescriptionAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "patient", "prescriber", "status", "start_date", "end_date"]
    list_filter = ["status", "duration_months"]
    search_fields = ["reference", "patient__search_name", "prescriber__last_name"]
    date_hierarchy = "prescribed_on"
    autocomplete_fields = ["patient", "prescriber"]

    def has_change_permission(self, request, obj=None):
        # R-P4: an issued prescription is read-only, in the admin too.
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)


@admin.register(LimitationAssessment)
class LimitationAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["prescription", "locomotor", "cerebral", "sensory", "confirmed_level"]
    list_filter = ["confirmed_level"]


@admin.register(Renewal)
class RenewalAdmin(SimpleHistoryAdmin):
    list_display = ["prescription", "kind", "physiotherapist", "performed_on", "end_date"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SupervisionRule)
class SupervisionRuleAdmin(SimpleHistoryAdmin):
    list_display = ["level", "profession", "note"]
    list_filter = ["level", "profession"]
