"""The demo's activities and registrations, built through the services as the pages build them.

阳光社区援助中心's staff (`orgstaff`) run them and `approver` reviews them: published ones
(upcoming with places, full with a waiting list, in progress, completed), one submitted for
review, one sent back for changes, one cancelled, and one whose registrations wait for the
organization's review; registrations in every state; a blocked resident and an invitation
code. Activities are keyed by title: a second
run leaves them alone.

Times are relative to the day the demo runs. An activity that is under way or over was
registered for while it lay ahead, then its times were moved into the past (as the inbox demo
ages its tasks), and the organization started and completed it through the services.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Community, Organization, User
from workflows.activities import services
from workflows.activities.flows import ActivityFlow
from workflows.activities.models import Activity, BlockedPerson, Registration, Theme
from workflows.inbox.services import task_claim, task_complete
from workflows.review.forms import Decision

ORGANIZATION = "阳光社区援助中心"
STAFF = "orgstaff"
ORG_ADMIN = "orgadmin"
BLOCKED = "volunteer4"
INVITATION_CODE = "QINGHE-GUEST"
REVIEWER = "approver"
A = Activity.Status
R = Registration.Status


@dataclass(frozen=True)
class DemoActivity:
    title: str
    theme: str
    community: str
    outcome: str
    starts_in_days: int
    capacity: int = 20
    reserved_places: int = 0
    needs_review: bool = False
    comment: str = ""
    # What registrants answer (see Activity.questions).
    questions: tuple[dict[str, Any], ...] = ()
    # (username, what becomes of the registration)
    registrations: tuple[tuple[str, str], ...] = field(default=())


ACTIVITIES = (
    DemoActivity(
        "清河社区周末课后辅导",
        Theme.EDUCATION,
        "清河社区",
        A.PUBLISHED,
        starts_in_days=6,
        reserved_places=2,
        registrations=(("volunteer1", R.APPROVED), ("resident", R.APPROVED)),
    ),
    DemoActivity(
        "望京社区老人智能手机课堂",
        Theme.ELDERLY,
        "望京社区",
        A.PUBLISHED,
        starts_in_days=9,
        capacity=2,
        registrations=(
            ("volunteer1", R.APPROVED),
            ("volunteer2", R.APPROVED),
            ("volunteer3", R.WAITLISTED),
            ("volunteer4", R.WITHDRAWN),
        ),
    ),
    DemoActivity(
        "清河社区儿童安全知识讲座",
        Theme.SAFETY,
        "清河社区",
        A.PUBLISHED,
        starts_in_days=12,
        capacity=10,
        needs_review=True,
        questions=(
            {"label": "孩子年龄", "required": False, "choices": []},
            {"label": "是否需要接送", "required": False, "choices": ["需要", "不需要"]},
        ),
        registrations=(
            ("volunteer1", R.PENDING),
            ("volunteer2", R.PENDING),
            ("volunteer3", R.REJECTED),
            ("volunteer4", R.REMOVED),
            ("resident", R.APPROVED),
        ),
    ),
    DemoActivity(
        "清河社区环境清洁日",
        Theme.ENVIRONMENT,
        "清河社区",
        A.IN_PROGRESS,
        starts_in_days=0,
        registrations=(("volunteer1", R.CHECKED_IN), ("volunteer2", R.APPROVED)),
    ),
    DemoActivity(
        "望京社区重阳节敬老活动",
        Theme.ELDERLY,
        "望京社区",
        A.COMPLETED,
        # Yesterday: its credit hours are on the leaderboard's default "this month" board on
        # every day but the first of a month.
        starts_in_days=-1,
        registrations=(
            ("volunteer1", R.ATTENDED),
            ("volunteer2", R.NO_SHOW),
            ("volunteer3", R.ATTENDED),
        ),
    ),
    DemoActivity(
        "清河社区义诊咨询",
        Theme.HEALTH,
        "清河社区",
        A.SUBMITTED,
        starts_in_days=20,
    ),
    DemoActivity(
        "望京社区读书角开放日",
        Theme.CULTURE,
        "望京社区",
        A.CHANGES_REQUESTED,
        starts_in_days=15,
        comment="请写明读书角的开放时间和每场人数上限。",
    ),
    DemoActivity(
        "清河社区亲子运动会",
        Theme.CHILDREN,
        "清河社区",
        A.CANCELLED,
        starts_in_days=8,
        comment="场地临时维修，活动取消，改期另行通知。",
        registrations=(("volunteer3", R.APPROVED),),
    ),
)


def _fields(spec: DemoActivity, now: datetime.datetime) -> dict[str, Any]:
    # Whole hours, local 9:00: a time a person would choose.
    day = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    starts = day + datetime.timedelta(days=max(spec.starts_in_days, 2))
    return {
        "title": spec.title,
        "theme": spec.theme,
        "community": Community.objects.get(name=spec.community),
        "starts_at": starts,
        "ends_at": starts + datetime.timedelta(hours=3),
        "address": f"{spec.community}居委会活动室",
        "content": f"{spec.title}：由{ORGANIZATION}组织，欢迎社区居民和志愿者参加。",
        "capacity": spec.capacity,
        "reserved_places": spec.reserved_places,
        "registration_opens_at": now - datetime.timedelta(days=3),
        "registration_closes_at": starts - datetime.timedelta(hours=12),
        "needs_review": spec.needs_review,
        "service_hours": 3,
        "points": 10,
        "contact": "吴老师 010-62000000",
        "questions": list(spec.questions),
    }


def _review(activity: Activity, reviewer: User, decision: str, comment: str = "") -> None:
    task = Task.objects.get(
        process__activityprocess__activity=activity,
        flow_task=ActivityFlow.review,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )
    if task.owner_id is None:
        task_claim(task_id=task.pk, user=reviewer)
    with task_complete(task_id=task.pk, user=reviewer, flow_task=task.flow_task):
        services.activity_review(
            activity_id=activity.pk, actor=reviewer, decision=decision, comment=comment
        )


class ActivityBuilder:
    def __init__(self, users: dict[str, User]) -> None:
        self.users = users

    def ensure_all(self, now: datetime.datetime) -> int:
        changes = sum(self.ensure(spec, now) for spec in ACTIVITIES)
        return changes + self.ensure_blocked(now) + self.ensure_invitation()

    @transaction.atomic
    def ensure_blocked(self, now: datetime.datetime) -> int:
        """`volunteer4`, removed once for a double registration, is blocked for three months."""
        organization = Organization.objects.get(name=ORGANIZATION)
        person = self.users[BLOCKED]
        if BlockedPerson.objects.filter(organization=organization, person=person).exists():
            return 0
        services.blocked_person_add(
            organization=organization,
            actor=self.users[ORG_ADMIN],
            person=person,
            reason="多次报名后无故缺席。",
            until=timezone.localdate(now) + datetime.timedelta(days=90),
        )
        return 1

    @transaction.atomic
    def ensure_invitation(self) -> int:
        """Guests of the first activity register with a code, after the deadline too."""
        activity = Activity.objects.get(title=ACTIVITIES[0].title)
        if activity.invitation_codes.filter(code=INVITATION_CODE).exists():
            return 0
        services.invitation_code_create(
            activity_id=activity.pk, actor=self.users[STAFF], code=INVITATION_CODE, uses_allowed=5
        )
        return 1

    @transaction.atomic
    def ensure(self, spec: DemoActivity, now: datetime.datetime) -> int:
        if Activity.objects.filter(title=spec.title).exists():
            return 0
        staff, reviewer = self.users[STAFF], self.users[REVIEWER]
        organization = Organization.objects.get(name=ORGANIZATION)
        activity = services.activity_create(
            actor=staff, organization=organization, **_fields(spec, now)
        )
        if spec.outcome == A.DRAFT:
            return 1
        services.activity_submit(activity_id=activity.pk, actor=staff)
        if spec.outcome == A.SUBMITTED:
            return 1
        if spec.outcome == A.CHANGES_REQUESTED:
            _review(activity, reviewer, Decision.REQUEST_CHANGES, spec.comment)
            return 1
        _review(activity, reviewer, Decision.APPROVE)
        self.register(activity, spec)
        if spec.outcome == A.CANCELLED:
            services.activity_cancel(activity_id=activity.pk, actor=staff, reason=spec.comment)
        elif spec.outcome in (A.IN_PROGRESS, A.COMPLETED):
            self.run(activity, spec, now)
        return 1

    def register(self, activity: Activity, spec: DemoActivity) -> None:
        staff = self.users[STAFF]
        for username, outcome in spec.registrations:
            registration = services.registration_create(
                activity_id=activity.pk, actor=self.users[username]
            )
            pk = registration.pk
            if outcome == R.WITHDRAWN:
                services.registration_withdraw(registration_id=pk, actor=self.users[username])
            elif outcome == R.REJECTED:
                services.registration_reject(
                    registration_id=pk, actor=staff, reason="本场面向清河社区的家庭，名额已满。"
                )
            elif outcome == R.REMOVED:
                services.registration_approve(registration_id=pk, actor=staff)
                services.registration_remove(
                    registration_id=pk, actor=staff, reason="重复报名，请保留另一场的名额。"
                )
            elif outcome == R.APPROVED and registration.status == R.PENDING:
                services.registration_approve(registration_id=pk, actor=staff)

    def run(self, activity: Activity, spec: DemoActivity, now: datetime.datetime) -> None:
        """Move the activity's times to where `spec` puts them, then run it as staff do."""
        staff = self.users[STAFF]
        starts = now + datetime.timedelta(days=spec.starts_in_days, hours=-1)
        Activity.objects.filter(pk=activity.pk).update(
            registration_opens_at=starts - datetime.timedelta(days=7),
            registration_closes_at=starts - datetime.timedelta(hours=12),
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=3),
        )
        services.activity_advance(activity_id=activity.pk, actor=staff, step="start")
        for username, outcome in spec.registrations:
            if outcome in (R.CHECKED_IN, R.ATTENDED):
                registration = Registration.objects.get(
                    activity=activity, person=self.users[username], status=R.APPROVED
                )
                services.registration_check_in(
                    activity_id=activity.pk, actor=staff, ticket=registration.ticket_token
                )
        if spec.outcome == A.COMPLETED:
            services.activity_advance(activity_id=activity.pk, actor=staff, step="complete")
