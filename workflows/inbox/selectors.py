"""The three task lists of the unified inbox, scoped to what the user may act on.

Every list is one query whatever its length: each registered flow contributes a
`select_related` path to its domain object and a filter for the tasks its users may claim.
"""

import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When, Window
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from accounts.selectors import get_visible_or_404, users_absent_for
from audit.context import current_request

from .registry import flow_for, registered_flows

HUMAN_TASK_TYPES = ("HUMAN",)
OPEN = [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]
# Waiting tasks soonest due first; those without a time limit after them, oldest first.
_BY_DUE = (F("deadline__due_at").asc(nulls_last=True), "created", "pk")


def _base(flows: list[Any]) -> QuerySet[Task]:
    # With each subject's own relations: a termination request's name reads its agreement.
    related = ["process", "owner", "deadline"] + [
        p for f in flows for p in f.instance.task_related()
    ]
    return Task.objects.filter(flow_task_type__in=HUMAN_TASK_TYPES).select_related(*related)


def task_page(
    tasks: QuerySet[Task], *, number: int, size: int, length: int | None = None
) -> tuple[list[Task], int, int]:
    """Page `number` of a task list: (its tasks, the list's length, the page's number, the
    last one when `number` is past the end). Two queries whatever the list's length: the
    page's keys in the list's order with the list's length beside them (a narrow sort, however
    many tasks match; `length` when the caller knows it already), then those rows with
    everything a row shows. Sorting every matching task's wide row to keep fifty cost more
    at 10,000 open tasks, and so did counting apart."""
    start = (number - 1) * size
    if length is None:
        tasks_and_length = tasks.annotate(list_length=Window(Count("pk")))
        keyed = list(tasks_and_length.values_list("pk", "list_length")[start : start + size])
    else:
        keyed = [(key, length) for key in tasks.values_list("pk", flat=True)[start : start + size]]
    if not keyed:
        total = tasks.count() if length is None else length
        last = max(1, -(-total // size))
        if number <= last:
            return [], total, number
        return task_page(tasks, number=last, size=size, length=total)
    keys = [key for key, _length in keyed]
    # A list that annotates its rows (the delegated tab's `for_user_id`) keeps them.
    rows = (tasks if tasks.query.annotations else _base(registered_flows())).filter(pk__in=keys)
    by_key = rows.order_by().in_bulk()
    return [by_key[key] for key in keys if key in by_key], keyed[0][1], number


def _flow_q(flow_class: Any) -> Q:
    return Q(process__flow_class=flow_class)


def _personal_nodes() -> list[Any]:
    return [
        node
        for f in registered_flows()
        for node in f.instance.nodes()
        if getattr(node, "personal", False)
    ]


def escalated_q(user: User) -> Q:
    """Tasks the escalation ladder offered to a group `user` belongs to (`TaskDeadline.
    escalated_to`), as a filter on Task. Never a personal task: a signature stays with the
    party's signers, however late it is. A flow's `claimable_q` grants these on top of its
    role's tasks (keeping its conflict-of-interest rules)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(deadline__escalated_to__in=user.groups.values("pk")) & ~Q(
        flow_task__in=_personal_nodes()
    )


def task_escalated_to(*, subject: Any, user: User) -> bool:
    """An open task about `subject` was offered to a group `user` belongs to: the policy
    behind a flow's `escalated_q` share, for the node's and the domain service's checks."""
    flow_class = flow_for(subject)
    return (
        Task.objects.filter(
            _flow_q(flow_class),
            Q(**{flow_class.subject_relation(): subject}),
            status__in=OPEN,
        )
        .filter(escalated_q(user))
        .exists()
    )


def subjects_escalated_to(*, model: Any, user: User) -> QuerySet[Task]:
    """The keys of `model` objects (a flow's subject) with an open task escalated to a group
    `user` belongs to, or a task `user` took (held or done): what they may read to decide
    it or, for a signature they cannot take, to follow it up with the signers; and what they
    decided (as a subquery, `pk__in=`)."""
    flow_class = flow_for(model)
    if getattr(user, "is_authenticated", False):
        offered = Q(status__in=OPEN, deadline__escalated_to__in=user.groups.values("pk"))
    else:
        offered = Q(pk__in=[])
    return (
        Task.objects.filter(_flow_q(flow_class))
        .filter(offered | Q(owner=user))
        .values(f"{flow_class.subject_relation()}_id")
    )


def task_list_mine(*, user: User) -> QuerySet[Task]:
    """Tasks assigned to the user and waiting for them."""
    flows = registered_flows()
    return (
        _base(flows)
        .filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])
        .order_by(*_BY_DUE)
    )


