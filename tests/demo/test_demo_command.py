"""`manage.py demo`: one account per role, applications in every onboarding state, review
tasks waiting in the approvers' inbox, a sound audit trail, and nothing new on a second run."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from guardian.models import GroupObjectPermission, UserObjectPermission
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from accounts.models import (
    Community,
    CommunityMembership,
    Notification,
    Organization,
    OrganizationMembership,
    OrganizationRoleGroup,
    User,
)
from audit.models import AuditEvent
from demo.management.commands.demo import PASSWORD, PEOPLE
from workflows.inbox.selectors import task_list_available, task_list_mine, task_subject
from workflows.onboarding.flows import OnboardingFlow
from workflows.onboarding.models import OnboardingProcess, OrganizationApplication

Status = OrganizationApplication.Status

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
    Process,
    Task,
    Notification,
    AuditEvent,
]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is slow on purpose; eleven demo accounts per test would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output(db) -> str:
    return run_demo()


def user(username: str) -> User:
    return User.objects.get(username=username)


def snapshot() -> dict:
    """Everything a second run could add to or change."""
    return {
        "counts": {model._meta.label: model.objects.count() for model in COUNTED_MODELS},
        "last_audit_event": AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first(),
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "password", "is_superuser", "is_staff", "display_name"
            )
        ),
        "applications": list(
            OrganizationApplication.objects.order_by("credit_code").values_list(
                "credit_code", "status", "certificate", "updated_at"
            )
        ),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
    }


def test_both_waiting_reviews_are_available_to_every_approver(demo_output):
    for username in ("approver", "approver2"):
        tasks = list(task_list_available(user=user(username)))
        assert sorted((task_subject(t).name, t.owner_id, t.status) for t in tasks) == [
            ("望京青年志愿者服务队", None, STATUS.NEW),
            ("清河邻里互助会", None, STATUS.NEW),
        ]
        assert {t.flow_task for t in tasks} == {OnboardingFlow.review}


def test_nobody_but_approvers_sees_the_waiting_reviews(demo_output):
    for username in ("applicant", "applicant2", "manager", "orgadmin", "resident"):
        assert list(task_list_available(user=user(username))) == []


def test_applications_are_left_in_every_onboarding_state(demo_output):
    states = dict(OrganizationApplication.objects.values_list("name", "status").order_by("name"))
    assert states == {
        "阳光社区援助中心": Status.APPROVED,
        "清河邻里互助会": Status.SUBMITTED,
        "望京青年志愿者服务队": Status.SUBMITTED,
        "海淀春苗助学基金会": Status.CHANGES_REQUESTED,
        "朝阳快乐老年服务中心": Status.REJECTED,
        "回龙观读书会": Status.DRAFT,
        "东风助老服务社": Status.SUSPENDED,
    }
    applicants = dict(OrganizationApplication.objects.values_list("name", "applicant__username"))
    assert applicants["清河邻里互助会"] == "applicant"
    assert applicants["望京青年志愿者服务队"] == "applicant2"
    assert applicants["回龙观读书会"] == "resident"


def test_the_revise_task_waits_in_its_applicants_inbox(demo_output):
    application = OrganizationApplication.objects.get(status=Status.CHANGES_REQUESTED)
    [task] = task_list_mine(user=application.applicant)
    assert (task.flow_task, task_subject(task)) == (OnboardingFlow.revise, application)
    assert application.review_comment


def test_the_demo_organization_was_onboarded_by_an_approver_with_its_members(demo_output):
    application = OrganizationApplication.objects.get(name="阳光社区援助中心")
    assert application.reviewed_by == user("approver")
    organization = application.organization
    assert organization.status == Organization.Status.ACTIVE
    members = set(organization.memberships.values_list("user__username", "role"))
    assert members == {("orgadmin", "admin"), ("orgsigner", "signer"), ("orgstaff", "staff")}
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
        action="application.suspended",
        target_type=ContentType.objects.get_for_model(OrganizationApplication),
        target_id=str(application.pk),
    ).exists()


def test_one_account_per_role_with_the_documented_password(demo_output):
    assert user("admin").is_superuser
    assert user("admin").is_staff
    assert [u.username for u in User.objects.filter(groups__name="approvers")] == [
        "approver",
        "approver2",
    ]
    assert user("approver").is_approver
    assert not user("applicant").is_approver
    assert list(CommunityMembership.objects.values_list("community__name", "user__username")) == [
        ("清河社区", "manager")
    ]
    assert user("manager").has_perm(
        "accounts.manage_community", Community.objects.get(name="清河社区")
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


def test_the_summary_names_every_account_and_the_password(demo_output):
    assert "Demo data loaded" in demo_output
    assert PASSWORD in demo_output
    for person in PEOPLE:
        assert person.username in demo_output


def test_a_second_run_changes_nothing_and_writes_no_audit_event(demo_output):
    before = snapshot()
    output = run_demo()
    assert snapshot() == before
    assert "nothing changed" in output
    assert before["counts"]["audit.AuditEvent"] > 0


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
        "application.suspended",
        "organization.member_added",
        "task.created",
        "task.assigned",
        "task.completed",
    } <= actions
