"""What every Accord flow shares: a real lock, and the hooks the unified inbox needs.

A process app subclasses `AccordFlow` and `TaskNode`; it never talks to the inbox otherwise.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import include, path
from viewflow.workflow import flow


class ProcessRowLock:
    """A flow lock: the process row, locked for update until the transaction ends.

    viewflow's `SelectForUpdateLock` without its retry loop (it waits for the lock rather than
    failing fast) and without a savepoint of its own: a failure under the lock fails the
    caller's transaction, which every caller lets roll back (task services, viewflow's start).
    """

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: int) -> Iterator[None]:
        with transaction.atomic(savepoint=False):
            rows = flow_class.process_class._default_manager.filter(pk=process_pk)
            rows.select_for_update().exists()
            yield


class AccordFlow(flow.Flow):
    """Base for every business-process flow.

    Subclasses set `process_class` and `subject_relation` (the select_related path from a Task to
    the domain object, e.g. ``"process__onboardingprocess__application"``), optionally
    `subject_related` (the domain object's own relations its policies read), and implement
    `subject_of` and `claimable_q`.
    """

    # Without a lock two concurrent completions of one task both succeed and duplicate the
    # following nodes; wait for the lock instead of failing fast.
    lock_impl = ProcessRowLock()
    subject_relation: str = ""
    subject_related: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # viewflow names a flow's URL app after its class ("onboarding"), which would shadow the
        # process app's own URL namespace inside task pages.
        cls.app_name = f"{cls.app_name}_flow"

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

    def task_related(self) -> list[str]:
        """select_related paths loading a task with its process, subject and the subject's
        relations: what the task's policy and the domain service read, in one query."""
        if not self.subject_relation:
            return ["process"]
        return [f"{self.subject_relation}__{r}" for r in self.subject_related] or [
            self.subject_relation
        ]

    def subject_of(self, process: Any) -> Any:
        """The domain object a process is about (shown in the inbox, linked from it)."""
        raise NotImplementedError

    def claimable_q(self, user: Any) -> Q:
        """Which unassigned tasks of this flow `user` may claim, as a filter on Task."""
        raise NotImplementedError

    def audit_target(self, process: Any) -> Any:
        """The object whose timeline shows this process's task events."""
        return self.subject_of(process)


class TaskNode(flow.View):
    """A human task whose rights come from the process app's policy functions.

    `policy(task, user)` decides both who may claim the task and who may execute it; an
    assigned task can only be executed by its owner. The execute URL keeps viewflow's name and
    shape but routes to the process app's own view, which completes the task through
    `workflows.inbox.services.task_complete` under the flow lock.
    """

    def __init__(self, view: Any, *, policy: Any, **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self._policy = policy

    def can_assign(self, user: Any, task: Any) -> bool:
        return (
            task.owner_id is None
            and user is not None
            and user.is_authenticated
            and self._policy(task, user)
        )

    def can_execute(self, user: Any, task: Any) -> bool:
        return task.owner_id == getattr(user, "pk", None) and self._policy(task, user)

    @property
    def view_path(self) -> Any:
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self.view, name="execute"
        )
