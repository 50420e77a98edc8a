"""Load the demo data: one account per role, applications in every onboarding state, the
approved organizations' signed approval letters, aid agreements in every state, and an inbox
with tasks due soon, overdue and escalated and people away with a delegate (demo/inbox.py).

Everything is built through the services, as the pages would build it, so the audit trail,
the flow's tasks, the documents, the signatures and the notifications are real. Idempotent:
the platform PKI is created only when missing, users are keyed on their username, communities
on their name, applications on their credit code and agreements on their title within their
community; what exists is left alone, so a second run writes nothing. It ends with a signed
checkpoint of the audit chain (none new when no event was added).

Documents that the services leave to Celery (approval letters, agreement evidence summaries)
are made here synchronously, so the demo's PDFs exist when the command returns whether or not
a broker is configured; the tasks, when a worker runs them later, find them made.
"""

import time
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

import audit.services as audit
from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.forms import SignUpForm
from accounts.models import Absence, Community, CommunityMembership, Notification, User
from accounts.roles import approvers_group
from demo.activities import ACTIVITIES, ActivityBuilder
from demo.agreements import (
    AGREEMENTS,
    AgreementBuilder,
    DemoAgreement,
    find_agreement,
)
from demo.directory import DirectoryBuilder
from demo.donations import DonationBuilder
from demo.inbox import InboxBuilder
from demo.onboarding import (
    APPLICATIONS,
    APPROVERS,
    COMMUNITIES,
    COMMUNITY_MANAGERS,
    EMAIL_DOMAIN,
    PASSWORD,
    PEOPLE,
    DemoApplication,
    Person,
    certificate_pdf,
)
from demo.service import ServiceBuilder
from documents.models import Document
from signing.models import SigningIdentity
from signing.services import audit_checkpoint_create, pki_init
from workflows.activities.models import Activity
from workflows.inbox.selectors import task_open_for
from workflows.inbox.services import task_claim, task_complete
from workflows.onboarding import services as onboarding
from workflows.onboarding.models import OrganizationApplication
from workflows.onboarding.pdfs import approval_letter_issue
from workflows.review.forms import Decision

Status = OrganizationApplication.Status
# How many of each person's newest notifications the demo leaves unread.
UNREAD_KEPT = 2


