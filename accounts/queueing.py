"""Tasks that a service queues when its transaction commits (`task.delay_on_commit(...)`;
`QueueOrKeepTask` is the Celery app's task class).

A broker that is down when the transaction commits must not turn a saved action into the
person's error page, nor lose the work: the task is kept in the database (`UnqueuedTask`,
logged) and the `tasks-unqueued` beat job queues it once the broker answers again. Tasks are
idempotent (DESIGN.md), so one queued twice does its work once. With tasks running eagerly
(no broker: tests, scripts) nothing is kept: a task's own error propagates as before.
"""

import functools
import logging
from typing import Any

from celery import current_app
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What publishing raises when the broker cannot be reached (kombu wraps the socket's errors,
# after its own retries).
BROKER_DOWN = (OperationalError, OSError)


class QueueOrKeepTask(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        transaction.on_commit(functools.partial(self.queue_or_keep, list(args), kwargs))

    def queue_or_keep(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        """Queue the task now; if the broker cannot be reached, keep it for the beat job."""
        try:
            self.delay(*args, **kwargs)
        except BROKER_DOWN as error:
            if self.app.conf.task_always_eager:
                raise  # the task itself ran here and failed: nothing to do with a broker
            logger.exception("%s could not be queued; kept for the tasks-unqueued job", self.name)
            from .models import UnqueuedTask  # the task class loads before the models do

            UnqueuedTask.objects.create(
                task=self.name, args=args, kwargs=kwargs, error=str(error)[:500]
            )


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
