from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CareTeamGrant, EligibilitySituation, Patient


@admin.register(EligibilitySituation)
class EligibilitySituationAdmin(admin.ModelAdmin):
    list_display = ["label", "group", "code", "position"]
    list_filter = ["group"]


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["birth_name", "first_names", "used_name", "birth_date", "structure"]
    list_filter = ["structure", "sex", "situations"]
    search_fields = ["search_name", "nir"]
    autocomplete_fields = ["structure", "physician_in_charge"]
    filter_horizontal = ["situations"]
    date_hierarchy = "created_at"


@admin.register(CareTeamGrant)
class CareTeamGrantAdmin(SimpleHistoryAdmin):
    list_display = ["patient", "user", "reason", "prescription", "granted_at", "revoked_at"]
    list_filter = ["reason"]
    autocomplete_fields = ["patient", "user", "prescription", "granted_by"]
