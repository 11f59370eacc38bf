from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone

from . import charts, selectors


def dashboard_index(request: HttpRequest) -> HttpResponse:
    """The activity at a glance: admin staff (their structure), superusers, physicians (own)."""
    scope = selectors.dashboard_scope(request.user)
    if scope is None:
        raise PermissionDenied
    today = timezone.localdate()
    ending = selectors.ending_soon(scope, today=today)
    unread = selectors.unread_renewals(scope)
    per_month = [
        (formats.date_format(month, "N Y"), n)
        for month, n in selectors.prescriptions_per_month(scope, today=today)
    ]
    per_level = selectors.patients_per_level(scope)
    per_situation = selectors.patients_per_situation(scope)
    context = {
        "scope": scope,
        "today": today,
        "ending_days": selectors.ENDING_SOON_DAYS,
        "ending_count": ending.count(),
        "ending": ending[: selectors.LIST_LIMIT],
        "unread_count": unread.count(),
        "unread": unread[: selectors.LIST_LIMIT],
        "list_limit": selectors.LIST_LIMIT,
        "per_month": per_month,
        "per_month_chart": charts.column_chart(per_month),
        "per_level": per_level,
        "per_level_chart": charts.bar_chart(per_level),
        "per_situation": per_situation,
        "per_situation_chart": charts.bar_chart(per_situation),
    }
    return render(request, "dashboard/index.html", context)
