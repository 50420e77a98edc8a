"""Starting and cancelling processes, and claiming, releasing and completing human tasks, of
any registered flow.

Each runs under the flow's lock (a row lock on the process) inside one transaction, checks the
node's policy, and writes the audit event. A task that changed hands or finished a moment ago
raises `TaskUnavailable`, which views turn into a clear message.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

import audit.services as audit
from accounts.models import User
from accounts.roles import approver_leads_group, escalation_group
from accounts.selectors import is_standing_in, user_is_approver
from accounts.services import notify, notify_many

from . import permissions
from .base import lock_processes, task_audit_target
from .models import Holiday, TaskDeadline, TaskTimeLimit
from .registry import flow_for
from .selectors import task_ids_shared


class TaskUnavailable(Exception):  # noqa: N818 - reads as a message, not a bug
    """The task is no longer in a state where this user can do this with it."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or _("This task was already claimed or completed by someone."))
        self.message = message or _("This task was already claimed or completed by someone.")


@contextmanager
def _locked_task(task_id: int) -> Iterator[tuple[Any, Any]]:
    """Yield (task, flow_task) read afresh under the flow's lock on the task's process, with
    the process and the domain object it is about: two queries, the lock (the same process
    row every flow lock takes, which names the flow) and the task with everything its
    flow's policies and services read."""
    with transaction.atomic(savepoint=False):
        of_task = Task.objects.filter(pk=task_id).values("process_id")[:1]
        flow_class = lock_processes(Process.objects.filter(pk=Subquery(of_task)))
        if flow_class is None:
            raise Task.DoesNotExist
        related = flow_class.instance.task_related()
        task = Task.objects.select_related("process", *related).get(pk=task_id)
        yield task, task.flow_task


def _task_event(action: str, *, task: Any, actor: User | None, **payload: Any) -> dict[str, Any]:
    """The audit event of something done with a task (`audit.record`'s arguments)."""
    return {
        "action": action,
        "actor": actor,
        "target": task_audit_target(task),
        "payload": {"task_id": task.pk, "task": task.flow_task.name, **payload},
    }


def _audit_task(action: str, *, task: Any, actor: User | None, **payload: Any) -> None:
    audit.record(**_task_event(action, task=task, actor=actor, **payload))


@transaction.atomic
def task_claim(*, task_id: int, user: User, on_behalf_of: User | None = None) -> Any:
    """Claim an unassigned task; `on_behalf_of`: standing in for that person while they are
    away (`user` is their delegate today), which the task and its audit events remember."""
    with _locked_task(task_id) as (task, flow_task):
        return _claim(task, flow_task, user, on_behalf_of=on_behalf_of)


def _check_standing_in(user: User, on_behalf_of: User | None) -> None:
    if on_behalf_of is not None and not is_standing_in(delegate=user, user=on_behalf_of):
        raise PermissionDenied


def _remember_on_behalf_of(task: Any, on_behalf_of: User | None) -> None:
    data = {k: v for k, v in (task.data or {}).items() if k != "on_behalf_of"}
    if on_behalf_of is not None:
        data["on_behalf_of"] = on_behalf_of.pk
    task.data = data


def _claim(task: Any, flow_task: Any, user: User, *, on_behalf_of: User | None = None) -> Any:
    if task.status != STATUS.NEW or task.owner_id is not None:
        raise TaskUnavailable
    _check_standing_in(user, on_behalf_of)
    if not flow_task.can_assign(user, task, on_behalf_of=on_behalf_of):
        raise PermissionDenied
    activation = flow_task.activation_class(task)
    task.assigned = timezone.now()  # viewflow leaves it empty; colleagues see "held since"
    _remember_on_behalf_of(task, on_behalf_of)
    with audit.acting_for(on_behalf_of):
        activation.assign(user)
        _audit_task("task.assigned", task=task, actor=user)
    return task


@transaction.atomic
def task_take_over(*, task_id: int, user: User, from_user: User) -> Any:
    """Take over a task `from_user` holds, standing in for them while they are away (`user`
    is their delegate today). A signature task stays with its signer."""
    with _locked_task(task_id) as (task, flow_task):
        if task.status != STATUS.ASSIGNED or task.owner_id != from_user.pk:
            raise TaskUnavailable(
                _("This task is no longer held by %(name)s.") % {"name": from_user}
            )
        _check_standing_in(user, from_user)
        if not flow_task.may_take_over(user, task, on_behalf_of=from_user):
            raise PermissionDenied
        activation = flow_task.activation_class(task)
        task.assigned = timezone.now()
        _remember_on_behalf_of(task, from_user)
        activation.reassign(user)
        with audit.acting_for(from_user):
            _audit_task("task.handed_over", task=task, actor=user, from_user_id=from_user.pk)
        return task


