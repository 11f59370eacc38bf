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
    # The two lists stay live (their first rows, counted only when there are more); the aggregated
    # figures come from a cache of a few minutes (issue 8), their age is shown.
    ending = selectors.list_excerpt(selectors.ending_soon(scope, today=today), selectors.LIST_LIMIT)
    unread = selectors.list_excerpt(
        selectors.unread_renewals(scope), selectors.LIST_LIMIT, cap=selectors.UNREAD_COUNT_CAP
    )
    figures = selectors.dashboard_figures(scope, today=today)
    per_month = [(formats.date_format(month, "N Y"), n) for month, n in figures.per_month]
    per_level = figures.per_level
    per_situation = figures.per_situation
    context = {
        "scope": scope,
        "today": today,
        "ending_days": selectors.ENDING_SOON_DAYS,
        "ending": ending,
        "unread": unread,
        "figures_age_minutes": figures.age_minutes(),
        "figures_cache_minutes": selectors.FIGURES_CACHE_SECONDS // 60,
        # The key and lifetime of the figures' rendered fragment (templates/dashboard/index.html).
        "figures_computed_at": figures.computed_at,
        "figures_cache_seconds": selectors.FIGURES_CACHE_SECONDS,
        "per_month": per_month,
        "per_month_chart": charts.column_chart(per_month),
        "per_level": per_level,
        "per_level_chart": charts.bar_chart(per_level),
        "per_situation": per_situation,
        "per_situation_chart": charts.bar_chart(per_situation),
    }
    return render(request, "dashboard/index.html", context)
