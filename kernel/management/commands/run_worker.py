"""`manage.py run_worker`: the background worker for production (kernel.worker).

django-tasks-db's `db_worker` under a loop that survives database outages, re-queues the tasks
a dead worker left RUNNING and retries the failed ones (a bounded number of times). Stop it with
SIGTERM or SIGINT: the task it runs finishes first (a second signal stops it at once).
"""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import (
    Worker,
    valid_backend_name,
    valid_interval,
)

from kernel.worker import SupervisedWorker

# What django-tasks-db's worker logs at every batch ("Starting worker", "No more tasks"):
# the supervising loop runs one batch a second, so those lines are dropped.
_BATCH_NOISE = ("Starting worker worker_id=", "No more tasks to run for worker_id=")


class _DropBatchNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_BATCH_NOISE)


class Command(BaseCommand):
    help = "Run the background worker, reconnecting after database outages."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--queue-name", default=DEFAULT_TASK_QUEUE_NAME)
        parser.add_argument("--interval", type=valid_interval, default=1.0)
        parser.add_argument(
            "--backend", dest="backend_name", type=valid_backend_name,
            default=DEFAULT_TASK_BACKEND_ALIAS,
        )  # fmt: skip
        parser.add_argument("--worker-id", default=None)
        parser.add_argument("--max-backoff", type=float, default=30.0)

    def handle(self, *, queue_name, interval, backend_name, worker_id, max_backoff, **options):
        DbWorkerCommand(stdout=self.stdout, stderr=self.stderr).configure_logging(
            options["verbosity"]
        )
        logging.getLogger("django_tasks_db").addFilter(_DropBatchNoise())
        worker = Worker(
            queue_names=queue_name.split(","),
            interval=0,
            batch=True,  # one batch at a time: the supervising loop sleeps and repeats
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        logging.getLogger("kernel.worker").info(
            "Worker %s started (queues %s).", worker.worker_id, queue_name
        )
        SupervisedWorker(worker, interval=interval, max_backoff=max_backoff).run()
