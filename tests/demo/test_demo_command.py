"""`manage.py demo`: one account per role, applications in every onboarding state, aid
agreements in every state with their signed documents, tasks waiting in the right inboxes, a
sound audit trail, and nothing new on a second run.

The demo renders and signs some thirty PDFs, so it runs once for this module, inside a
transaction that is rolled back at the end; each test runs inside its own savepoint on top.
"""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from accounts.jobs import notifications_daily_digest
from accounts.models import (
    Absence,
    Community,
    CommunityMembership,
    Notification,
    Organization,
    OrganizationMembership,
    OrganizationRoleGroup,
    Residency,
    User,
)
from accounts.roles import approver_leads_group, escalation_group
from audit.models import AuditCheckpoint, AuditEvent
from demo.activities import ACTIVITIES
from demo.agreements import AGREEMENTS
from demo.onboarding import PASSWORD, PEOPLE
from documents.models import Document, DocumentStage
from signing.models import CertificateRevocationList, SignatureRecord, SigningIdentity
from signing.services import (
    audit_checkpoint_signature_problem,
    root_certificate_pem,
    validate_pdf,
)
from tests.demo.conftest import run_demo
from workflows.activities.flows import ActivityFlow
from workflows.activities.models import Activity, BlockedPerson, InvitationCode, Registration
from workflows.agreements.flows import AgreementFlow, TerminationFlow
from workflows.agreements.models import (
    AgreementProcess,
    AidAgreement,
    TerminationProcess,
    TerminationRequest,
)
from workflows.announcements.models import Announcement
from workflows.children.models import ChildRecord, Visit
from workflows.donations.flows import DonationProjectFlow
from workflows.donations.models import DonationProject, Evidence
from workflows.donations.selectors.totals import project_received, project_spent
from workflows.inbox.base import task_audit_target
from workflows.inbox.models import TaskDeadline
from workflows.inbox.selectors import (
    task_list_available,
    task_list_delegated,
    task_list_mine,
    task_open_for,
    task_subject,
)
from workflows.onboarding.flows import OnboardingFlow
from workflows.onboarding.models import OnboardingProcess, OrganizationApplication
from workflows.service.flows import HonourHoursFlow
from workflows.service.models import HonourHours, ServiceRecord
from workflows.service.selectors import leaderboard_get

Status = OrganizationApplication.Status
AgreementStatus = AidAgreement.Status
FULLY_SIGNED = (
    AgreementStatus.ACTIVE,
    AgreementStatus.EXPIRED,
    AgreementStatus.TERMINATION_REQUESTED,
    AgreementStatus.TERMINATED,
)

COUNTED_MODELS = [
    User,
    User.groups.through,
    Group,
    Group.permissions.through,
    Permission,
    UserObjectPermission,
    GroupObjectPermission,
    Community,
    CommunityMembership,
    Organization,
    OrganizationMembership,
    OrganizationRoleGroup,
    OrganizationApplication,
    OnboardingProcess,
    AidAgreement,
    AgreementProcess,
    TerminationRequest,
    TerminationProcess,
    DocumentStage,
    Process,
    Task,
    Document,
    AuditCheckpoint,
    SignatureRecord,
    SigningIdentity,
    CertificateRevocationList,
    Notification,
    AuditEvent,
    Absence,
    TaskDeadline,
]

needs_pdfsig = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("certutil")),
    reason="poppler-utils and libnss3-tools are not installed (make setup installs them)",
)


@pytest.fixture
def demo_output(demo) -> str:
    return demo.output


def user(username: str) -> User:
    return User.objects.get(username=username)


def agreement(title: str) -> AidAgreement:
    return AidAgreement.objects.select_related("document").get(title=title)


def agreement_in(status: str) -> AidAgreement:
    return AidAgreement.objects.select_related("document").get(status=status)


def signers(pdf: bytes) -> list[str]:
    report = validate_pdf(pdf)
    assert report.ok, report
    return [signature.signer for signature in report.signatures]


