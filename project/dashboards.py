"""The overview's dashboards (seed 002, 管理首页): one function per audience, each reading
through the process apps' selectors and scoped to what its viewer may see there.

Each runs a fixed number of queries, whatever the number of rows: counts are grouped in the
database (`values("status").annotate(...)`), lists are cut to a few rows with their relations
selected. Charts are server-rendered SVG (`donations/_bar_chart.svg.html`) with the same
figures in a table, so that they read without JavaScript and with a screen reader.
"""

import datetime
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Organization, User
from accounts.permissions import MANAGE_ORGANIZATION
from accounts.selectors import (
    ROLE_APPROVER,
    communities_managed_by,
    objects_with_perm,
    user_roles,
)
from audit.labels import action_label
from audit.selectors import audit_event_list_recent
from workflows.activities.models import Activity
from workflows.activities.selectors import activity_list_for_user, registration_review_batches
from workflows.agreements.models import AidAgreement
from workflows.agreements.selectors import agreement_list_expiring, agreement_list_for_user
from workflows.donations.models import DonationProject, UsageReport
from workflows.donations.selectors.projects import project_list_for_user
from workflows.donations.selectors.reports import report_list_for_user
from workflows.donations.selectors.totals import ZERO, received_donations
from workflows.inbox.selectors import task_list_available, task_list_mine, task_subject
from workflows.onboarding.models import OrganizationApplication
from workflows.onboarding.selectors import application_list_for_user

RECENT_DAYS = 30
EXPIRING_DAYS = 30
LOG_ROWS = 50
LIST_ROWS = 10


@dataclass
class StateCounts:
    """How many objects of one process are in each of its states, as a chart and a table."""

    title: Any
    chart_id: str
    rows: list[dict[str, Any]]  # {"label", "value", "percent"}: the bar chart's rows
    total: int


@dataclass
class Dashboard:
    """What one audience sees; the template shows the parts that are set."""

    audience: str
    title: Any
    scope: list[Any] = field(default_factory=list)  # the organizations or communities shown
    counts: list[StateCounts] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def state_counts(
    queryset: QuerySet, *, title: Any, chart_id: str, choices: list[tuple[str, Any]]
) -> StateCounts:
    """`queryset` counted per state in one query, in the order of the model's `choices`."""
    found = {
        row["status"]: row["n"]
        for row in queryset.order_by().values("status").annotate(n=Count("pk", distinct=True))
    }
    largest = max(found.values(), default=0)
    rows = [
        {
            "label": str(label),
            "value": found[value],
            "percent": round(found[value] * 100 / largest, 1) if largest else 0,
        }
        for value, label in choices
        if found.get(value)
    ]
    return StateCounts(title=title, chart_id=chart_id, rows=rows, total=sum(found.values()))


