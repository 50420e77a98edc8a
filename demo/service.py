"""The demo's volunteer service: the records and signed certificates of the completed
activity, one corrected certificate, honour hours pending and approved, and a leaderboard of
the volunteers who chose to be on it. Built through the services; a second run adds nothing.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import services as accounts_services
from accounts.models import Organization, User
from demo.activities import ORG_ADMIN, ORGANIZATION, STAFF
from workflows.inbox.services import task_claim, task_complete
from workflows.review.forms import Decision
from workflows.service import services
from workflows.service.flows import HonourHoursFlow
from workflows.service.models import HonourHours, ServiceRecord
from workflows.service.pdfs import certificate_issue

CORRECTED = "volunteer3"
CORRECTION_REASON = "签退时漏记，实际服务 2.5 小时。"
# Residents who chose to be shown on the leaderboard (volunteer2 did not: never shown).
LEADERBOARD_OPT_IN = ("volunteer1", "volunteer3")


@dataclass(frozen=True)
class DemoHonourHours:
    person: str
    description: str
    hours: str
    days_ago: int
    approved: bool


HONOUR_HOURS = (
    DemoHonourHours("volunteer1", "社区防疫物资分装（未签到的临时支援）", "3.5", 12, approved=True),
    DemoHonourHours("volunteer2", "协助独居老人取药、送药上门", "2", 3, approved=False),
)


class ServiceBuilder:
    def __init__(self, users: dict[str, User]) -> None:
        self.users = users

    def ensure_all(self) -> int:
        changes = sum(self.ensure_honour_hours(spec) for spec in HONOUR_HOURS)
        # After the approvals: their certificates are among those issued here.
        changes += self.ensure_certificates() + self.ensure_correction()
        return changes + self.ensure_leaderboard()

    def ensure_certificates(self) -> int:
        """Every record has its certificate. Completing an activity queues them on commit:
        eager without a broker (then they exist by now), for the worker with one. Issuing
        them here is idempotent either way."""
        issued = 0
        for pk in ServiceRecord.objects.filter(
            certificate__isnull=True, superseded_by__isnull=True
        ).values_list("pk", flat=True):
            issued += certificate_issue(pk) is not None
        return issued

    def ensure_correction(self) -> int:
        """`orgadmin` corrects the hours of one attendee of the completed activity: the old
        record and certificate stay, marked superseded."""
        person = self.users[CORRECTED]
        if ServiceRecord.objects.filter(person=person, superseded_by__isnull=False).exists():
            return 0
        record = ServiceRecord.objects.filter(
            person=person, activity__isnull=False, superseded_by__isnull=True
        ).first()
        if record is None:
            return 0
        replacement = services.service_record_correct(
            record_id=record.pk,
            actor=self.users["orgadmin"],
            hours=Decimal("2.5"),
            reason=CORRECTION_REASON,
        )
        return 1 + (certificate_issue(replacement.pk) is not None)

    @transaction.atomic
    def ensure_honour_hours(self, spec: DemoHonourHours) -> int:
        """`orgstaff` records the hours and submits them; `orgadmin` approves them in the
        inbox, or they wait there for review."""
        organization = Organization.objects.get(name=ORGANIZATION)
        person = self.users[spec.person]
        if HonourHours.objects.filter(
            organization=organization, person=person, description=spec.description
        ).exists():
            return 0
        staff = self.users[STAFF]
        entry = services.honour_hours_create(
            actor=staff,
            organization=organization,
            person=person,
            served_on=timezone.localdate() - datetime.timedelta(days=spec.days_ago),
            hours=Decimal(spec.hours),
            description=spec.description,
        )
        services.honour_hours_submit(entry_id=entry.pk, actor=staff)
        if spec.approved:
            admin = self.users[ORG_ADMIN]
            task = Task.objects.get(
                process__honourhoursprocess__honour_hours=entry,
                flow_task=HonourHoursFlow.review,
                status__in=[STATUS.NEW, STATUS.ASSIGNED],
            )
            task_claim(task_id=task.pk, user=admin)
            with task_complete(task_id=task.pk, user=admin, flow_task=task.flow_task):
                services.honour_hours_review(
                    entry_id=entry.pk, actor=admin, decision=Decision.APPROVE
                )
        return 1

    def ensure_leaderboard(self) -> int:
        """The residents who opted in, each by their own profile change."""
        changes = 0
        for username in LEADERBOARD_OPT_IN:
            user = self.users[username]
            if user.leaderboard_opt_in:
                continue
            accounts_services.user_profile_update(
                user_id=user.pk,
                actor=user,
                display_name=user.display_name,
                email=user.email,
                phone=user.phone,
                preferred_language=user.preferred_language,
                notification_email=user.notification_email,
                leaderboard_opt_in=True,
            )
            user.refresh_from_db()
            changes += 1
        return changes
