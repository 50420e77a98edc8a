"""Build activities and drive their review the way the pages do."""

import datetime
import itertools

from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import OrganizationMembership, User
from accounts.services import organization_member_add
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.activities import services
from workflows.activities.flows import ActivityFlow
from workflows.activities.models import Activity, Theme
from workflows.inbox.services import task_claim, task_complete

_counter = itertools.count(1)


def activity_fields(**overrides) -> dict:
    now = timezone.now()
    n = next(_counter)
    fields = {
        "title": f"周末课后辅导 {n}",
        "theme": Theme.EDUCATION,
        "community": overrides.pop("community", None) or CommunityFactory(),
        "starts_at": now + datetime.timedelta(days=7),
        "ends_at": now + datetime.timedelta(days=7, hours=3),
        "address": "幸福路 8 号社区活动室",
        "content": "为社区儿童提供作业辅导。",
        "capacity": 3,
        "registration_opens_at": now - datetime.timedelta(days=1),
        "registration_closes_at": now + datetime.timedelta(days=6),
        "needs_review": False,
        "service_hours": 3,
        "points": 10,
        "contact": "王老师 13800000000",
    }
    fields.update(overrides)
    return fields


def org_with_staff() -> tuple:
    organization = OrganizationFactory()
    staff = UserFactory()
    organization_member_add(
        organization=organization,
        user=staff,
        role=OrganizationMembership.Role.STAFF,
        actor=None,
    )
    return organization, User.objects.get(pk=staff.pk)


def open_task(activity: Activity, node: str = "review") -> Task:
    return Task.objects.get(
        process__activityprocess__activity=activity,
        flow_task=getattr(ActivityFlow, node),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def decide(activity: Activity, reviewer: User, decision: str, comment: str = "") -> Activity:
    task = open_task(activity)
    if task.owner_id is None:
        task_claim(task_id=task.pk, user=reviewer)
    with task_complete(task_id=task.pk, user=reviewer, flow_task=task.flow_task):
        services.activity_review(
            activity_id=activity.pk, actor=reviewer, decision=decision, comment=comment
        )
    activity.refresh_from_db()
    return activity


def resubmit(activity: Activity, staff: User) -> Activity:
    task = open_task(activity, "revise")
    with task_complete(task_id=task.pk, user=staff, flow_task=task.flow_task):
        services.activity_resubmit(activity_id=activity.pk, actor=staff)
    activity.refresh_from_db()
    return activity


def published_activity(approver: User, **overrides) -> tuple:
    """An activity of a new organization, published by `approver`; (activity, staff)."""
    organization, staff = org_with_staff()
    activity = services.activity_create(
        actor=staff, organization=organization, **activity_fields(**overrides)
    )
    services.activity_submit(activity_id=activity.pk, actor=staff)
    return decide(activity, approver, "approve"), staff


def activity_form_data(**overrides) -> dict:
    """`activity_fields` as the activity form posts them (local times, the community's pk)."""
    fields = activity_fields(**overrides)
    data = {}
    for key, value in fields.items():
        if isinstance(value, datetime.datetime):
            data[key] = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif key == "community":
            data[key] = value.pk
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = value
    return data
