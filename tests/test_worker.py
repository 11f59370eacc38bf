"""The background worker survives (kernel.worker, `manage.py run_worker`): a database outage,
a worker killed mid-task, a task that fails."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks import task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from kernel.worker import WORKER_LOST, SupervisedWorker, requeue_stale_tasks, retry_failed_tasks
from prescriptions.tasks import prerender_prescription_pdf

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker closes a connection left inside a transaction: run outside the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

FAILURES = {"left": 0}


@task()
def double(n: int) -> int:
    return 2 * n


@task()
def fails_while_asked(n: int) -> int:
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("the store is down")
    return n


FLAKY_PATH = f"{__name__}.fails_while_asked"


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = DATABASE
    settings.APA_TASKS_RETRIED = [FLAKY_PATH]
    settings.APA_TASKS_MAX_ATTEMPTS = 3
    settings.APA_TASKS_RETRY_DELAY_SECONDS = 60
    settings.APA_TASKS_RUNNING_TIMEOUT_SECONDS = 15 * 60
    FAILURES["left"] = 0


class FakeTime:
    """A clock that only `sleep` moves, so a 5-second outage takes no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_worker(worker_id: str = "worker-under-test") -> Worker:
    return Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def statuses() -> list[str]:
    return sorted(DBTaskResult.objects.values_list("status", flat=True))


def all_finished() -> bool:
    return not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists()


def test_a_worker_whose_database_goes_away_for_5_seconds_keeps_processing(monkeypatch):
    double.enqueue(1)
    fake = FakeTime()
    real_get_locked = DBTaskResultQuerySet.get_locked

    def get_locked(queryset):
        if 1.0 <= fake.now < 6.0:  # the database is away from t=1 s to t=6 s
            raise OperationalError("connection refused")
        return real_get_locked(queryset)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    supervised = SupervisedWorker(make_worker(), sleep=fake.sleep, clock=fake.clock)
    # First cycle runs the task queued before the outage; then the outage; a task queued
    # during it must run once the database is back.
    ticks = {"n": 0}

    def until() -> bool:
        ticks["n"] += 1
        if ticks["n"] == 3:
            double.enqueue(2)
        return fake.now > 20 or (fake.now > 6 and all_finished())

    supervised.until = until
    supervised.run()

    assert statuses() == ["SUCCESSFUL", "SUCCESSFUL"]
    assert supervised.outages == 1
    assert fake.sleeps[:1] == [1.0]  # the interval before the outage ...
    assert fake.sleeps[1:4] == [1.0, 2.0, 4.0]  # ... then the back-off while it lasts
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == [2, 4]


def test_without_the_supervising_loop_the_worker_dies_with_the_database(monkeypatch):
    """What `run_worker` is for: django-tasks-db's own loop exits on the first outage."""

    def get_locked(queryset):
        raise OperationalError("connection refused")

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    double.enqueue(1)
    with pytest.raises(OperationalError):
        make_worker().run()


def test_a_task_the_worker_was_running_when_the_database_went_away_runs_again(monkeypatch):
    double.enqueue(21)
    fake = FakeTime()
    real = {name: getattr(DBTaskResult, name) for name in ("set_successful", "set_failed")}

    def away_until_1_s(name):
        def method(self, value):
            if fake.now < 1.0:  # the database goes away as the result is saved
                raise OperationalError("server closed the connection unexpectedly")
            return real[name](self, value)

        return method

    for name in real:
        monkeypatch.setattr(DBTaskResult, name, away_until_1_s(name))
    supervised = SupervisedWorker(
        make_worker(), sleep=fake.sleep, clock=fake.clock, until=lambda: all_finished()
    )
    supervised.run()

    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL" and result.return_value == 42
    assert result.worker_ids == ["worker-under-test", "worker-under-test"]  # two attempts


def test_a_task_left_running_by_a_dead_worker_is_queued_again_after_the_timeout(settings):
    double.enqueue(5)
    now = timezone.now()
    DBTaskResult.objects.update(
        status="RUNNING", started_at=now - timedelta(minutes=16), worker_ids=["dead-worker"]
    )
    assert requeue_stale_tasks(now=now) == 1
    assert statuses() == ["READY"]

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL" and result.return_value == 10


def test_a_task_running_for_less_than_the_timeout_is_left_alone():
    double.enqueue(5)
    now = timezone.now()
    DBTaskResult.objects.update(
        status="RUNNING", started_at=now - timedelta(minutes=14), worker_ids=["busy-worker"]
    )
    assert requeue_stale_tasks(now=now) == 0
    assert statuses() == ["RUNNING"]