def read(document: Document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


def snapshot() -> dict:
    """Everything a second run could add to or change."""
    return {
        "counts": {model._meta.label: model.objects.count() for model in COUNTED_MODELS},
        "last_audit_event": AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first(),
        "users": list(
            User.objects.order_by("username").values_list(
                "username",
                "password",
                "is_superuser",
                "is_staff",
                "display_name",
                "notification_email",
            )
        ),
        "notifications": list(
            Notification.objects.order_by("pk").values_list("pk", "read_at", "emailed_at")
        ),
        "applications": list(
            OrganizationApplication.objects.order_by("credit_code").values_list(
                "credit_code", "status", "certificate", "updated_at"
            )
        ),
        "agreements": list(
            AidAgreement.objects.order_by("pk").values_list(
                "pk", "title", "status", "document_id", "updated_at"
            )
        ),
        "tasks": list(
            Task.objects.order_by("pk").values_list("pk", "status", "owner_id", "created")
        ),
        "deadlines": list(
            TaskDeadline.objects.order_by("pk").values_list(
                "task_id",
                "remind_at",
                "due_at",
                "escalate_at",
                "reminded_at",
                "due_notified_at",
                "escalated_at",
                "escalated_to_id",
                "released_at",
            )
        ),
        "absences": list(
            Absence.objects.order_by("pk").values_list(
                "user_id", "delegate_id", "starts_on", "ends_on"
            )
        ),
    }


# Inboxes


def test_the_approvers_inbox_holds_the_reviews_and_the_termination_decision(demo_output):
    expected = {
        (OnboardingFlow.review, OrganizationApplication.objects.get(name="清河邻里互助会")),
        (OnboardingFlow.review, OrganizationApplication.objects.get(name="望京青年志愿者服务队")),
        (TerminationFlow.decide, TerminationRequest.objects.get(status="open")),
        (ActivityFlow.review, Activity.objects.get(title="清河社区义诊咨询")),
        (DonationProjectFlow.review, DonationProject.objects.get(title="社区图书角改造")),
    }
    for username in ("approver", "approver2"):
        tasks = list(task_list_available(user=user(username)))
        assert {(t.flow_task, task_subject(t)) for t in tasks} == expected
        assert {(t.owner_id, t.status) for t in tasks} == {(None, STATUS.NEW)}


def test_the_sign_and_countersign_tasks_wait_for_the_parties_and_nobody_else(demo_output):
    pending_org = agreement_in(AgreementStatus.PENDING_ORG_SIGNATURE)
    pending_community = agreement_in(AgreementStatus.PENDING_COMMUNITY_SIGNATURE)
    [sign] = task_list_available(user=user("orgsigner"))
    assert (sign.flow_task, task_subject(sign), sign.owner_id) == (
        AgreementFlow.sign,
        pending_org,
        None,
    )
    [countersign] = task_list_available(user=user("manager"))
    assert (countersign.flow_task, task_subject(countersign), countersign.owner_id) == (
        AgreementFlow.countersign,
        pending_community,
        None,
    )
    for username in ("applicant", "applicant2", "manager2", "orgstaff", "resident"):
        assert list(task_list_available(user=user(username))) == []
    # The organization's administrator has its own review waiting: honour hours.
    [review] = task_list_available(user=user("orgadmin"))
    assert review.flow_task == HonourHoursFlow.review


def deadline_of(subject) -> TaskDeadline:
    return TaskDeadline.objects.select_related("task").get(task=task_open_for(subject))


def test_the_inbox_holds_tasks_due_soon_overdue_and_escalated_by_the_ladder(demo):
    now = timezone.now()
    escalated = OrganizationApplication.objects.get(name="清河邻里互助会")
    overdue = OrganizationApplication.objects.get(name="望京青年志愿者服务队")
    due_soon = TerminationRequest.objects.get(status="open")
    unsigned = agreement_in(AgreementStatus.PENDING_ORG_SIGNATURE)

    row = deadline_of(escalated)
    assert row.escalate_at <= now
    assert (row.escalated_to, row.released_at, row.task.owner_id) == (
        escalation_group(),
        None,
        None,
    )
    for subject in (overdue, unsigned):
        row = deadline_of(subject)
        assert row.due_at <= now < row.escalate_at
        assert (row.due_notified_at is not None, row.escalated_at) == (True, None)
    row = deadline_of(due_soon)
    assert row.remind_at <= now < row.due_at
    assert (row.reminded_at is not None, row.due_notified_at) == (True, None)
    assert (
        deadline_of(agreement_in(AgreementStatus.PENDING_COMMUNITY_SIGNATURE)).reminded_at is None
    )

    # Each step once, with its audit event (the job's own: no actor) and its notices.
    def steps(action, subject):
        target = task_audit_target(task_open_for(subject))
        return AuditEvent.objects.filter(
            action=action,
            target_type=ContentType.objects.get_for_model(target),
            target_id=str(target.pk),
            actor=None,
        )

    assert steps("task.escalated", escalated).count() == 1
    assert [steps("task.due", s).count() for s in (escalated, overdue, unsigned)] == [1, 1, 1]
    assert steps("task.reminded", due_soon).count() == 1
    assert steps("task.due", due_soon).count() == 0
    supervisor, lead = user("supervisor"), user("approver")
    assert lead.groups.filter(pk=approver_leads_group().pk).exists()
    assert supervisor.notifications.filter(subject__startswith="升级给您").count() == 1
    assert lead.notifications.filter(subject__startswith="任务到期").count() == 3
    # The escalation group takes the review nobody claimed.
    assert [task_subject(t) for t in task_list_available(user=supervisor)] == [escalated]


def test_approver2_is_away_and_approver_stands_in_for_them(demo):
    [absence] = Absence.objects.filter(user__username="approver2")
    assert absence.delegate.username == "approver"
    assert absence.starts_on < demo.today < absence.ends_on
    tasks = list(task_list_delegated(user=user("approver")))
    assert {t.for_user_id for t in tasks} == {user("approver2").pk}
    # Two reviews of applications, one of an activity, one of a donation project, one decision.
    assert len(tasks) == 5
    assert all(
        t.flow_task.can_assign(user("approver"), t, on_behalf_of=absence.user) for t in tasks
    )


def test_the_absent_signers_delegate_sees_the_signature_but_cannot_take_it_for_them(demo):
    [absence] = Absence.objects.filter(user__username="orgsigner")
    assert absence.delegate.username == "orgsigner2"
    assert absence.starts_on < demo.today < absence.ends_on
    delegate = user("orgsigner2")
    [sign] = task_list_delegated(user=delegate)
    assert (sign.flow_task, sign.for_user_id) == (AgreementFlow.sign, absence.user_id)
    assert sign.flow_task.personal
    assert not sign.flow_task.can_assign(delegate, sign, on_behalf_of=absence.user)


def test_the_revise_task_waits_in_its_applicants_inbox(demo_output):
    application = OrganizationApplication.objects.get(status=Status.CHANGES_REQUESTED)
    [task] = task_list_mine(user=application.applicant)
    assert (task.flow_task, task_subject(task)) == (OnboardingFlow.revise, application)
    assert application.review_comment


# Onboarding


def test_applications_are_left_in_every_onboarding_state(demo_output):
    states = dict(OrganizationApplication.objects.values_list("name", "status").order_by("name"))
    assert states == {
        "阳光社区援助中心": Status.APPROVED,
        "清河邻里互助会": Status.SUBMITTED,
        "望京青年志愿者服务队": Status.SUBMITTED,
        "海淀春苗助学基金会": Status.CHANGES_REQUESTED,
        "朝阳快乐老年服务中心": Status.REJECTED,
        "回龙观读书会": Status.DRAFT,
        "东风助老服务社": Status.APPROVED,
    }
    applicants = dict(OrganizationApplication.objects.values_list("name", "applicant__username"))
    assert applicants["清河邻里互助会"] == "applicant"
    assert applicants["望京青年志愿者服务队"] == "applicant2"
    assert applicants["回龙观读书会"] == "resident"


def test_the_demo_organization_was_onboarded_by_an_approver_with_its_members(demo_output):
    application = OrganizationApplication.objects.get(name="阳光社区援助中心")
    assert application.reviewed_by == user("approver")
    organization = application.organization
    assert organization.status == Organization.Status.ACTIVE
    members = set(organization.memberships.values_list("user__username", "role"))
    assert members == {
        ("orgadmin", "admin"),
        ("orgsigner", "signer"),
        ("orgstaff", "staff"),
        ("orgsigner2", "signer"),
    }
    assert user("orgadmin").has_perm("accounts.manage_organization_members", organization)
    assert user("orgsigner").has_perm("accounts.sign_for_organization", organization)
    assert not user("orgstaff").has_perm("accounts.sign_for_organization", organization)
    # Approved through the flow: the review task was claimed and completed by the approver.
    [review] = Task.objects.filter(
        process__onboardingprocess__application=application, flow_task=OnboardingFlow.review
    )
    events = AuditEvent.objects.filter(payload__task_id=review.pk).order_by("pk")
    assert list(events.values_list("action", "actor__username")) == [
        ("task.created", None),
        ("task.assigned", "approver"),
        ("task.completed", "approver"),
    ]


def test_the_suspended_organization_is_suspended(demo_output):
    application = OrganizationApplication.objects.get(name="东风助老服务社")
    assert application.organization.status == Organization.Status.SUSPENDED
    assert AuditEvent.objects.filter(
        action="organization.suspended",
        target_type=ContentType.objects.get_for_model(Organization),
        target_id=str(application.organization_id),
    ).exists()


def test_every_approved_organization_has_its_platform_signed_approval_letter(demo_output):
    letters = Document.objects.filter(kind="approval_letter")
    organizations = Organization.objects.filter(application__isnull=False)
    assert {letter.owner for letter in letters} == set(organizations)
    assert {o.name for o in organizations} == {"阳光社区援助中心", "东风助老服务社"}
    for organization in organizations:
        latest = letters.filter(owner_id=str(organization.pk)).order_by("-version").first()
        assert signers(read(latest)) == ["Accord Platform"]


# Aid agreements


def test_agreements_are_left_in_every_state_with_realistic_content(demo_output):
    states = dict(AidAgreement.objects.values_list("status", "title"))
    assert set(states) == set(AgreementStatus.values)
    assert AidAgreement.objects.count() == len(AgreementStatus.values) == len(AGREEMENTS)
    for spec in AGREEMENTS:
        made = agreement(spec.title)
        assert (made.community.name, made.organization.name, made.status) == (
            spec.community,
            "阳光社区援助中心",
            spec.outcome,
        )
        assert made.initiator.username == spec.manager
        assert made.amount is not None
        assert len(made.scope.splitlines()) >= 2
        assert len(made.terms.splitlines()) >= 8


def test_sent_agreements_are_two_page_chinese_pdfs_plus_the_signature_page(demo_output):
    for made in AidAgreement.objects.exclude(status=AgreementStatus.DRAFT):
        first = Document.objects.get(kind="agreement", owner_id=str(made.pk), version=1)
        assert (first.language, first.page_count) == ("zh-hans", 3)
    assert agreement_in(AgreementStatus.DRAFT).document is None


def test_fully_signed_agreements_carry_the_organizations_and_the_communitys_signatures(
    demo_output,
):
    for status in FULLY_SIGNED:
        made = agreement_in(status)
        manager = {"清河社区": "manager", "望京社区": "manager2"}[made.community.name]
        assert (made.org_signed_by.username, made.community_signed_by.username) == (
            "orgsigner",
            manager,
        )
        assert made.document.version == 3
        assert signers(read(made.document)) == ["阳光社区援助中心", made.community.name]


def test_the_organization_signed_but_the_community_has_not_yet(demo_output):
    made = agreement_in(AgreementStatus.PENDING_COMMUNITY_SIGNATURE)
    assert (made.org_signed_by.username, made.community_signed_by) == ("orgsigner", None)
    assert made.document.version == 2
    assert signers(read(made.document)) == ["阳光社区援助中心"]


def test_the_declined_and_the_withdrawn_agreements_were_never_signed(demo_output):
    declined = agreement_in(AgreementStatus.DECLINED)
    withdrawn = agreement_in(AgreementStatus.WITHDRAWN)
    assert "心理咨询资质" in declined.decline_reason
    for made in (declined, withdrawn):
        assert (made.org_signed_by, made.document.version, made.ended_at is not None) == (
            None,
            1,
            True,
        )
        assert not Task.objects.filter(
            process__agreementprocess__agreement=made, status__in=[STATUS.NEW, STATUS.ASSIGNED]
        ).exists()
    assert AuditEvent.objects.filter(
        action="agreement.withdrawn", target_id=str(withdrawn.pk), actor__username="manager2"
    ).exists()


def test_the_expired_agreement_was_expired_by_the_schedule_after_its_end_date(demo_output):
    made = agreement_in(AgreementStatus.EXPIRED)
    [event] = AuditEvent.objects.filter(action="agreement.expired", target_id=str(made.pk))
    assert (event.actor, event.from_state, event.to_state) == (None, "active", "expired")
    assert made.end_date > made.effective_date


def test_the_open_termination_request_waits_for_a_decision(demo):
    made = agreement_in(AgreementStatus.TERMINATION_REQUESTED)
    [request] = made.termination_requests.all()
    assert (request.status, request.requested_by.username, request.decided_by) == (
        TerminationRequest.Status.OPEN,
        "orgadmin",
        None,
    )
    assert request.effective_date == demo.today + datetime.timedelta(days=30)
    assert request.notice is None


def test_the_terminated_agreement_was_approved_by_approver2_with_a_signed_notice(demo):
    made = agreement_in(AgreementStatus.TERMINATED)
    [request] = made.termination_requests.select_related("notice", "decided_by")
    assert (request.status, request.decided_by.username, request.effective_date) == (
        TerminationRequest.Status.APPROVED,
        "approver2",
        demo.today,
    )
    assert request.notice.kind == "termination_notice"
    assert signers(read(request.notice)) == ["Accord Platform"]
    decision = Task.objects.get(
        process__terminationprocess__termination_request=request, flow_task=TerminationFlow.decide
    )
    assert (decision.status, decision.owner.username) == (STATUS.DONE, "approver2")


def test_each_agreement_that_became_active_has_its_sealed_evidence_summaries(demo_output):
    stages = {
        (AidAgreement.objects.get(pk=e.owner_id).status, e.stage.split(":", 1)[1])
        for e in DocumentStage.objects.filter(
            stage__startswith="agreement_evidence:"
        ).select_related("document")
        if signers(read(e.document)) == ["Accord Platform"]
    }
    assert stages == {
        ("active", "active"),
        ("termination_requested", "active"),
        ("expired", "active"),
        ("expired", "ended"),
        ("terminated", "active"),
        ("terminated", "ended"),
    }


# Exported documents, checked by pyHanko and by an independent validator


@pytest.fixture
def exported(demo_output, tmp_path) -> Path:
    directory = tmp_path / "export"
    call_command("export_documents", str(directory), stdout=StringIO())
    return directory


def expected_signed_files() -> dict[str, int]:
    """File name → number of signatures, for the agreements' final versions and the notice."""
    files = {f"agreement-{agreement_in(s).pk}-v3.pdf": 2 for s in FULLY_SIGNED}
    terminated = agreement_in(AgreementStatus.TERMINATED)
    files[f"termination_notice-{terminated.pk}-v1.pdf"] = 1
    return files


def test_exported_agreements_carry_two_valid_signatures_and_the_notice_one(exported):
    expected = expected_signed_files()
    assert {p.name for p in exported.glob("agreement-*-v3.pdf")} | {
        p.name for p in exported.glob("termination_notice-*-v1.pdf")
    } == set(expected)
    for name, count in expected.items():
        report = validate_pdf((exported / name).read_bytes())
        assert report.ok, name
        assert len(report.signatures) == count, name
        assert all(signature.ok for signature in report.signatures), name


@pytest.fixture
def nss_db(demo_output, tmp_path) -> Path:
    """An NSS database that trusts the demo's root CA, as tests/signing/test_pdfsig.py does."""
    directory = tmp_path / "nss"
    directory.mkdir()
    root = tmp_path / "root.pem"
    root.write_text(root_certificate_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    trust = ["certutil", "-A", "-n", "accord-root", "-t", "CT,C,C", "-i", str(root)]
    subprocess.run([*trust, "-d", f"sql:{directory}"], check=True)
    return directory


def pdfsig(nss_db: Path, path: Path) -> str:
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss_db}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


@needs_pdfsig
def test_pdfsig_accepts_the_exported_agreements_notice_and_letters(exported, nss_db):
    expected = expected_signed_files()
    for letter in exported.glob("approval_letter-*-v1.pdf"):
        expected[letter.name] = 1
    assert len(expected) == 7
    for name, count in expected.items():
        output = pdfsig(nss_db, exported / name)
        assert output.count("Signature is Valid") == count, output
        assert output.count("Certificate is Trusted") == count, output
        assert f"Signature #{count + 1}" not in output


# What the code printed on each signed PDF leads to


CODE_PRINTED = re.compile(r"(?:Verification code|验证码)\s*[:：]\s*([A-Z0-9]{12})")


def signed_versions() -> list[Document]:
    return list(Document.objects.filter(signature_records__isnull=False).distinct().order_by("pk"))


def printed_codes(pdf: bytes) -> set[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return set(CODE_PRINTED.findall(text))


def test_the_code_printed_in_every_signed_pdf_lists_all_its_signatures_as_valid(
    demo_output, client
):
    documents = signed_versions()
    kinds = {document.kind for document in documents}
    assert {"agreement", "approval_letter", "termination_notice", "agreement_evidence"} <= kinds
    for document in documents:
        pdf = read(document)
        fields = {signature.field_name for signature in validate_pdf(pdf).signatures}
        [code] = printed_codes(pdf)

        page = client.get(f"/verify/{code}/")
        data = client.get(f"/verify/{code}/", HTTP_ACCEPT="application/json").json()

        assert page.status_code == 200, document
        assert "This PDF carries no signature." not in page.content.decode(), document
        assert page.context["report"].ok, document
        assert fields <= {row.report.field_name for row in page.context["rows"]}, document
        assert data["ok"] is True, document
        assert data["kind"] == document.kind
        assert fields <= {signature["field"] for signature in data["signatures"]}, document
        assert all(
            signature["valid"] and signature["trusted"] and signature["intact"]
            for signature in data["signatures"]
        ), document
        assert document.sha256 in {version["sha256"] for version in data["versions"]}


@needs_pdfsig
def test_pdfsig_accepts_every_signature_of_every_signed_pdf(demo_output, nss_db, tmp_path):
    for document in signed_versions():
        path = tmp_path / document.file_name
        path.write_bytes(read(document))
        count = len(validate_pdf(read(document)).signatures)

        output = pdfsig(nss_db, path)

        assert output.count("Signature is Valid") == count, output
        assert output.count("Certificate is Trusted") == count, output


# Accounts, summary, idempotency, audit


def test_one_account_per_role_with_the_documented_password(demo_output):
    assert user("admin").is_superuser
    assert user("admin").is_staff
    assert [u.username for u in User.objects.filter(groups__name="approvers")] == [
        "approver",
        "approver2",
    ]
    assert user("approver").groups.filter(name="approvers").exists()
    assert not user("applicant").groups.filter(name="approvers").exists()
    assert set(CommunityMembership.objects.values_list("community__name", "user__username")) == {
        ("清河社区", "manager"),
        ("望京社区", "manager2"),
    }
    for name, username in (("清河社区", "manager"), ("望京社区", "manager2")):
        assert user(username).has_perm(
            "accounts.manage_community", Community.objects.get(name=name)
        )
    assert not user("manager").has_perm(
        "accounts.manage_community", Community.objects.get(name="望京社区")
    )
    assert set(Community.objects.values_list("name", flat=True)) == {"清河社区", "望京社区"}
    demo_users = User.objects.filter(username__in=[p.username for p in PEOPLE])
    assert demo_users.count() == len(PEOPLE)
    assert all(u.check_password(PASSWORD) for u in demo_users)
    assert {u.preferred_language for u in demo_users} == {"zh-hans"}
    assert all(u.display_name and not u.display_name.isascii() for u in demo_users)


def test_every_submitted_certificate_is_a_pdf_and_every_code_is_valid(demo_output):
    from accounts.validators import validate_credit_code

    for application in OrganizationApplication.objects.all():
        with application.certificate.open("rb") as stored:
            assert stored.read(5) == b"%PDF-"
        assert application.certificate_content_type == "application/pdf"
        validate_credit_code(application.credit_code)


def test_the_summary_names_every_account_the_password_and_every_agreement(demo_output):
    assert "Demo data loaded" in demo_output
    assert PASSWORD in demo_output
    for person in PEOPLE:
        assert person.username in demo_output
    for spec in AGREEMENTS:
        assert f"{spec.outcome:<27} {spec.community}  {spec.title}" in demo_output
    for absence in Absence.objects.select_related("user", "delegate"):
        assert (
            f"  {absence.user.username:<11} {absence.starts_on} – {absence.ends_on},"
            f" delegate {absence.delegate.username}"
        ) in demo_output


def test_a_second_run_changes_nothing_and_writes_no_audit_event(demo_output):
    before = snapshot()
    output = run_demo()
    assert snapshot() == before
    assert "nothing changed" in output
    assert before["counts"]["audit.AuditEvent"] > 0
    assert before["counts"]["documents.Document"] > 0


def test_the_demo_ends_with_a_signed_checkpoint_of_every_event(demo_output):
    newest = AuditCheckpoint.objects.order_by("-number").first()

    assert newest.event_count == AuditEvent.objects.count()
    assert newest.head_hash == AuditEvent.objects.order_by("-pk").first().hash
    assert audit_checkpoint_signature_problem(newest) == ""
    assert f"Audit checkpoint #{newest.number}: {newest.event_count} events" in demo_output


def test_the_audit_chain_verifies_after_the_demo(demo_output):
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert f"Audit chain intact: {AuditEvent.objects.count()} events verified." in out.getvalue()
    # The trail is the real one: every decision was recorded by the services.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "auth.signed_up",
        "community.created",
        "community.manager_added",
        "application.submitted",
        "application.changes_requested",
        "application.rejected",
        "application.approved",
        "organization.suspended",
        "organization.member_added",
        "task.created",
        "task.assigned",
        "task.completed",
        "pki.identity_issued",
        "document.generated",
        "document.signed",
        "agreement.created",
        "agreement.sent",
        "agreement.signed",
        "agreement.countersigned",
        "agreement.declined",
        "agreement.withdrawn",
        "agreement.expired",
        "agreement.termination_requested",
        "termination.approved",
        "agreement.terminated",
    } <= actions


# Notifications


def test_people_have_read_and_unread_notifications_each_leading_to_its_object(demo_output):
    for username in ("manager", "orgadmin", "orgsigner"):
        notifications = user(username).notifications
        assert notifications.filter(read_at__isnull=True).count() == 2
        assert notifications.filter(read_at__isnull=False).exists()
    # The newest stay unread.
    orgadmin = user("orgadmin").notifications.all()
    assert [n.read_at is None for n in orgadmin[:3]] == [True, True, False]
    assert Notification.objects.exists()
    assert not Notification.objects.filter(url="").exists()
    unread = Notification.objects.filter(read_at__isnull=True).count()
    total = Notification.objects.count()
    assert f"Notifications: {unread} unread of {total} (daily email digest: manager2)." in (
        demo_output
    )


def test_the_digest_person_was_not_emailed_and_gets_one_chinese_digest_once(
    demo_output, mailoutbox
):
    manager2 = user("manager2")
    assert manager2.notification_email == User.NotificationEmail.DIGEST
    pending = manager2.notifications.filter(emailed_at__isnull=True)
    assert pending.count() == manager2.notifications.count() > 0

    assert notifications_daily_digest() == 1

    (digest,) = mailoutbox
    assert digest.to == [manager2.email]
    assert f"{manager2.notifications.count()} 条新通知" in digest.subject
    assert not pending.exists()
    assert notifications_daily_digest() == 0
    assert len(mailoutbox) == 1


# Activities


def test_activities_are_left_in_every_state_with_registrations_in_every_state(demo_output):
    activities = {
        a.title: a for a in Activity.objects.filter(title__in=[s.title for s in ACTIVITIES])
    }
    assert {spec.title: activities[spec.title].status for spec in ACTIVITIES} == {
        spec.title: spec.outcome for spec in ACTIVITIES
    }
    assert set(Registration.objects.values_list("status", flat=True)) == set(
        Registration.Status.values
    )
    full = activities["望京社区老人智能手机课堂"]
    assert full.places_taken == full.capacity == 2
    assert full.registrations.filter(status="waitlisted").count() == 1
    # The places counter agrees with the registrations that hold a place.
    for activity in activities.values():
        held = activity.registrations.filter(status__in=Registration.HOLDS_PLACE).count()
        assert activity.places_taken == held, activity.title


def test_anyone_sees_the_published_demo_activities_and_not_the_others(demo_output, client):
    page = client.get("/activities/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "清河社区周末课后辅导" in text
    assert "清河社区义诊咨询" not in text
    submitted = Activity.objects.get(title="清河社区义诊咨询")
    assert client.get(f"/activities/{submitted.pk}/").status_code == 404
    for activity in Activity.objects.filter(status="published"):
        assert client.get(f"/activities/{activity.pk}/").status_code == 200


def test_the_blocked_resident_and_the_invitation_code_are_there(demo_output):
    blocked = BlockedPerson.objects.get(person__username="volunteer4")
    assert blocked.organization.name == "阳光社区援助中心"
    assert blocked.until > timezone.localdate()
    assert InvitationCode.objects.get(code="QINGHE-GUEST").uses_allowed == 5


# Volunteer service


def test_the_completed_activity_left_records_certificates_and_one_correction(demo_output):
    records = ServiceRecord.objects.filter(activity__title="望京社区重阳节敬老活动")
    current = records.filter(superseded_by__isnull=True)
    assert sorted(current.values_list("person__username", flat=True)) == [
        "volunteer1",
        "volunteer3",
    ]
    assert not current.filter(certificate__isnull=True).exists()
    corrected = records.get(superseded_by__isnull=False)
    assert corrected.superseded_by.hours == Decimal("2.50")
    assert corrected.verification_status_label() == "Superseded by a correction"


@needs_pdfsig
def test_pdfsig_trusts_the_exported_service_certificates(exported, nss_db):
    certificates = sorted(exported.glob("service_certificate-*.pdf"))
    # The activity's two current and one superseded, and the approved honour hours' one.
    assert len(certificates) == 4
    for path in certificates:
        output = pdfsig(nss_db, path)
        assert output.count("Signature is Valid") == 1, output
        assert output.count("Certificate is Trusted") == 1, output
        assert validate_pdf(path.read_bytes()).ok, path.name


def test_honour_hours_wait_for_review_and_approved_ones_count_apart(demo_output):
    pending = HonourHours.objects.get(person__username="volunteer2")
    assert pending.status == HonourHours.Status.SUBMITTED
    task = Task.objects.get(process__honourhoursprocess__honour_hours=pending, status=STATUS.NEW)
    assert task.flow_task == HonourHoursFlow.review
    approved = HonourHours.objects.get(person__username="volunteer1")
    assert approved.status == HonourHours.Status.APPROVED
    assert approved.reviewed_by.username == "orgadmin"
    record = ServiceRecord.objects.get(honour_entry=approved)
    assert (record.kind, record.hours, record.certificate_id is not None) == (
        "honour",
        Decimal("3.50"),
        True,
    )


def test_the_leaderboard_shows_only_the_residents_who_opted_in(demo_output):
    assert sorted(
        User.objects.filter(leaderboard_opt_in=True).values_list("username", flat=True)
    ) == ["volunteer1", "volunteer3"]
    board = leaderboard_get(
        period="all", community_id=None, viewer=User.objects.get(username="volunteer2")
    )
    assert [row.name for row in board.rows] == ["林小燕", "何静"]
    assert [row.hours for row in board.rows] == [Decimal("3.00"), Decimal("2.50")]


def test_the_default_monthly_board_has_the_completed_activitys_volunteers(demo_output):
    """The leaderboard opens on "this month": the completed activity was yesterday, so its
    volunteers are on that board on any day but the first of a month (on the first, the
    day before it: hence the date the board is asked for)."""
    served = ServiceRecord.objects.filter(activity__title="望京社区重阳节敬老活动")
    (day,) = set(served.values_list("served_on", flat=True))
    assert timezone.localdate() - day <= datetime.timedelta(days=2)
    board = leaderboard_get(
        period="month",
        community_id=None,
        viewer=User.objects.get(username="volunteer2"),
        today=day,
    )
    assert [row.name for row in board.rows] == ["林小燕", "何静"]


# Donation projects


def test_the_donation_projects_are_open_closed_and_waiting_for_review(demo_output):
    projects = dict(DonationProject.objects.values_list("title", "status"))
    assert projects == {
        "清河社区冬季助学捐赠": "open",
        "望京社区助老餐桌": "closed",
        "社区图书角改造": "submitted",
    }
    open_project = DonationProject.objects.get(title="清河社区冬季助学捐赠")
    donations = open_project.donations.all()
    assert donations.filter(anonymous=True, status="confirmed").count() == 1
    assert donations.filter(channel="in_kind", status="confirmed").count() == 1
    voided = donations.get(status="void")
    assert voided.void_reason
    assert voided.receipt_id is not None
    assert donations.get(status="pledged").pledged_by.username == "volunteer1"
    reports = dict(open_project.reports.values_list("title", "status"))
    assert sorted(reports.values()) == ["changes_requested", "published"]
    published = open_project.reports.get(status="published")
    assert Evidence.objects.filter(expenditure__report=published).count() == 2
    closed = DonationProject.objects.get(title="望京社区助老餐桌")
    assert project_received(project_id=closed.pk) == project_spent(project_id=closed.pk)
    assert Task.objects.filter(
        process__donationprojectprocess__project__title="社区图书角改造",
        flow_task=DonationProjectFlow.review,
        status=STATUS.NEW,
    ).exists()


def test_anyone_reads_the_public_list_and_project_pages_with_raised_and_spent(demo_output):
    client = Client()
    listing = client.get(reverse("donations:public_list"))
    assert listing.status_code == 200
    html = listing.content.decode()
    links = sorted(set(re.findall(r'href="(/donations/\d+/)"', html)))
    assert len(links) >= 2
    for link in links:
        page = client.get(link)
        assert page.status_code == 200, link
        project = DonationProject.objects.get(pk=int(link.strip("/").split("/")[-1]))
        text = page.content.decode()
        for amount in (
            project_received(project_id=project.pk),
            project_spent(project_id=project.pk),
        ):
            assert f"{amount:,.2f}" in text, (link, amount)


@needs_pdfsig
def test_pdfsig_trusts_the_exported_receipts_and_usage_reports(exported, nss_db):
    receipts = sorted(exported.glob("donation_receipt-*.pdf"))
    reports = sorted(exported.glob("usage_report-*.pdf"))
    assert len(receipts) == 6  # five received and the voided one
    assert len(reports) == 2
    for path in [*receipts, *reports]:
        output = pdfsig(nss_db, path)
        assert output.count("Signature is Valid") == 1, output
        assert output.count("Certificate is Trusted") == 1, output
        assert validate_pdf(path.read_bytes()).ok, path.name


# Communities, the directory, children's records, announcements


def test_the_communities_residents_profile_children_and_announcements_are_there(demo_output):
    qinghe = Community.objects.get(name="清河社区")
    assert qinghe.description
    residencies = {
        r.user.username: (r.community.name, r.status)
        for r in Residency.objects.select_related("user", "community")
    }
    assert residencies == {
        "resident": ("清河社区", "confirmed"),
        "volunteer1": ("清河社区", "confirmed"),
        "volunteer2": ("望京社区", "pending"),
    }
    assert Organization.objects.get(name="阳光社区援助中心").communities_served.count() == 2
    records = ChildRecord.objects.filter(organization__name="阳光社区援助中心")
    assert records.count() == 2
    assert records.filter(guardian_user__username="resident").count() == 1
    assert Visit.objects.filter(child__in=records).count() == 3
    states = sorted(Announcement.objects.values_list("status", "audience"))
    assert ("draft", "everyone") in states
    assert ("archived", "everyone") in states
    assert {"everyone", "community", "organizations"} <= {a for s, a in states if s == "published"}


def test_anonymous_visitors_read_the_public_pages_and_never_a_childs_name(demo_output):
    client = Client()
    for url, text in (
        ("/communities/", "清河社区"),
        ("/organizations/", "阳光社区援助中心"),
        ("/announcements/", "欢迎使用 Accord 社区互助平台"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    names = list(ChildRecord.objects.values_list("name", flat=True))
    # Every page an anonymous visitor reaches by following links from the public pages.
    seen, queue = set(), ["/", "/start/", "/communities/", "/organizations/", "/announcements/"]
    queue += ["/activities/", "/donations/"]
    while queue and len(seen) < 300:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for name in names:
            assert name not in html, url
        for link in re.findall(r'href="(/[^"#?]*)"', html):
            if not link.startswith(("/static/", "/accounts/", "/i18n/", "/admin/")):
                queue.append(link)
    assert len(seen) > 20


# The role matrix of seed 003 (table 1), cell by cell, through HTTP on the demo's data: each
# role (a resident, an organization member, an administrator) is allowed what its cell says and
# refused the rest. A refusal is a 403 or a 404, or, for the inbox, the task not offered.

RESIDENT, ORG_MEMBER, ADMIN = "resident", "orgstaff", "admin"


def _get(username: str, url: str) -> int:
    client = Client()
    client.force_login(user(username))
    return client.get(url).status_code


def _urls() -> dict[str, str]:
    qinghe = Community.objects.get(name="清河社区")
    ward = ChildRecord.objects.get(guardian_user__username="resident")
    other_child = ChildRecord.objects.exclude(pk=ward.pk).get(organization=ward.organization)
    agreement = AidAgreement.objects.filter(community=qinghe, status="active").first()
    return {
        "profile": reverse("accounts:profile"),
        "community": f"/communities/{qinghe.pk}/",
        "organizations": "/organizations/",
        "ward": f"/children/{ward.pk}/",
        "ward_edit": f"/children/{ward.pk}/edit/",
        "other_child": f"/children/{other_child.pk}/",
        "activity_new": "/activities/new/",
        "agreement": f"/agreements/{agreement.pk}/",
        "announcements": "/announcements/",
        "announcement_new": "/announcements/manage/new/",
    }


ALLOWED, REFUSED = True, False
MATRIX = {
    # function: {role: [(url key, allowed)]}
    "register, log in, keep own information": {
        RESIDENT: [("profile", ALLOWED)],
        ORG_MEMBER: [("profile", ALLOWED)],
        ADMIN: [("profile", ALLOWED)],
    },
    "read community information": {
        RESIDENT: [("community", ALLOWED)],
        ORG_MEMBER: [("community", ALLOWED)],
        ADMIN: [("community", ALLOWED)],
    },
    "look up aid organizations": {
        RESIDENT: [("organizations", ALLOWED)],
        ORG_MEMBER: [("organizations", ALLOWED)],
        ADMIN: [("organizations", ALLOWED)],
    },
    "children's records": {
        # view only: their own ward's record, no editing, no other child
        RESIDENT: [("ward", ALLOWED), ("ward_edit", REFUSED), ("other_child", REFUSED)],
        # edit their own organization's records
        ORG_MEMBER: [("ward", ALLOWED), ("ward_edit", ALLOWED), ("other_child", ALLOWED)],
        # full management
        ADMIN: [("ward", ALLOWED), ("ward_edit", ALLOWED), ("other_child", ALLOWED)],
    },
    "activities: publish / manage": {
        RESIDENT: [("activity_new", REFUSED)],
        ORG_MEMBER: [("activity_new", ALLOWED)],
    },
    "aid agreements": {
        # view (their community's); requesting a termination is refused (POST, below)
        RESIDENT: [("agreement", ALLOWED)],
        ORG_MEMBER: [("agreement", ALLOWED)],
        ADMIN: [("agreement", ALLOWED)],
    },
    "announcements": {
        RESIDENT: [("announcements", ALLOWED), ("announcement_new", REFUSED)],
        ORG_MEMBER: [("announcements", ALLOWED), ("announcement_new", REFUSED)],
        ADMIN: [("announcements", ALLOWED), ("announcement_new", ALLOWED)],
    },
}
CELLS = [
    (function, role, key, allowed)
    for function, roles in MATRIX.items()
    for role, checks in roles.items()
    for key, allowed in checks
]


@pytest.mark.parametrize(("function", "role", "key", "allowed"), CELLS)
def test_the_role_matrix_page_by_page(demo, function, role, key, allowed):
    status = _get(role, _urls()[key])
    if allowed:
        assert status == 200, (function, role, key, status)
    else:
        assert status in (403, 404), (function, role, key, status)


def test_the_role_matrix_activities_register_and_review(demo):
    """A resident registers for an activity; only the administrator's side (the approvers)
    is offered the review of the one waiting; an organization member publishes (above)."""
    # `resident` already holds places at the open ones: another resident registers.
    person = "volunteer2"
    published = Activity.objects.filter(status="published").exclude(
        registrations__person__username=person
    )
    activity = next(a for a in published if a.places_left > 0 and not a.needs_review)
    client = Client()
    client.force_login(user(person))
    response = client.post(reverse("activities:register", args=[activity.pk]), {})
    assert response.status_code == 302
    assert activity.registrations.filter(person__username=person).exists()
    waiting = Activity.objects.get(title="清河社区义诊咨询")
    for username, offered in ((RESIDENT, False), (ORG_MEMBER, False), ("approver", True)):
        tasks = task_list_available(user=user(username))
        assert any(task_subject(t) == waiting for t in tasks) is offered, username


def test_the_role_matrix_agreements_sign_and_terminate(demo):
    """The organization signs (its signer) and requests termination (its admin); a resident
    cannot; an administrator manages them all (the approvers decide terminations)."""
    active = AidAgreement.objects.filter(status="active", organization__name="阳光社区援助中心")
    agreement = active.first()
    url = reverse("agreements:request_termination", args=[agreement.pk])
    assert _get("orgadmin", f"/agreements/{agreement.pk}/") == 200
    resident = Client()
    resident.force_login(user(RESIDENT))
    assert resident.post(url, {"reason": "x"}).status_code in (403, 404)
    [sign] = task_list_available(user=user("orgsigner"))
    assert sign.flow_task == AgreementFlow.sign
    assert not [
        t for t in task_list_available(user=user(RESIDENT)) if t.flow_task == AgreementFlow.sign
    ]
    assert _get(ADMIN, "/agreements/") == 200
