"""The background worker that survives: django-tasks-db's worker under a supervising loop.

`manage.py db_worker` (django-tasks-db) exits on the first database error that is not a lock,
and a worker killed mid-task leaves its task RUNNING for ever. `manage.py run_worker` runs the
same worker (`django_tasks_db`'s `Worker`, in batch mode: it takes every task that is ready,
then hands back) inside `SupervisedWorker.run`, which:

- **reconnects** after a database outage: the error is logged (once per outage), the
  connections are closed and the loop waits 1, 2, 4 ... up to `max_backoff` seconds between
  tries, then goes on where it was;
- **re-queues what a dead worker left** (`requeue_stale_tasks`): a task RUNNING for more than
  `APA_TASKS_RUNNING_TIMEOUT_SECONDS`, or one this worker was running when the database went
  away, is put back in the queue while it has attempts left, and marked FAILED otherwise;
- **retries failed tasks** of the paths in `APA_TASKS_RETRIED` (`retry_failed_tasks`), up to
  `APA_TASKS_MAX_ATTEMPTS` attempts in all, each `APA_TASKS_RETRY_DELAY_SECONDS × 2^(n-1)`
  after the n-th failure.

An attempt is a claim of the task by a worker: django-tasks-db appends the worker's id to
`worker_ids` each time, so `len(worker_ids)` counts the attempts.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    close_old_connections,
    connections,
    transaction,
)
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("kernel.worker")

# What the worker records as the "exception" of a task it gave up after a dead worker.
WORKER_LOST = "kernel.worker.WorkerLost"


def _reset_for_queue(task: DBTaskResult, *, run_after: datetime) -> None:
    task.status = TaskResultStatus.READY
    task.started_at = None
    task.finished_at = None
    task.run_after = run_after
    task.return_value = None
    task.exception_class_path = ""
    task.traceback = ""
    task.save(
        update_fields=[
            "status",
            "started_at",
            "finished_at",
            "run_after",
            "return_value",
            "exception_class_path",
            "traceback",
        ]
    )


def requeue_stale_tasks(*, now: datetime | None = None, own_worker_id: str | None = None) -> int:
    """Put back in the queue the tasks a dead worker left RUNNING; returns how many.

    Stale: RUNNING and started more than `APA_TASKS_RUNNING_TIMEOUT_SECONDS` ago, or last
    claimed by `own_worker_id` (this worker lost the database while running it, so nobody runs
    it). A task without attempts left is marked FAILED (`WORKER_LOST`) instead.
    """
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.APA_TASKS_RUNNING_TIMEOUT_SECONDS)
    requeued = 0
    with transaction.atomic():
        for task in DBTaskResult.objects.running().select_for_update(skip_locked=True):
            ours = own_worker_id is not None and task.worker_ids[-1:] == [own_worker_id]
            if not ours and (task.started_at is None or task.started_at > limit):
                continue
            if len(task.worker_ids) < settings.APA_TASKS_MAX_ATTEMPTS:
                _reset_for_queue(task, run_after=now)
                requeued += 1
                logger.warning(
                    "Task id=%s (%s) left RUNNING by worker %s: queued again (attempt %d of %d).",
                    task.id,
                    task.task_path,
                    task.worker_ids[-1] if task.worker_ids else "?",
                    len(task.worker_ids) + 1,
                    settings.APA_TASKS_MAX_ATTEMPTS,
                )
            else:
                task.status = TaskResultStatus.FAILED
                task.finished_at = now
                task.exception_class_path = WORKER_LOST
                task.traceback = "The worker running this task stopped; no attempt left."
                task.save(
                    update_fields=["status", "finished_at", "exception_class_path", "traceback"]
                )
                logger.error("Task id=%s (%s) left RUNNING: given up.", task.id, task.task_path)
    return requeued


def retry_failed_tasks(*, now: datetime | None = None) -> int:
    """Queue again the failed tasks of `APA_TASKS_RETRIED` that have attempts left; returns how
    many. The n-th retry waits `APA_TASKS_RETRY_DELAY_SECONDS × 2^(n-1)` after the failure."""
    now = now or timezone.now()
    retried = 0
    paths = list(settings.APA_TASKS_RETRIED)
    if not paths:
        return 0
    with transaction.atomic():
        failed = DBTaskResult.objects.failed().filter(task_path__in=paths)
        for task in failed.select_for_update(skip_locked=True):
            attempts = len(task.worker_ids)
            if attempts >= settings.APA_TASKS_MAX_ATTEMPTS:
                continue
            delay = settings.APA_TASKS_RETRY_DELAY_SECONDS * 2 ** max(0, attempts - 1)
            _reset_for_queue(task, run_after=(task.finished_at or now) + timedelta(seconds=delay))
            retried += 1
            logger.warning(
                "Task id=%s (%s) failed (attempt %d of %d): retried in %d s.",
                task.id,
                task.task_path,
                attempts,
                settings.APA_TASKS_MAX_ATTEMPTS,
                delay,
            )
    return retried


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        # The server is gone: the connection is dropped all the same.
        with contextlib.suppress(DatabaseError):
            connection.close()


class SupervisedWorker:
    """Run `worker` (a django-tasks-db `Worker` in batch mode) until stopped, surviving the
    database's outages. `sleep`, `clock` and `until` are there for tests."""

    def __init__(
        self,
        worker,
        *,
        interval: float = 1.0,
        housekeeping_every: float = 60.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        until: Callable[[], bool] | None = None,
    ) -> None:
        self.worker = worker
        self.interval = interval
        self.housekeeping_every = housekeeping_every
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.clock = clock
        self.until = until
        self.outages = 0
        self._next_housekeeping = 0.0
        self._lost_database = False

    def housekeeping(self) -> None:
        own = self.worker.worker_id if self._lost_database else None
        requeue_stale_tasks(own_worker_id=own)
        retry_failed_tasks()
        self._lost_database = False
        self._next_housekeeping = self.clock() + self.housekeeping_every

    def run(self) -> None:
        backoff = 1.0
        down_since: float | None = None
        while self.until is None or not self.until():
            try:
                close_old_connections()
                if self._lost_database or self.clock() >= self._next_housekeeping:
                    self.housekeeping()
                self.worker.run()
            except (DatabaseError, InterfaceError) as exc:  # InterfaceError: connection closed
                if down_since is None:
                    down_since = self.clock()
                    self.outages += 1
                    logger.warning(
                        "Database unreachable (%s): the worker retries with back-off.",
                        type(exc).__name__,
                    )
                self._lost_database = True
                _close_connections()
                self.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            if down_since is not None:
                logger.warning(
                    "Database reachable again after %.0f s: the worker goes on.",
                    self.clock() - down_since,
                )
                down_since, backoff = None, 1.0
            if not self.worker.running:  # stopped by a signal while it ran a task
                return
            self.sleep(self.interval)
