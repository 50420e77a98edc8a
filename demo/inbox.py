"""The demo's inbox: people away with a colleague standing in for them, the escalation group,
and waiting tasks due soon, overdue and escalated.

The tasks are the ones the demo's applications and agreements left waiting. They are made
older (their creation time and their deadline, as if they had waited that long), then the
escalation job runs once at the present time, so that its steps really happen: reminders,
the approver leads told, an unclaimed review offered to the escalation group, each with its
audit event and notifications.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from viewflow.workflow.models import Task

from accounts import services as accounts_services
from accounts.models import APPROVER_LEADS_GROUP, ESCALATION_GROUP, Absence, User
from demo.agreements import AGREEMENTS
from workflows.agreements.models import AidAgreement, TerminationRequest
from workflows.inbox.deadlines import due_for, ladder
from workflows.inbox.models import TaskDeadline
from workflows.inbox.selectors import task_open_for
from workflows.inbox.services import task_deadlines_escalate
from workflows.onboarding.models import OrganizationApplication

ESCALATORS = ("supervisor",)
APPROVER_LEADS = ("approver",)


@dataclass(frozen=True)
class DemoAbsence:
    user: str
    delegate: str
    # Days from the day the demo runs: the absence covers that day.
    starts_in: int
    lasts: int

    def period(self, today: datetime.date) -> tuple[datetime.date, datetime.date]:
        starts = today + datetime.timedelta(days=self.starts_in)
        return starts, starts + datetime.timedelta(days=self.lasts)


ABSENCES = (
    # The delegate claims and decides approver2's reviews on their behalf.
    DemoAbsence("approver2", "approver", starts_in=-2, lasts=9),
    # A signature is never delegated: orgsigner2 only sees orgsigner's, marked so.
    DemoAbsence("orgsigner", "orgsigner2", starts_in=-1, lasts=6),
)

DUE_SOON, OVERDUE, ESCALATED = "due_soon", "overdue", "escalated"


def _agreement_title(status: str) -> str:
    return next(spec.title for spec in AGREEMENTS if spec.outcome == status)


def _subjects() -> list[tuple[Any, str]]:
    """(subject of a waiting task, where the demo leaves its deadline)."""
    return [
        (OrganizationApplication.objects.get(name="清河邻里互助会"), ESCALATED),
        (OrganizationApplication.objects.get(name="望京青年志愿者服务队"), OVERDUE),
        (
            TerminationRequest.objects.get(
                agreement__title=_agreement_title(AidAgreement.Status.TERMINATION_REQUESTED),
                status=TerminationRequest.Status.OPEN,
            ),
            DUE_SOON,
        ),
        (
            AidAgreement.objects.get(
                title=_agreement_title(AidAgreement.Status.PENDING_ORG_SIGNATURE)
            ),
            OVERDUE,
        ),
    ]


def started_for(state: str, due: Any, now: datetime.datetime) -> datetime.datetime:
    """The latest start (in half days before `now`) at which a task with time limit `due`
    is in `state` now: past its reminder, its due date or its escalation."""
    for half_days in range(1, 200):
        start = now - datetime.timedelta(hours=12 * half_days)
        steps = ladder(start, due)
        if state == ESCALATED and steps["escalate_at"] <= now:
            return start
        if state == OVERDUE and steps["due_at"] <= now < steps["escalate_at"]:
            return start
        if state == DUE_SOON and steps["remind_at"] <= now < steps["due_at"]:
            return start
    raise ValueError(f"No start puts a task of {due} {state}.")


class InboxBuilder:
    """Builds the inbox part of the demo; each `ensure_*` returns how many changes it made."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users

    def ensure_roles(self) -> int:
        changes = 0
        for username in ESCALATORS:
            user = self.users[username]
            if not user.groups.filter(name=ESCALATION_GROUP).exists():
                accounts_services.escalation_member_set(user=user, actor=None, member=True)
                changes += 1
        for username in APPROVER_LEADS:
            user = self.users[username]
            if not user.groups.filter(name=APPROVER_LEADS_GROUP).exists():
                accounts_services.approver_lead_set(user=user, actor=None, lead=True)
                changes += 1
        return changes

    def ensure_absences(self, today: datetime.date) -> int:
        changes = 0
        for spec in ABSENCES:
            user = self.users[spec.user]
            starts, ends = spec.period(today)
            if Absence.objects.filter(user=user, starts_on__lte=ends, ends_on__gte=starts).exists():
                continue
            accounts_services.absence_create(
                user=user,
                delegate=self.users[spec.delegate],
                starts_on=starts,
                ends_on=ends,
                actor=user,
            )
            changes += 1
        return changes

    def ensure_deadlines(self, now: datetime.datetime) -> int:
        """Make the waiting tasks as old as their state needs (a task already that old is
        left alone), then run the escalation job: its steps are stamped, so once each."""
        changes = 0
        with transaction.atomic():
            for subject, state in _subjects():
                task = task_open_for(subject)
                due = due_for(task.flow_task)
                start = started_for(state, due, now)
                if task.created <= start:
                    continue
                Task.objects.filter(pk=task.pk).update(created=start)
                TaskDeadline.objects.filter(task=task).update(**ladder(start, due))
                changes += 1
        steps = task_deadlines_escalate(now=now)
        return changes + sum(steps.values())
