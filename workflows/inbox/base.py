"""What every Accord flow shares: a real lock, one way to start a process about a subject, and
the hooks the unified inbox needs.

A process app subclasses `AccordFlow` and uses `TaskNode`; it registers the flow in its
AppConfig and otherwise leaves flows to the inbox (`process_start`, `process_cancel`).
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.urls import include, path
from django.utils import timezone
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.context import context
from viewflow.workflow.models import Process
from viewflow.workflow.signals import flow_finished, flow_started, task_finished, task_started
from viewflow.workflow.status import STATUS


def lock_processes(rows: QuerySet[Process]) -> Any:
    """Lock `rows` of viewflow's process table until the transaction ends: the one row every
    flow lock of a process takes, whatever the flow. Returns the flow class of the first
    row, None when there is none."""
    return rows.select_for_update().order_by("pk").values_list("flow_class", flat=True).first()


class ProcessRowLock:
    """A flow lock: the process row, locked for update until the transaction ends.

    viewflow's `SelectForUpdateLock` without its retry loop (it waits for the lock rather than
    failing fast) and without a savepoint of its own: a failure under the lock fails the
    caller's transaction, which every caller lets roll back (task services, viewflow's start).
    """

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: int) -> Iterator[None]:
        with transaction.atomic(savepoint=False):
            lock_processes(Process.objects.filter(pk=process_pk))
            yield


class AccordFlow(flow.Flow):
    """Base for every business-process flow.

    Subclasses set `process_class` (a Process subclass with a foreign key named
    `subject_field` to the domain object), `url_prefix` (the flow's task URLs live under
    `/flows/<url_prefix>/`), optionally `subject_related` (the subject's own relations its
    policies read, loaded with the task), and implement `claimable_q`. The process starts at
    the node named `start`, a `StartHandle(this.start_process)`.
    """

    # Without a lock two concurrent completions of one task both succeed and duplicate the
    # following nodes; wait for the lock instead of failing fast.
    lock_impl = ProcessRowLock()
    subject_field: str = "subject"
    subject_related: tuple[str, ...] = ()
    url_prefix: str = ""
    # The inbox's filters: the subject's text fields its search reads, and the paths from the
    # subject to the organization and the community it concerns ("" for none).
    search_fields: tuple[str, ...] = ()
    organization_field: str = ""
    community_field: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # viewflow names a flow's URL app after its class ("onboarding"), which would shadow the
        # process app's own URL namespace inside task pages.
        cls.app_name = f"{cls.app_name}_flow"

    @classmethod
    def subject_model(cls) -> type[models.Model]:
        return cls.process_class._meta.get_field(cls.subject_field).related_model

    @classmethod
    def subject_relation(cls) -> str:
        """The select_related path from a Task to the subject."""
        return f"process__{cls.process_class._meta.model_name}__{cls.subject_field}"

    def _get_urls(self) -> list[Any]:
        """Mount only the execute view of each human task.

        viewflow's other node pages (index, detail, assign, unassign, cancel, undo, revive) and
        its process lists need its Material frontend, trust model-wide permissions (upstream
        issue #505) and skip our audit; claims and releases go through the inbox instead.
        """
        urlpatterns = []
        for node in self.nodes():
            if not isinstance(node, TaskNode):
                continue
            node.parent = self
            patterns, app_name, namespace = node.urls
            flat = [q for p in patterns for q in getattr(p, "url_patterns", [p])]
            execute = [q for q in flat if getattr(q, "name", None) == "execute"]
            urlpatterns.append(path("", include((execute, app_name), namespace=namespace)))
        return urlpatterns

    def start_process(self, activation: Any, *, subject: models.Model) -> Any:
        setattr(activation.process, self.subject_field, subject)
        return activation.process

    @functools.cached_property
    def single_path(self) -> bool:
        """Whether a process of this flow holds one open task at a time: every node is a
        start, a task, an exclusive gateway or an end (no split, timer or event running
        beside the path)."""
        one_way = (flow.Start, flow.StartHandle, flow.View, flow.If, flow.Switch, flow.End)
        return all(isinstance(node, one_way) for node in self.nodes())

    def task_related(self) -> list[str]:
        """select_related paths loading a task with its process, subject and the subject's
        relations: what the task's policy and the domain service read, in one query."""
        relation = self.subject_relation()
        return [f"{relation}__{r}" for r in self.subject_related] or [relation]

    def subject_of(self, process: Any) -> Any:
        """The domain object a process is about (shown in the inbox, linked from it)."""
        return getattr(process.coerced, self.subject_field)

    def subject_q(self, field: str, lookup: str, value: Any) -> Q:
        """A filter on Task by `field` of this flow's subject (and this flow only)."""
        return Q(process__flow_class=type(self)) & Q(
            **{f"{self.subject_relation()}__{field}__{lookup}": value}
        )

    def claimable_q(self, user: Any) -> Q:
        """Which unassigned tasks of this flow `user` may claim, as a filter on Task."""
        raise NotImplementedError

    def audit_target(self, process: Any) -> Any:
        """The object whose page and timeline show this process's task events."""
        return self.subject_of(process)


# The prefix of the task bookkeeping events (created, claimed, released, completed): the staff's
# business; the people a process concerns see what was done, not who held which task when.
TASK_ACTION_PREFIX = "task."


def task_audit_target(task: Any) -> Any:
    """The object whose page and timeline show a task's events and refusals."""
    return task.flow_task.flow_class.instance.audit_target(task.process)


# viewflow's gateway and end nodes act in a savepoint so that, when a job runs them with errors
# kept (`propagate_exception=False`), a failure leaves an ERROR task behind. Accord's requests
# propagate errors and roll the whole completion back: no savepoint is needed then.
def _kept_errors_savepoint() -> Any:
    return transaction.atomic(savepoint=not context.propagate_exception)


class _StartActivation(flow.StartHandle.activation_class):
    @Activation.status.super()
    def execute(self) -> None:
        """viewflow's start, inside the caller's transaction as a part of it (no savepoint)
        and without the flow lock: nobody else can see, let alone lock, a process this
        transaction has just inserted."""
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        with transaction.atomic(savepoint=False):
            self.process.save()
            self.complete()
            flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
            self.activate_next()


class _StartHandle(flow.StartHandle):
    activation_class = _StartActivation


def start_node() -> Any:
    """The `start` node every Accord flow begins with (see `AccordFlow.start_process`)."""
    return _StartHandle(this.start_process)


class _InsertedDone:
    """For the nodes that finish as soon as they are reached (a gateway, the end): while
    errors propagate, the task row is inserted once, already done, where viewflow inserts it
    new and updates it at once. With errors kept, viewflow's way (an ERROR task needs its row).
    """

    _previous: Any = None

    @classmethod
    def create(cls, flow_task: Any, prev_activation: Any, token: Any, data=None, seed=None) -> Any:
        if not context.propagate_exception:
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = flow_task.flow_class.task_class(
            process=prev_activation.process, flow_task=flow_task, token=token
        )
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        activation._previous = prev_activation.task
        return activation

    def _link_previous(self) -> None:
        """Once the row is saved (by `complete`), link it to the task before it."""
        if self._previous is not None:
            self.task.previous.add(self._previous)
            self._previous = None

    def __hash__(self) -> int:
        # viewflow hashes an activation by its task, which has no key until it is saved.
        return hash(self.task) if self.task.pk is not None else id(self)


class _IfActivation(_InsertedDone, flow.If.activation_class):
    @Activation.status.super()
    def activate(self) -> None:
        with self.exception_guard(), _kept_errors_savepoint():
            self._condition_result = self.flow_task._condition(self)

    @Activation.status.super()
    def complete(self) -> None:
        super().complete.original()  # sets `finished` and saves: the row's one insert
        self._link_previous()


class If(flow.If):
    """viewflow's If gateway without a savepoint while errors propagate."""

    activation_class = _IfActivation


class _EndActivation(_InsertedDone, flow.End.activation_class):
    @Activation.status.super()
    def activate(self) -> None:
        """Finish the process when no other task of it is open: viewflow's End, without a
        savepoint while errors propagate, and saving the process's own columns only (its
        subclass row, the subject's key, does not change)."""
        with self.exception_guard(), _kept_errors_savepoint():
            self.task.started = timezone.now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            tasks = self.flow_class.task_class._default_manager
            # On a single path the token reaching the end is the only one: nothing to ask.
            finished = self.flow_class.instance.single_path or (
                not tasks.filter(process=self.process, finished__isnull=True)
                .exclude(pk=self.task.pk)
                .exists()
            )
            if finished:
                self.process.status = STATUS.DONE
                self.process.finished = timezone.now()
                self.process.save(update_fields=["status", "finished"])
            task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
            if finished:
                flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)

    @Activation.status.super()
    def complete(self) -> None:
        super().complete.original()  # sets `finished` and saves: the row's one insert
        self._link_previous()


