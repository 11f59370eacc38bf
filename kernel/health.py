"""`/healthz/`: may a load balancer or a supervisor send this instance requests?

No login, no second factor, no data (names of checks, "ok"/"degraded"/"failed", a queue age in
seconds), never cached, not in the read audit (it reads no record). Three queries at most.

- `database` and `queue` (the task table is in the database) unreachable → **503**: this
  instance cannot serve.
- `cache` unreachable → 200, "degraded": the pages work without it (kernel.cache: a miss, a
  dropped write, throttle counters in the process). A load balancer must not take every
  instance off because the shared Redis stopped.
- `queue_age` (seconds the oldest task ready to run has waited) over
  `APA_HEALTH_MAX_QUEUE_AGE_SECONDS` → 200, "degraded": the worker is late or dead (see
  `manage.py run_worker`); the web pages do not need it (a PDF not rendered in the background is
  rendered at its first download). Monitoring alerts on "degraded".
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Min, When
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kernel.http import otp_exempt

OK, DEGRADED, FAILED = "ok", "degraded", "failed"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return FAILED
    return OK


def check_cache() -> str:
    ping = getattr(cache, "ping", None)  # kernel.cache.DegradingRedisCache
    if ping is not None:
        return OK if ping() else DEGRADED
    try:
        cache.set("apa:healthz", 1, 5)
        return OK if cache.get("apa:healthz") == 1 else DEGRADED
    except Exception:  # noqa: BLE001 (any backend's error: the pages go on without it)
        return DEGRADED


def queue_age_seconds() -> int | None:
    """Seconds the oldest task ready to run has waited (0: none waits); None without a database
    queue. Raises DatabaseError when the queue cannot be read."""
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db."):
        return None
    from django_tasks_db.models import DBTaskResult, get_date_max  # noqa: PLC0415

    now = timezone.now()
    oldest = (
        DBTaskResult.objects.ready()
        .annotate(
            waiting_since=Case(
                When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after")
            )
        )
        .aggregate(oldest=Min("waiting_since"))["oldest"]
    )
    return 0 if oldest is None else max(0, int((now - oldest).total_seconds()))


@otp_exempt  # no session, no second factor
@login_not_required
@never_cache
@require_safe
@transaction.non_atomic_requests  # ATOMIC_REQUESTS would need the database before the view
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str | int | None] = {"database": check_database()}
    checks["cache"] = check_cache()
    age = None
    if checks["database"] == OK:
        try:
            age = queue_age_seconds()
            checks["queue"] = OK if age is not None else "none"
        except DatabaseError:
            checks["queue"] = FAILED
    else:
        checks["queue"] = FAILED
    checks["queue_age_seconds"] = age
    if age is not None and age > settings.APA_HEALTH_MAX_QUEUE_AGE_SECONDS:
        checks["queue_age"] = DEGRADED
    failed = FAILED in (checks["database"], checks["queue"])
    degraded = DEGRADED in checks.values()
    status = FAILED if failed else DEGRADED if degraded else OK
    return JsonResponse({"status": status, **checks}, status=503 if failed else 200)
