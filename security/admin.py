"""Security events in the admin: read-only, with the action that lifts a second factor's
lock-out (security.services.otp_unlock). Superusers see every event; a staff member given the
view permission sees the events of their structure's accounts."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kernel.pagination import CappedPaginator
from practitioners.http import AuthenticatedRequest

from . import services
from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "user", "username", "ip_address", "detail")
    list_filter = ("kind", "at")
    search_fields = ("username", "user__username", "user__last_name", "ip_address")
    list_select_related = ("user",)
    date_hierarchy = "at"
    paginator = CappedPaginator
    show_full_result_count = False
    actions = ["unlock_second_factor"]

    def get_queryset(self, request: AuthenticatedRequest) -> QuerySet:  # type: ignore[override]
        # A structure's administrator (given the view permission) sees its members' events only.
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if not request.user.structure_id:
            return queryset.none()
        return queryset.filter(user__structure_id=request.user.structure_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        # Changing a TOTP device is what lifting its lock-out amounts to.
        return request.user.has_perm("otp_totp.change_totpdevice")

    @admin.action(
        description=_("Débloquer la double authentification des comptes sélectionnés"),
        permissions=["unlock"],
    )
    def unlock_second_factor(self, request: AuthenticatedRequest, queryset: QuerySet) -> None:
        users = {event.user for event in queryset.select_related("user") if event.user}
        unlocked = sum(services.otp_unlock(user=u, by=request.user, request=request) for u in users)
        self.message_user(
            request,
            ngettext("%(n)d compte débloqué.", "%(n)d comptes débloqués.", unlocked)
            % {"n": unlocked},
            messages.SUCCESS if unlocked else messages.WARNING,
        )