def _age(since: datetime.datetime, now: datetime.datetime) -> Any:
    days = (now - since).days
    if days >= 1:
        return _("%(days)d d") % {"days": days}
    return _("%(hours)d h") % {"hours": (now - since).seconds // 3600}


def _task_rows(tasks: QuerySet, now: datetime.datetime) -> list[dict[str, Any]]:
    return [
        {
            "task": task,
            "subject": task_subject(task),
            "age": _age(task.created, now),
            "due_at": getattr(getattr(task, "deadline", None), "due_at", None),
        }
        for task in tasks[:LIST_ROWS]
    ]


def platform_dashboard(*, user: User, action_prefix: str = "") -> Dashboard:
    """For platform admins and approvers: every process by state, the reviews waiting and
    their age, overdue tasks, organizations approved lately and the management log."""
    now = timezone.now()
    waiting = task_list_available(user=user).order_by("created", "pk")
    open_tasks = (task_list_mine(user=user) | task_list_available(user=user)).order_by(
        "deadline__due_at", "pk"
    )
    overdue = open_tasks.filter(deadline__due_at__lte=now)
    approved = application_list_for_user(
        user=user, status=OrganizationApplication.Status.APPROVED
    ).filter(decided_at__gte=now - datetime.timedelta(days=RECENT_DAYS))
    return Dashboard(
        audience="platform",
        title=_("The platform"),
        counts=[
            state_counts(
                application_list_for_user(user=user),
                title=_("Onboarding applications"),
                chart_id="platform-applications",
                choices=OrganizationApplication.Status.choices,
            ),
            state_counts(
                activity_list_for_user(user=user),
                title=_("Activities"),
                chart_id="platform-activities",
                choices=Activity.Status.choices,
            ),
            state_counts(
                agreement_list_for_user(user=user),
                title=_("Aid agreements"),
                chart_id="platform-agreements",
                choices=AidAgreement.Status.choices,
            ),
            state_counts(
                project_list_for_user(user=user),
                title=_("Donation projects"),
                chart_id="platform-projects",
                choices=DonationProject.Status.choices,
            ),
            state_counts(
                report_list_for_user(user=user),
                title=_("Usage reports"),
                chart_id="platform-reports",
                choices=UsageReport.Status.choices,
            ),
        ],
        extra={
            "waiting": _task_rows(waiting, now),
            "waiting_count": waiting.count(),
            "overdue": _task_rows(overdue, now),
            "overdue_count": overdue.count(),
            "approved": list(approved.order_by("-decided_at", "-pk")[:LIST_ROWS]),
            "approved_count": approved.count(),
            "log": [
                {"event": event, "label": action_label(event.action)}
                for event in audit_event_list_recent(action_prefix=action_prefix, limit=LOG_ROWS)
            ],
            "action_prefix": action_prefix,
        },
    )


def _children_due(organizations: list[Organization]) -> list[dict[str, Any]] | None:
    """Children's records due a visit, per organization, when the children's records app is
    installed (None otherwise). Only the count and a link: no child's name on a dashboard."""
    if importlib.util.find_spec("workflows.children.selectors") is None:
        return None
    from workflows.children import selectors as children

    due: Callable[..., QuerySet] | None = getattr(children, "records_due_a_visit", None)
    if due is None:
        return None
    return [
        {"organization": organization, "count": due(organization).count()}
        for organization in organizations
    ]


def organization_dashboard(*, user: User) -> Dashboard | None:
    """For the admins of an organization: their activities by state, registrations waiting,
    agreements by state, donations received this month and children's records due a visit.
    None for someone who administers no organization."""
    organizations = list(
        objects_with_perm(user=user, perm=MANAGE_ORGANIZATION, model=Organization).order_by(
            "name", "pk"
        )
    )
    if not organizations:
        return None
    today = timezone.localdate()
    month_start = today.replace(day=1)
    received = (
        received_donations()
        .filter(organization__in=organizations)
        .filter(
            Q(received_on__gte=month_start)
            | Q(received_on__isnull=True, confirmed_at__date__gte=month_start)
        )
        .aggregate(total=Coalesce(Sum("amount"), ZERO), count=Count("pk"))
    )
    registrations = registration_review_batches(user, limit=LIST_ROWS)
    return Dashboard(
        audience="organization",
        title=_("Your organization"),
        scope=organizations,
        counts=[
            state_counts(
                activity_list_for_user(user=user).filter(organization__in=organizations),
                title=_("Activities"),
                chart_id="organization-activities",
                choices=Activity.Status.choices,
            ),
            state_counts(
                agreement_list_for_user(user=user).filter(organization__in=organizations),
                title=_("Aid agreements"),
                chart_id="organization-agreements",
                choices=AidAgreement.Status.choices,
            ),
        ],
        extra={
            "registrations": registrations,
            "registrations_count": sum(item.count for item in registrations),
            "donations_total": received["total"] or Decimal(0),
            "donations_count": received["count"],
            "month_start": month_start,
            "children_due": _children_due(organizations),
        },
    )


def community_dashboard(*, user: User) -> Dashboard | None:
    """For community managers: their communities' agreements by state, and those ending
    within 30 days. None for someone who manages no community."""
    communities: list[Community] = list(communities_managed_by(user=user).order_by("name", "pk"))
    if not communities:
        return None
    today = timezone.localdate()
    expiring = agreement_list_expiring(user=user, today=today, within_days=EXPIRING_DAYS)
    return Dashboard(
        audience="community",
        title=_("Your community"),
        scope=communities,
        counts=[
            state_counts(
                agreement_list_for_user(user=user).filter(community__in=communities),
                title=_("Aid agreements"),
                chart_id="community-agreements",
                choices=AidAgreement.Status.choices,
            )
        ],
        extra={
            "expiring": list(expiring[:LIST_ROWS]),
            "expiring_count": expiring.count(),
            "expiring_days": EXPIRING_DAYS,
        },
    )


def dashboards_for(*, user: User, action_prefix: str = "") -> list[Dashboard]:
    """The dashboards `user` sees, in this order: the platform's (superusers and approvers),
    their organization's (its admins), their community's (its managers). A resident: none."""
    result: list[Dashboard] = []
    if ROLE_APPROVER in user_roles(user=user):
        result.append(platform_dashboard(user=user, action_prefix=action_prefix))
    for build in (organization_dashboard, community_dashboard):
        dashboard = build(user=user)
        if dashboard is not None:
            result.append(dashboard)
    return result