class Command(BaseCommand):
    help = (
        "Load demo accounts, communities, organization applications and aid agreements "
        "in every state, with their signed documents (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        self.changes = 0
        self.ensure_pki()
        users = {person.username: self.ensure_user(person) for person in PEOPLE}
        # Fresh instances: group changes above must not meet cached permissions below.
        users = {u.username: u for u in User.objects.filter(username__in=users)}
        admin = users["admin"]
        for fields in COMMUNITIES:
            self.ensure_community(fields, actor=admin)
        for community_name, username in COMMUNITY_MANAGERS:
            self.ensure_community_manager(community_name, users[username], actor=admin)
        for spec in APPLICATIONS:
            self.ensure_application(spec, users)
        self.ensure_approval_letters()
        # Fresh again: memberships were granted since.
        users = {u.username: u for u in User.objects.filter(username__in=users)}
        for agreement_spec in AGREEMENTS:
            self.ensure_agreement(agreement_spec, users)
        self.changes += ActivityBuilder(users).ensure_all(timezone.now())
        self.changes += ServiceBuilder(users).ensure_all()
        self.changes += DonationBuilder(users).ensure_all()
        self.changes += DirectoryBuilder(users).ensure_all()
        inbox = InboxBuilder(users)
        self.changes += inbox.ensure_roles()
        self.changes += inbox.ensure_absences(timezone.localdate())
        self.changes += inbox.ensure_deadlines(timezone.now())
        for person in PEOPLE:
            self.ensure_notifications_read(users[person.username])
        # Last: anchors every event above (nothing new when nothing changed).
        self.checkpoint = audit_checkpoint_create()
        self.print_summary(users, elapsed=time.monotonic() - started)

    def ensure_pki(self) -> None:
        before = SigningIdentity.objects.count()
        pki_init()
        self.changes += SigningIdentity.objects.count() - before

    # People and parties

    @transaction.atomic
    def ensure_user(self, person: Person) -> User:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            form = SignUpForm(
                data={
                    "username": person.username,
                    "display_name": person.display_name,
                    "email": f"{person.username}@{EMAIL_DOMAIN}",
                    "preferred_language": "zh-hans",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                }
            )
            if not form.is_valid():
                raise CommandError(f"Cannot create {person.username}: {form.errors.as_text()}")
            user = accounts_services.user_sign_up(form=form)
            self.changes += 1
        if person.username == "admin" and not (user.is_superuser and user.is_staff):
            # No service grants platform-admin rights (that is `createsuperuser`'s job);
            # record it so the trail shows where the superuser came from.
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
            audit.record(
                action="user.superuser_granted",
                target=user,
                payload={"by": "manage.py demo"},
            )
            self.changes += 1
        if person.username in APPROVERS:
            group = approvers_group()
            if not user.groups.filter(pk=group.pk).exists():
                user.groups.add(group)
                audit.record(
                    action="approvers.member_added",
                    target=user,
                    payload={"group": group.name, "by": "manage.py demo"},
                )
                self.changes += 1
        if user.notification_email != person.notification_email:
            # Before any notification is written: the digest person is never emailed at once.
            user = accounts_services.user_profile_update(
                user_id=user.pk,
                actor=user,
                display_name=user.display_name,
                email=user.email,
                phone=user.phone,
                preferred_language=user.preferred_language,
                notification_email=person.notification_email,
            )
            self.changes += 1
        return user

    def ensure_community(self, fields: dict[str, str], *, actor: User) -> Community:
        community = Community.objects.filter(name=fields["name"]).first()
        if community is None:
            community = accounts_services.community_create(actor=actor, **fields)
            self.changes += 1
        return community

    def ensure_community_manager(self, community_name: str, user: User, *, actor: User) -> None:
        community = Community.objects.get(name=community_name)
        if not CommunityMembership.objects.filter(community=community, user=user).exists():
            accounts_services.community_manager_add(community=community, user=user, actor=actor)
            self.changes += 1

    # Applications, taken through the flow as the pages take them

    @transaction.atomic
    def ensure_application(self, spec: DemoApplication, users: dict[str, User]) -> None:
        if OrganizationApplication.objects.filter(credit_code=spec.credit_code).exists():
            return
        applicant, reviewer = users[spec.applicant], users[spec.reviewer]
        certificate = SimpleUploadedFile(
            "registration-certificate.pdf",
            certificate_pdf(spec.credit_code),
            content_type="application/pdf",
        )
        application = onboarding.application_create(
            applicant=applicant, certificate=certificate, **spec.fields()
        )
        self.changes += 1
        if spec.outcome == Status.DRAFT:
            return
        onboarding.application_submit(application_id=application.pk, actor=applicant)
        if spec.outcome == Status.SUBMITTED:
            return
        decision = {
            Status.CHANGES_REQUESTED: Decision.REQUEST_CHANGES,
            Status.REJECTED: Decision.REJECT,
            Status.APPROVED: Decision.APPROVE,
        }[spec.outcome]
        comment = "" if decision == Decision.APPROVE else spec.comment
        self.review(application, reviewer, decision, comment=comment)
        if spec.suspended:
            accounts_services.organization_suspend(
                organization_id=OrganizationApplication.objects.get(
                    pk=application.pk
                ).organization_id,
                actor=reviewer,
                reason=spec.comment,
            )
        if spec.members:
            organization = OrganizationApplication.objects.get(pk=application.pk).organization
            for username, role in spec.members:
                accounts_services.organization_member_add(
                    organization=organization, user=users[username], role=role, actor=applicant
                )

    @staticmethod
    def review(
        application: OrganizationApplication, reviewer: User, decision: str, *, comment: str
    ) -> None:
        """Claim the waiting review task and complete it with a decision, like the review page."""
        task = task_open_for(application)
        task_claim(task_id=task.pk, user=reviewer)
        with task_complete(task_id=task.pk, user=reviewer, flow_task=task.flow_task):
            onboarding.application_review(
                application_id=application.pk, actor=reviewer, decision=decision, comment=comment
            )

    def ensure_approval_letters(self) -> None:
        """Every organization the demo approved has its signed approval letter.

        Approval enqueues the letter on commit: eager without a broker (then it exists by
        now), queued for the worker with one. Issuing it here is idempotent either way."""
        applications = OrganizationApplication.objects.filter(
            credit_code__in=[spec.credit_code for spec in APPLICATIONS],
            organization__isnull=False,
        ).select_related("organization")
        for application in applications:
            if approval_letter_issue(application_id=application.pk):
                self.changes += 1

    # Aid agreements, taken through both flows as the pages take them

    @transaction.atomic
    def ensure_agreement(self, spec: DemoAgreement, users: dict[str, User]) -> None:
        if find_agreement(spec) is not None:
            return
        AgreementBuilder(spec, users, PASSWORD).build(timezone.localdate())
        self.changes += 1

    # Notifications

    def ensure_notifications_read(self, user: User) -> None:
        """Each person has opened all but their newest notifications, as if they had worked
        through them, so their lists hold read and unread ones. Once: someone who has read one
        is left alone."""
        notifications = accounts_selectors.notification_list_for_user(user=user)
        if notifications.filter(read_at__isnull=False).exists():
            return
        for notification in notifications[UNREAD_KEPT:]:
            accounts_services.notification_mark_read(notification_id=notification.pk, user=user)
            self.changes += 1

    # Output

    def print_summary(self, users: dict[str, User], *, elapsed: float) -> None:
        if self.changes:
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded ({self.changes} changes) in {elapsed:.1f} s.")
            )
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Demo accounts (password for all: {PASSWORD}):")
        for person in PEOPLE:
            name = users[person.username].display_name
            self.stdout.write(f"  {person.username:<11} {name:<4}  {person.role}")
        self.stdout.write("Aid agreements with 阳光社区援助中心:")
        for spec in AGREEMENTS:
            agreement = find_agreement(spec)
            self.stdout.write(
                f"  #{agreement.pk:<4} {agreement.status:<27} {spec.community}  {spec.title}"
            )
        self.stdout.write("Activities of 阳光社区援助中心:")
        for activity in Activity.objects.filter(title__in=[a.title for a in ACTIVITIES]):
            self.stdout.write(
                f"  #{activity.pk:<4} {activity.status:<19} {activity.places_taken}/"
                f"{activity.capacity:<3} {activity.title}"
            )
        self.stdout.write("People away (their delegates find their tasks under 代他人处理):")
        for absence in Absence.objects.filter(
            user__username__in=users, ends_on__gte=timezone.localdate()
        ).select_related("user", "delegate"):
            self.stdout.write(
                f"  {absence.user.username:<11} {absence.starts_on} – {absence.ends_on},"
                f" delegate {absence.delegate.username}"
            )
        notifications = Notification.objects.filter(recipient__username__in=users)
        unread = notifications.filter(read_at__isnull=True).count()
        digest = ", ".join(
            person.username for person in PEOPLE if person.notification_email == "digest"
        )
        self.stdout.write(
            f"Notifications: {unread} unread of {notifications.count()}"
            f" (daily email digest: {digest or 'nobody'})."
        )
        checkpoint = self.checkpoint
        self.stdout.write(
            f"Audit checkpoint #{checkpoint.number}: {checkpoint.event_count} events"
            " (python manage.py verify_audit checks the log against it)."
        )
        signed = Document.objects.filter(signature_records__isnull=False).distinct().count()
        self.stdout.write(
            f"Signed document versions: {signed}"
            " (python manage.py export_documents DIR writes them all)."
        )