def task_list_available(*, user: User) -> QuerySet[Task]:
    """Unassigned tasks the user may claim."""
    return (
        _base(registered_flows())
        .filter(status=STATUS.NEW, owner__isnull=True)
        .filter(_claimable(user))
        .order_by(*_BY_DUE)
    )


def task_list_done(*, user: User) -> QuerySet[Task]:
    """Tasks the user completed, newest first."""
    flows = registered_flows()
    return _base(flows).filter(owner=user, status=STATUS.DONE).order_by("-finished", "-pk")


def _claimable(user: User) -> Q:
    """Tasks of the kinds `user` may take from a shared queue (whoever holds them now).

    Built once per request and person: an inbox page asks for it for several lists, and each
    flow's `claimable_q` builds its subqueries anew (they are evaluated by the database when
    a list is read, so the filter stays right for the whole request)."""
    request = current_request.get()
    built = request.__dict__.setdefault("_accord_claimable", {}) if request is not None else {}
    if user.pk not in built:
        claimable = [_flow_q(f) & f.instance.claimable_q(user) for f in registered_flows()]
        built[user.pk] = reduce(or_, claimable) if claimable else Q(pk__in=[])
    return built[user.pk]


def task_list_held_by_others(*, user: User) -> QuerySet[Task]:
    """Tasks of the user's queues that colleagues hold now: who holds what, since when."""
    flows = registered_flows()
    return (
        _base(flows)
        .filter(status__in=[STATUS.ASSIGNED, STATUS.STARTED], owner__isnull=False)
        .exclude(owner=user)
        .filter(_claimable(user))
        .order_by("assigned", "pk")
    )


def _delegated(absent: list[User]) -> Q:
    """The tasks of people away: those they may claim, and those they hold."""
    held = Q(owner__in=absent, status__in=[STATUS.ASSIGNED, STATUS.STARTED])
    claimable = Q(status=STATUS.NEW, owner__isnull=True) & reduce(
        or_, [_claimable(person) for person in absent]
    )
    return held | claimable


def task_list_delegated(*, user: User, absent: list[User] | None = None) -> QuerySet[Task]:
    """The open tasks of the people `user` stands in for today (see accounts.Absence): those
    they could claim and those they hold, each annotated with `for_user_id`, whom it is for.
    A signature task is among them to be seen, not taken (`TaskNode.personal`)."""
    absent = users_absent_for(delegate=user) if absent is None else absent
    if not absent:
        return Task.objects.none()
    flows = registered_flows()
    held_by = [When(owner_id=person.pk, then=Value(person.pk)) for person in absent]
    claimable_by = [When(_claimable(person), then=Value(person.pk)) for person in absent]
    return (
        _base(flows)
        .filter(_delegated(absent))
        .annotate(
            for_user_id=Case(
                *held_by, *claimable_by, default=F("owner_id"), output_field=IntegerField()
            )
        )
        .order_by("created", "pk")
    )


def task_list_team(*, user: User) -> QuerySet[Task]:
    """Every open task of the user's queues and of their own, whoever holds it (or nobody),
    oldest first: who holds what, and for how long it has waited. Exactly the tasks of
    "My tasks", "Available to me" and "Held by colleagues" together (three lists that share
    no task), so that its count is theirs added up (`TEAM_PARTS`)."""
    flows = registered_flows()
    held = [STATUS.ASSIGNED, STATUS.STARTED]
    return (
        _base(flows)
        .filter(
            Q(owner=user, status__in=held)
            | (Q(status=STATUS.NEW, owner__isnull=True) & _claimable(user))
            | (Q(status__in=held, owner__isnull=False) & ~Q(owner=user) & _claimable(user))
        )
        .order_by("created", "pk")
    )


# The lists the team tab is made of, as the inbox's tab keys.
TEAM_PARTS = ("mine", "available", "held")


HOLDER_ME, HOLDER_NOBODY, HOLDER_OTHERS = "me", "nobody", "others"
DUE_OVERDUE, DUE_THIS_WEEK = "overdue", "week"