@transaction.atomic
def task_reassign(*, task_id: int, actor: User, to_user: User, reason: str) -> Any:
    """An approvers' lead gives an approver task (waiting in the queue or held by someone)
    to another approver, with a reason; the new holder is told, and so is the previous one."""
    reason = (reason or "").strip()
    with _locked_task(task_id) as (task, flow_task):
        if not permissions.can_reassign(actor):
            raise PermissionDenied
        if task.status not in {STATUS.NEW, STATUS.ASSIGNED}:
            raise TaskUnavailable(_("This task was already completed or is no longer waiting."))
        if not getattr(flow_task, "approver_task", False):
            raise ValidationError(_("Only approvers' tasks can be reassigned."))
        if not reason:
            raise ValidationError({"reason": _("Say why the task changes hands.")})
        if task.owner_id == to_user.pk:
            raise ValidationError({"to_user": _("This approver already holds the task.")})
        if not (
            to_user.is_active
            and user_is_approver(to_user)
            and flow_task.may_take_over(to_user, task)
        ):
            raise ValidationError({"to_user": _("This person may not do this task.")})
        previous = task.owner
        activation = flow_task.activation_class(task)
        task.assigned = timezone.now()
        _remember_on_behalf_of(task, None)
        if task.status == STATUS.NEW:
            activation.assign(to_user)
        else:
            activation.reassign(to_user)
        _audit_task(
            "task.reassigned",
            task=task,
            actor=actor,
            reason=reason,
            from_user_id=previous.pk if previous else None,
            from_user=str(previous) if previous else "",
            to_user_id=to_user.pk,
            to_user=str(to_user),
        )
        params = {
            "task": str(task.title),
            "subject": str(task_audit_target(task)),
            "reason": reason,
        }
        notify(
            recipient=to_user,
            subject=_("A task was given to you: %(task)s"),
            body=_("%(task)s (%(subject)s) is now yours. Reason: %(reason)s"),
            params=params,
            url=flow_task.reverse("execute", args=[task.process_id, task.pk]),
        )
        if previous is not None and previous.pk != actor.pk:
            notify(
                recipient=previous,
                subject=_("A task was given to someone else: %(task)s"),
                body=_("%(task)s (%(subject)s) was given to another approver. Reason: %(reason)s"),
                params=params,
            )
        return task


@transaction.atomic
def task_release(*, task_id: int, user: User) -> Any:
    with _locked_task(task_id) as (task, flow_task):
        return _release(task, flow_task, user)


def _release(task: Any, flow_task: Any, user: User) -> Any:
    if task.status != STATUS.ASSIGNED or task.owner_id != user.pk:
        raise TaskUnavailable(_("This task is not yours to release."))
    if not _back_to_queue(task, flow_task):
        raise TaskUnavailable(_("Only you can do this task, so it cannot be released."))
    _audit_task("task.released", task=task, actor=user)
    return task


def _back_to_queue(task: Any, flow_task: Any) -> bool:
    """Put a held task back in its queue; False, and it stays with its holder, when nobody
    else could take it (an applicant's revision): released, it would leave every list."""
    if not task_ids_shared(user=task.owner, task_ids=[task.pk]):
        return False
    _remember_on_behalf_of(task, None)
    flow_task.activation_class(task).unassign()
    return True


# Set inside `task_complete`'s block, where a failure rolls the completion back as a whole.
_completing: ContextVar[bool] = ContextVar("completing_a_task", default=False)