def test_a_task_left_running_with_no_attempt_left_is_given_up():
    double.enqueue(5)
    now = timezone.now()
    DBTaskResult.objects.update(
        status="RUNNING", started_at=now - timedelta(hours=1), worker_ids=["a", "b", "c"]
    )
    assert requeue_stale_tasks(now=now) == 0
    result = DBTaskResult.objects.get()
    assert result.status == "FAILED" and result.exception_class_path == WORKER_LOST


def run_batch() -> None:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def test_a_failed_task_is_retried_later_and_succeeds():
    FAILURES["left"] = 1
    fails_while_asked.enqueue(7)
    run_batch()
    failed = DBTaskResult.objects.get()
    assert failed.status == "FAILED"

    assert retry_failed_tasks() == 1
    retried = DBTaskResult.objects.get()
    assert retried.status == "READY"
    assert retried.run_after == failed.finished_at + timedelta(seconds=60)
    run_batch()  # not yet: it waits for its delay
    assert statuses() == ["READY"]

    DBTaskResult.objects.update(run_after=timezone.now())
    run_batch()
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL" and result.return_value == 7


def test_a_task_that_keeps_failing_is_retried_a_bounded_number_of_times():
    FAILURES["left"] = 100
    fails_while_asked.enqueue(7)
    for _ in range(10):
        run_batch()
        retry_failed_tasks()
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    result = DBTaskResult.objects.get()
    assert result.status == "FAILED"
    assert len(result.worker_ids) == 3  # APA_TASKS_MAX_ATTEMPTS
    assert FAILURES["left"] == 97


def test_only_the_tasks_named_in_the_settings_are_retried():
    double.enqueue(1)
    DBTaskResult.objects.update(status="FAILED", finished_at=timezone.now(), worker_ids=["w"])
    assert retry_failed_tasks() == 0
    assert statuses() == ["FAILED"]


def test_failed_pdf_renderings_are_retried_by_default():
    from apa_portal import settings as project_settings  # noqa: PLC0415 (not the overrides)
    from bilans.tasks import prerender_document_pdf  # noqa: PLC0415
    from pathway.tasks import prerender_pathway_pdf  # noqa: PLC0415

    for rendering in (prerender_prescription_pdf, prerender_document_pdf, prerender_pathway_pdf):
        assert rendering.module_path in project_settings.APA_TASKS_RETRIED
    assert project_settings.APA_TASKS_MAX_ATTEMPTS > 1


def test_the_run_worker_command_processes_the_queue_and_stops(monkeypatch):
    double.enqueue(4)
    monkeypatch.setattr(
        "kernel.worker.SupervisedWorker.run",
        lambda self: (self.housekeeping(), self.worker.run()),
    )
    call_command("run_worker", verbosity=0)
    assert DBTaskResult.objects.get().return_value == 8


class FlakyWorker:
    """A stand-in for django-tasks-db's worker: fails as told, then counts its batches."""

    def __init__(self, failures) -> None:
        self.failures = list(failures)
        self.batches = 0
        self.running = True
        self.worker_id = "flaky"

    def run(self) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.batches += 1


def test_a_closed_connection_is_survived_like_an_outage(monkeypatch):
    from django.db import InterfaceError  # noqa: PLC0415

    monkeypatch.setattr("kernel.worker.requeue_stale_tasks", lambda **kwargs: 0)
    monkeypatch.setattr("kernel.worker.retry_failed_tasks", lambda **kwargs: 0)
    worker = FlakyWorker([InterfaceError("connection already closed"), OperationalError("x")])
    fake = FakeTime()
    supervised = SupervisedWorker(
        worker, sleep=fake.sleep, clock=fake.clock, until=lambda: worker.batches >= 3
    )
    supervised.run()
    assert worker.batches == 3
    assert fake.sleeps[:2] == [1.0, 2.0]  # back-off, then back to the interval
    assert supervised.outages == 1


def test_the_back_off_stops_growing_at_its_ceiling(monkeypatch):
    monkeypatch.setattr("kernel.worker.requeue_stale_tasks", lambda **kwargs: 0)
    monkeypatch.setattr("kernel.worker.retry_failed_tasks", lambda **kwargs: 0)
    worker = FlakyWorker([OperationalError("down")] * 8)
    fake = FakeTime()
    SupervisedWorker(
        worker, sleep=fake.sleep, clock=fake.clock, max_backoff=30, until=lambda: worker.batches
    ).run()
    assert fake.sleeps[:-1] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]  # then the interval
