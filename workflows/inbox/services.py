"""Claiming, releasing and completing human tasks of any registered flow.

Each runs under the flow's lock (a row lock on the process) inside one transaction, checks the
node's policy, and writes the audit event. A task that changed hands or finished a moment ago
raises `TaskUnavailable`, which views turn into a clear message.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

import audit.services as audit
from accounts.models import User


class TaskUnavailable(Exception):  # noqa: N818 - reads as a message, not a bug
    """The task is no longer in a state where this user can do this with it."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("This task was already claimed or completed by someone."))
        self.message = message or _("This task was already claimed or completed by someone.")


@contextmanager
def _locked_task(task_id: int) -> Iterator[tuple[Any, Any]]:
    """Yield (task, flow_task) read afresh under the flow's lock on the task's process, with
    the process and the domain object it is about."""
    head = Task.objects.only("flow_task", "process").get(pk=task_id)
    flow_class = head.flow_task.flow_class
    with flow_class.lock(head.process_id):
        task = Task.objects.select_related(*flow_class.instance.task_related()).get(pk=task_id)
        yield task, task.flow_task


def _audit_task(action: str, *, task: Any, actor: User, **payload: Any) -> None:
    audit.record(
        action=action,
        actor=actor,
        target=task.flow_task.flow_class.instance.audit_target(task.process),
        payload={"task_id": task.pk, "task": task.flow_task.name, **payload},
    )


@transaction.atomic
def task_claim(*, task_id: int, user: User) -> Any:
    with _locked_task(task_id) as (task, flow_task):
        return _claim(task, flow_task, user)


def _claim(task: Any, flow_task: Any, user: User) -> Any:
    if task.status != STATUS.NEW or task.owner_id is not None:
        raise TaskUnavailable
    if not flow_task.can_assign(user, task):
        raise PermissionDenied
    activation = flow_task.activation_class(task)
    activation.assign(user)
    _audit_task("task.assigned", task=task, actor=user)
    return task


@transaction.atomic
def task_release(*, task_id: int, user: User) -> Any:
    with _locked_task(task_id) as (task, flow_task):
        return _release(task, flow_task, user)


def _release(task: Any, flow_task: Any, user: User) -> Any:
    if task.status != STATUS.ASSIGNED or task.owner_id != user.pk:
        raise TaskUnavailable(_("This task is not yours to release."))
    activation = flow_task.activation_class(task)
    activation.unassign()
    _audit_task("task.released", task=task, actor=user)
    return task


@contextmanager
def task_complete(*, task_id: int, user: User, flow_class: Any) -> Iterator[Any]:
    """Complete a human task around the caller's domain work, atomically.

    Usage::

        with task_complete(task_id=..., user=..., flow_class=OnboardingFlow) as task:
            application_approve(application_id=..., actor=user)

    The block runs with the process row locked; when it returns, the task is completed and the
    flow advances in the same transaction. Any exception rolls everything back.
    """
    with transaction.atomic(), _locked_task(task_id) as (task, flow_task):
        if flow_task.flow_class is not flow_class:
            raise Task.DoesNotExist
        if task.status != STATUS.ASSIGNED:
            raise TaskUnavailable(_("This task was already completed or is no longer waiting."))
        if task.owner_id != user.pk:
            raise TaskUnavailable(_("This task is assigned to someone else."))
        if not flow_task.can_execute(user, task):
            raise PermissionDenied
        activation = flow_task.activation_class(task)
        activation.start(None)
        yield task
        activation.execute()
        _audit_task("task.completed", task=task, actor=user)
