"""`/healthz/` (kernel.health): no login, no data, 503 when this instance cannot serve."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from audit.models import ReadAudit

pytestmark = pytest.mark.django_db
URL = "/healthz/"


@task()
def noop() -> None:
    return None


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_healthy_instance_answers_200_without_login_nor_data(
    client, database_queue, django_assert_max_num_queries
):
    # SELECT 1 (1); the age of the oldest ready task (1).
    with django_assert_max_num_queries(2):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "queue": "ok",
        "queue_age_seconds": 0,
    }
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert not ReadAudit.objects.exists()


def test_it_answers_503_when_the_database_is_unreachable(client, database_queue, monkeypatch):
    def refuse(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    response = client.get(URL)
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json()["database"] == "failed"
    assert response.json()["queue"] == "failed"
    assert response.json()["status"] == "failed"


def test_a_cache_down_is_degraded_not_unhealthy(client, cache_down):
    """The pages work without the cache: a load balancer must not take the instance off."""
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["cache"] == "degraded"
    assert response.json()["status"] == "degraded"


def test_a_queue_waiting_too_long_is_degraded(client, database_queue, settings):
    noop.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["queue_age_seconds"] >= 3600 > settings.APA_HEALTH_MAX_QUEUE_AGE_SECONDS
    assert (body["queue_age"], body["status"]) == ("degraded", "degraded")


def test_a_task_planned_for_later_is_not_late(client, database_queue):
    noop.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=2))
    assert client.get(URL).json()["queue_age_seconds"] == 0


def test_without_a_database_queue_there_is_no_queue_to_check(client):
    body = client.get(URL).json()
    assert (body["queue"], body["queue_age_seconds"], body["status"]) == ("none", None, "ok")


def test_a_session_without_its_second_factor_still_gets_the_health(client, otp_enforced):
    from tests import factories  # noqa: PLC0415

    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(URL).status_code == 200
    assert client.get("/patients/").status_code == 302  # while the pages send it to the OTP


def test_whatever_the_query_string_it_answers_the_same_way(client):
    for query in ("?x=%00", "?<script>=1", "?a=" + "é" * 3000):
        response = client.get(URL + query)
        assert response.status_code == 200
        assert set(response.json()) == {"status", "database", "cache", "queue", "queue_age_seconds"}