def task_filter(
    tasks: QuerySet[Task],
    *,
    user: User,
    process: str = "",
    task: str = "",
    organization: Any = None,
    community: Any = None,
    holder: str = "",
    text: str = "",
    due: str = "",
) -> QuerySet[Task]:
    """Narrow a task list by the inbox's filters: the flow (its `url_prefix`), the task
    ("<url_prefix>.<node name>"), the organization or community concerned, who holds it
    (`HOLDER_*`), words of the subject and when it is due (`DUE_*`: overdue now, or due by
    the end of this week, Sunday, in TIME_ZONE). Still one query."""
    flows = registered_flows()
    if process:
        tasks = tasks.filter(reduce(or_, [_flow_q(f) for f in flows if f.url_prefix == process]))
    if task:
        prefix, _dot, name = task.partition(".")
        nodes = [getattr(f, name) for f in flows if f.url_prefix == prefix and hasattr(f, name)]
        tasks = tasks.filter(flow_task__in=nodes) if nodes else tasks.none()
    for party, field in ((organization, "organization_field"), (community, "community_field")):
        if party is not None:
            matches = [
                f.instance.subject_q(getattr(f, field), "exact", party)
                for f in flows
                if getattr(f, field)
            ]
            tasks = tasks.filter(reduce(or_, matches)) if matches else tasks.none()
    if holder == HOLDER_ME:
        tasks = tasks.filter(owner=user)
    elif holder == HOLDER_NOBODY:
        tasks = tasks.filter(owner__isnull=True)
    elif holder == HOLDER_OTHERS:
        tasks = tasks.filter(owner__isnull=False).exclude(owner=user)
    for word in text.split()[:5]:
        matches = [
            f.instance.subject_q(field, "icontains", word)
            for f in flows
            for field in f.search_fields
        ]
        tasks = tasks.filter(reduce(or_, matches)) if matches else tasks.none()
    if due == DUE_OVERDUE:
        tasks = tasks.filter(finished__isnull=True, deadline__due_at__lte=timezone.now())
    elif due == DUE_THIS_WEEK:
        today = timezone.localdate()
        sunday = today + datetime.timedelta(days=6 - today.weekday())
        end = timezone.make_aware(datetime.datetime.combine(sunday, datetime.time.max))
        tasks = tasks.filter(finished__isnull=True, deadline__due_at__lte=end)
    return tasks


def task_count_waiting(user: User) -> int:
    """How many tasks wait for the user: the lengths of their "My tasks" and "Available to me"
    tabs, counted by those tabs' selectors (two queries: one with an OR across both would make
    PostgreSQL join every open task's subject). Standing in for an absent colleague adds what
    the user may claim on their behalf: a delegate holds the same rights, so those tasks are
    already among what they may claim, and are counted once. A page that counted both tabs
    already says so with `task_count_waiting_known`."""
    known = getattr(user, _WAITING_KNOWN, None)
    if known is not None:
        return known
    return task_list_mine(user=user).count() + task_list_available(user=user).count()


# The request's user object carries the count for the rest of the request (as Django's
# permission caches do), so the navigation reuses what the inbox page counted.
_WAITING_KNOWN = "_accord_tasks_waiting"


def task_count_waiting_known(user: User, count: int) -> None:
    setattr(user, _WAITING_KNOWN, count)


def task_ids_shared(*, user: User, task_ids: list[int]) -> set[int]:
    """Which of `task_ids` belong to a queue `user` takes tasks from, so that releasing them
    puts them where the user (and colleagues) find them again; one query. A task only its
    holder can do (an applicant's revision) is not among them."""
    if not task_ids:
        return set()
    return set(
        Task.objects.filter(pk__in=task_ids).filter(_claimable(user)).values_list("pk", flat=True)
    )


def task_subject(task: Task) -> Any:
    return task.flow_task.flow_class.instance.subject_of(task.process)


def task_get_for_user(*, task_id: int, user: User) -> Task:
    """A task the user holds or held, or one of the kind they may claim (whoever holds it
    now, so that losing a race to claim it says so); 404 for missing and "not yours" alike."""
    flows = registered_flows()
    visible = Q(owner=user) | _claimable(user)
    absent = users_absent_for(delegate=user)
    if absent:
        visible |= _delegated(absent)
    return get_visible_or_404(_base(flows).filter(visible), task_id, user=user)


def task_open_for(subject: Any) -> Task | None:
    """The waiting human task of the newest process about `subject`, if any."""
    flow_class = flow_for(subject)
    process = (
        flow_class.process_class._default_manager.filter(
            **{f"{flow_class.subject_field}_id": subject.pk}
        )
        .order_by("-pk")
        .first()
    )
    if process is None:
        return None
    return (
        Task.objects.filter(
            process=process,
            flow_task_type__in=HUMAN_TASK_TYPES,
            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
        )
        .select_related("owner")
        .first()
    )


def task_url_for(task: Task | None, user: User) -> str:
    """The task's page, when `user` holds the task; empty otherwise."""
    if task is None or task.owner_id != user.pk:
        return ""
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])
