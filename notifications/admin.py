from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "prescription", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "prescription", "renewal"]
    date_hierarchy = "created_at"
