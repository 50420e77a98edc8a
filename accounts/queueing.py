"""Tasks that a service queues when its transaction commits (`task.delay_on_commit(...)`;
`QueueOrKeepTask` is the Celery app's task class).

A broker that is down when the transaction commits must not turn a saved action into the
person's error page, nor lose the work: the task is kept in the database (`UnqueuedTask`,
logged) and the `tasks-unqueued` beat job queues it once the broker answers again. Tasks are
idempotent (DESIGN.md), so one queued twice does its work once. With tasks running eagerly
(no broker: tests, scripts) nothing is kept: a task's own error propagates as before.

A broker that hangs rather than refuses (a stuck Redis, a dropped network) is given up on after
ACCORD_BROKER_TIMEOUT_SECONDS (the transport's socket timeouts, in settings). After a failure
the process keeps its tasks at once for RETRY_AFTER seconds instead of trying again, so that
while the broker is down only one request in that time waits for it.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import current_app
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What publishing raises when the broker cannot be reached (kombu wraps the socket's errors,
# after its own retries).
BROKER_DOWN = (OperationalError, OSError)


# Seconds after a failure to reach the broker during which this process does not try again.
RETRY_AFTER = 30.0


class BrokerOutage:
    """When this process last failed to reach the broker, and whether that is recent enough
    to keep tasks without trying."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._until = 0.0
        self.error = ""

    def seen(self, error: BaseException) -> None:
        with self._lock:
            self._until = self.clock() + RETRY_AFTER
            self.error = str(error)[:500]

    def ongoing(self) -> bool:
        return self.clock() < self._until

    def reset(self) -> None:
        with self._lock:
            self._until, self.error = 0.0, ""


outage = BrokerOutage()


class QueueOrKeepTask(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        transaction.on_commit(functools.partial(self.queue_or_keep, list(args), kwargs))

    def queue_or_keep(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        """Queue the task now; if the broker cannot be reached, or could not be moments ago,
        keep it for the beat job."""
        eager = self.app.conf.task_always_eager
        if not eager and outage.ongoing():
            self._keep(args, kwargs, f"not tried: the broker failed moments ago ({outage.error})")
            return
        try:
            self.delay(*args, **kwargs)
        except BROKER_DOWN as error:
            if eager:
                raise  # the task itself ran here and failed: nothing to do with a broker
            outage.seen(error)
            logger.exception("%s could not be queued; kept for the tasks-unqueued job", self.name)
            self._keep(args, kwargs, str(error))

    def _keep(self, args: list[Any], kwargs: dict[str, Any], error: str) -> None:
        from .models import UnqueuedTask  # the task class loads before the models do

        UnqueuedTask.objects.create(task=self.name, args=args, kwargs=kwargs, error=error[:500])


def unqueued_tasks_queue() -> int:
    """Queue the kept tasks, oldest first, each removed once queued; stop at the first the
    broker refuses (it is still down: the next run tries again). Returns how many were
    queued. Each row is its own transaction, taken with SKIP LOCKED, so two runs at once
    queue each task once."""
    from .models import UnqueuedTask

    queued = 0
    for pk in list(UnqueuedTask.objects.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            kept = UnqueuedTask.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if kept is None:
                continue
            task = current_app.tasks.get(kept.task)
            if task is None:  # renamed or removed since: left for someone to look at
                logger.error("kept task %s (%s) is no longer known", kept.pk, kept.task)
                UnqueuedTask.objects.filter(pk=pk).update(attempts=kept.attempts + 1)
                continue
            try:
                task.delay(*kept.args, **kept.kwargs)
            except BROKER_DOWN as error:
                UnqueuedTask.objects.filter(pk=pk).update(
                    attempts=kept.attempts + 1, error=str(error)[:500]
                )
                return queued
            kept.delete()
            queued += 1
    return queued