class End(flow.End):
    """viewflow's End without a savepoint while errors propagate, saving less."""

    activation_class = _EndActivation


class TaskNode(flow.View):
    """A human task whose rights come from the process app's policy functions.

    `policy(subject, user)` (a function of the app's permissions.py, on the task's subject)
    decides both who may claim the task and who may execute it; an assigned task can only be
    executed by its owner. The execute URL keeps viewflow's name and shape but routes to the
    process app's own view, which gets this node as `flow_task` and completes the task through
    `workflows.inbox.services.task_complete` under the flow lock.

    A `personal` task (a signature) is never delegated: a delegate standing in for someone
    away sees it, and cannot claim or take it over on their behalf. An `approver_task` is
    the approvers' work (a review, a decision), which their leads may reassign.
    `due` (a `deadlines.Due`) is how long the task may take (None: no limit; the environment
    may override it, see `deadlines.due_for`); `candidates(subject)` is a queryset of the
    people who might take it, narrowed by `policy`, whom reminders of an unclaimed task reach.
    """

    def __init__(
        self,
        view: Any,
        *,
        policy: Any,
        personal: bool = False,
        approver_task: bool = False,
        due: Any = None,
        candidates: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(view, **kwargs)
        self.policy = policy
        self.personal = personal
        self.approver_task = approver_task
        self.due = due
        self.candidates = candidates

    def candidate_users(self, task: Any) -> list[Any]:
        """Who may claim the unclaimed `task` (active people the policy lets take it)."""
        if self.candidates is None:
            return []
        subject = self.flow_class.instance.subject_of(task.process)
        return [u for u in self.candidates(subject) if u.is_active and self.policy(subject, u)]

    def allows(self, task: Any, user: Any) -> bool:
        subject = self.flow_class.instance.subject_of(task.process)
        return self.policy(subject, user)

    def can_assign(self, user: Any, task: Any, *, on_behalf_of: Any = None) -> bool:
        """`user` may claim the unassigned `task`; for `on_behalf_of` (someone away whose
        delegate `user` is, which the caller checks): a task that is theirs to claim, not
        personal, and that `user`'s own rights allow too (a delegate holds the same rights,
        and a conflict of interest of theirs still counts)."""
        if task.owner_id is not None:
            return False
        return self.may_take_over(user, task, on_behalf_of=on_behalf_of)

    def may_take_over(self, user: Any, task: Any, *, on_behalf_of: Any = None) -> bool:
        """`user` may hold `task`, on their own or standing in for `on_behalf_of`."""
        if user is None or not user.is_authenticated or not self.allows(task, user):
            return False
        if on_behalf_of is None:
            return True
        return not self.personal and self.allows(task, on_behalf_of)

    def can_execute(self, user: Any, task: Any) -> bool:
        return task.owner_id == getattr(user, "pk", None) and self.allows(task, user)

    @property
    def view_path(self) -> Any:
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
            self.view,
            {"flow_task": self},
            name="execute",
        )