def atomic_service(service: Callable[..., Any]) -> Callable[..., Any]:
    """`transaction.atomic` for a process app's service: its own transaction, or a savepoint
    in its caller's; no savepoint inside `task_complete`, whose block fails as a whole (a
    savepoint there would never be rolled back to alone). Its audit events are appended
    together when it ends (`audit.batched`)."""

    @functools.wraps(service)
    def in_transaction(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(savepoint=not _completing.get()), audit.batched():
            return service(*args, **kwargs)

    return in_transaction


@contextmanager
def task_complete(*, task_id: int, user: User, flow_task: Any) -> Iterator[Any]:
    """Complete a human task around the caller's domain work, atomically.

    Usage::

        with task_complete(task_id=..., user=..., flow_task=node) as task:
            application_review(application_id=..., actor=user, ...)

    The block runs with the process row locked; when it returns, the task is completed and the
    flow advances in the same transaction. Any exception rolls everything back.
    """
    expected_node = flow_task
    with transaction.atomic(), audit.batched(), _locked_task(task_id) as (task, flow_task):
        if task.flow_task is not expected_node:
            raise Task.DoesNotExist
        if task.status != STATUS.ASSIGNED:
            raise TaskUnavailable(_("This task was already completed or is no longer waiting."))
        if task.owner_id != user.pk:
            raise TaskUnavailable(_("This task is assigned to someone else."))
        if not flow_task.can_execute(user, task):
            raise PermissionDenied
        activation = flow_task.activation_class(task)
        activation.start(None)
        # A delegate's work is recorded as done on behalf of the person they stand in for.
        behalf_of = (task.data or {}).get("on_behalf_of")
        represented = User.objects.filter(pk=behalf_of).first() if behalf_of else None
        with audit.acting_for(represented):
            completing = _completing.set(True)
            try:
                with audit.recording() as events:
                    yield task
            finally:
                _completing.reset(completing)
            outcome = audit.outcome_of(events, actor=user, target=task_audit_target(task))
            if outcome:
                # What the person decided (approved, signed, declined…), for "Done by me".
                task.data = {**(task.data or {}), "outcome": outcome}
            activation.execute()
            _audit_task("task.completed", task=task, actor=user, outcome=outcome)


def _open_processes(flow_class: Any, subject_id: Any) -> Any:
    return flow_class.process_class._default_manager.filter(
        **{f"{flow_class.subject_field}_id": subject_id}, finished__isnull=True
    ).order_by("pk")


def process_start(subject: Any) -> Any:
    """Start the process of the flow registered for `subject`'s model, inside the caller's
    transaction (a rollback undoes it with the rest)."""
    return flow_for(subject).start.run(subject=subject)


@contextmanager
def process_locked(model: Any, subject_id: Any) -> Iterator[Any]:
    """Hold the flow lock of the open process about (`model`, `subject_id`), if there is one.

    Services that change a subject outside a task (a withdrawal, say) take this lock before
    the subject's row, in the same order as a task completion does, so the two never
    deadlock and never both act.
    """
    flow_class = flow_for(model)
    process = _open_processes(flow_class, subject_id).last()
    if process is None:
        yield None
        return
    with flow_class.lock(process.pk):
        yield process


def process_cancel(subject: Any) -> int:
    """Cancel the open processes about `subject` (their waiting tasks disappear from the
    inbox); returns how many were cancelled."""
    flow_class = flow_for(subject)
    cancelled = 0
    for process in _open_processes(flow_class, subject.pk):
        with flow_class.lock(process.pk):
            flow_class.instance.cancel(process)
        cancelled += 1
    return cancelled


@transaction.atomic
def deadline_setting_save(*, setting: Holiday | TaskTimeLimit, actor: User) -> Any:
    """Save a holiday (or make-up working day) or a task time limit an admin entered, audited.
    Tasks created before keep their due dates. PermissionDenied for anyone
    `permissions.can_manage_deadline_settings` refuses (the 403 page audits the refusal)."""
    _require_deadline_rights(setting, actor)
    created = setting.pk is None
    setting.save()
    audit.record(
        action="deadline_setting.saved",
        actor=actor,
        target=setting,
        payload={
            "model": setting._meta.label,
            "created": created,
            "value": _setting_value(setting),
        },
    )
    return setting


@transaction.atomic
def deadline_setting_delete(*, setting: Holiday | TaskTimeLimit, actor: User) -> None:
    _require_deadline_rights(setting, actor)
    audit.record(
        action="deadline_setting.deleted",
        actor=actor,
        target=setting,
        payload={"model": setting._meta.label, "value": _setting_value(setting)},
    )
    setting.delete()


def _require_deadline_rights(setting: Holiday | TaskTimeLimit, actor: User) -> None:
    if not permissions.can_manage_deadline_settings(actor, type(setting)):
        raise PermissionDenied


def _setting_value(setting: Holiday | TaskTimeLimit) -> dict[str, Any]:
    if isinstance(setting, Holiday):
        return {"date": setting.date.isoformat(), "name": setting.name, "kind": setting.kind}
    return {"node": setting.node, "days": setting.days, "working_days": setting.working_days}


# The escalation ladder of task deadlines (see models.TaskDeadline): one step per task, its
# time stamped on the deadline row in the same transaction as its notices.

# Tasks waiting for someone: STARTED only lasts inside a completion's transaction.
_WAITING = (STATUS.NEW, STATUS.ASSIGNED)
_STEPS = (
    ("remind_at", "reminded_at"),
    ("due_at", "due_notified_at"),
    ("escalate_at", "escalated_at"),
)


class _LadderRun:
    """What one run of the ladder reads once: the groups' members and each pool of candidates
    (the same approvers stand behind thousands of tasks); and what a batch of it writes,
    collected so that its notifications and its audit events are one insert each (`flush`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.leads = [u for u in approver_leads_group().user_set.all() if u.is_active]
        self.escalation_group = escalation_group()
        self.escalators = [u for u in self.escalation_group.user_set.all() if u.is_active]
        self._pools: dict[tuple[Any, str], list[User]] = {}
        self._notices: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []

    def notify(self, **notice: Any) -> None:
        """`notify_all`, at the end of the batch."""
        self._notices.append(notice)

    def audit(self, action: str, *, task: Any, **payload: Any) -> None:
        """The job's task event (no actor), at the end of the batch."""
        self._events.append(_task_event(action, task=task, actor=None, **payload))

    def flush(self) -> None:
        notify_many(notices=self._notices)
        audit.record_many(events=self._events)
        self._notices, self._events = [], []

    def candidates(self, task: Any, subject: Any) -> list[User]:
        node = task.flow_task
        if node.candidates is None:
            return []
        key = (node, type(subject), subject.pk)
        if key not in self._pools:
            self._pools[key] = [u for u in node.candidates(subject) if u.is_active]
        return [u for u in self._pools[key] if node.policy(subject, u)]


def task_deadlines_escalate(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Take every waiting task whose deadline passed a step of the ladder through that step:

    - at 75% of its time, a reminder to its holder (or to those who may claim it);
    - at its due date, a notice to the approver leads and the reminder again (one event);
    - late by half its time again, an unclaimed task is offered to the escalation group, and a
      claimed one goes back to its queue, its holder told.

    Idempotent: a step stamped on the row is not taken again. Batches of rows are locked
    with SKIP LOCKED, so that two dispatchers (two beat processes) never act on one row; each
    batch commits on its own. Returns how many tasks took each step.
    """
    run = _LadderRun(now or timezone.now())
    done = {}
    for at_field, stamp_field in _STEPS:
        done[stamp_field] = 0
        while True:
            with transaction.atomic():
                rows = list(
                    TaskDeadline.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(
                        **{f"{at_field}__lte": run.now, f"{stamp_field}__isnull": True},
                        task__status__in=_WAITING,
                    )
                    .order_by("pk")[:batch]
                )
                if not rows:
                    break
                tasks = _tasks_with_subjects([row.task_id for row in rows])
                for row in rows:
                    _STEP_ACTIONS[stamp_field](row, tasks[row.task_id], run)
                run.flush()
                _stamp(rows, stamp_field, run.now)
                done[stamp_field] += len(rows)
    return done


def _stamp(rows: list[TaskDeadline], stamp_field: str, now: datetime) -> None:
    """Stamp the step on the batch's rows, and what the escalation step set on some of them:
    an UPDATE per value (every row of a batch gets the same ones), not one per row."""
    by_pk = TaskDeadline.objects.filter(pk__in=[row.pk for row in rows])
    by_pk.update(**{stamp_field: now})
    for field in ("escalated_to", "released_at"):
        changed: dict[Any, list[int]] = {}
        for row in rows:
            value = getattr(row, f"{field}_id" if field == "escalated_to" else field)
            if value is not None:
                changed.setdefault(value, []).append(row.pk)
        for value, pks in changed.items():
            TaskDeadline.objects.filter(pk__in=pks).update(**{field: value})


def _tasks_with_subjects(task_ids: list[int]) -> dict[int, Any]:
    """The tasks, each with its process, holder and subject: one query per flow."""
    flows: dict[Any, list[int]] = {}
    for pk, flow_class in Task.objects.filter(pk__in=task_ids).values_list(
        "pk", "process__flow_class"
    ):
        flows.setdefault(flow_class, []).append(pk)
    tasks: dict[int, Any] = {}
    for flow_class, ids in flows.items():
        related = flow_class.instance.task_related()
        tasks.update(Task.objects.select_related("process", "owner", *related).in_bulk(ids))
    return tasks


def _due_text(row: TaskDeadline) -> str:
    return timezone.localtime(row.due_at).strftime("%Y-%m-%d %H:%M")


def _remind_before_due(row: TaskDeadline, task: Any, run: _LadderRun) -> None:
    # A job catching up past the due date leaves the reminder to the due step (one notice).
    if run.now < row.due_at:
        _remind(row, task, run)


def _remind(row: TaskDeadline, task: Any, run: _LadderRun, *, record: bool = True) -> list[User]:
    """Remind the holder, or those who may claim the task; returns whom. The due step records
    the reminder in its own event (`record=False`)."""
    node = task.flow_task
    subject = node.flow_class.instance.subject_of(task.process)
    if task.owner_id is not None:
        recipients = [task.owner]
        url = node.reverse("execute", args=[task.process_id, task.pk])
    else:
        recipients = run.candidates(task, subject)
        url = reverse("inbox:index") + "?tab=available"
    late = run.now >= row.due_at
    run.notify(
        recipients=recipients,
        subject=_("Overdue: %(task)s") if late else _("Due soon: %(task)s"),
        body=(
            _("The task “%(task)s” about %(subject)s was due on %(due)s.")
            if late
            else _("The task “%(task)s” about %(subject)s is due on %(due)s.")
        ),
        params={"task": str(task.title or node), "subject": str(subject), "due": _due_text(row)},
        url=url,
    )
    if record:
        run.audit("task.reminded", task=task, recipients=[u.pk for u in recipients])
    return recipients


def _tell_leads(row: TaskDeadline, task: Any, run: _LadderRun) -> None:
    node = task.flow_task
    subject = node.flow_class.instance.subject_of(task.process)
    run.notify(
        recipients=run.leads,
        subject=_("Task due: %(task)s"),
        body=_(
            "The task “%(task)s” about %(subject)s fell due on %(due)s and is not done yet "
            "(held by: %(holder)s)."
        ),
        params={
            "task": str(task.title or node),
            "subject": str(subject),
            "due": _due_text(row),
            "holder": str(task.owner) if task.owner_id else "–",
        },
        url=subject.get_absolute_url(),
    )
    reminded = _remind(row, task, run, record=False)
    run.audit(
        "task.due",
        task=task,
        leads=[u.pk for u in run.leads],
        reminded=[u.pk for u in reminded],
    )


def _escalate(row: TaskDeadline, task: Any, run: _LadderRun) -> None:
    if task.owner_id is None:
        _offer_to_escalation_group(row, task, run)
        return
    # Under the flow's lock: the holder may be completing or releasing it right now.
    with _locked_task(task.pk) as (task, flow_task):
        if task.status != STATUS.ASSIGNED:
            return
        subject = flow_task.flow_class.instance.subject_of(task.process)
        holder = task.owner
        if not _back_to_queue(task, flow_task):
            # Only its holder can do it: the leads were told at the due date; it stays.
            run.audit("task.escalation_kept", task=task, holder_id=holder.pk)
            return
        row.released_at = run.now
        run.notify(
            recipients=[holder],
            subject=_("Taken back to the queue: %(task)s"),
            body=_(
                "The task “%(task)s” about %(subject)s stayed overdue, so it was put back in "
                "its queue for someone else to take."
            ),
            params={"task": str(task.title or flow_task), "subject": str(subject)},
            url=reverse("inbox:index"),
        )
        run.audit("task.escalation_released", task=task, holder_id=holder.pk)


def _offer_to_escalation_group(row: TaskDeadline, task: Any, run: _LadderRun) -> None:
    node = task.flow_task
    subject = node.flow_class.instance.subject_of(task.process)
    row.escalated_to = run.escalation_group
    params = {"task": str(task.title or node), "subject": str(subject)}
    if node.personal:
        # A signature stays with the party's signers (see `selectors.escalated_q`): the group
        # is told so that someone follows it up, and cannot take it.
        run.notify(
            recipients=run.escalators,
            subject=_("Overdue signature: %(task)s"),
            body=_(
                "Nobody has done the overdue task “%(task)s” about %(subject)s, which only "
                "the party's own signers may do: please follow it up with them."
            ),
            params=params,
            url=subject.get_absolute_url(),
        )
    else:
        run.notify(
            recipients=run.escalators,
            subject=_("Escalated to you: %(task)s"),
            body=_(
                "Nobody has taken the overdue task “%(task)s” about %(subject)s: it is "
                "offered to the escalation group."
            ),
            params=params,
            url=reverse("inbox:index") + "?tab=available",
        )
    run.audit(
        "task.escalated",
        task=task,
        group=run.escalation_group.name,
        recipients=[u.pk for u in run.escalators],
        claimable=not node.personal,
    )


_STEP_ACTIONS = {
    "reminded_at": _remind_before_due,
    "due_notified_at": _tell_leads,
    "escalated_at": _escalate,
}
