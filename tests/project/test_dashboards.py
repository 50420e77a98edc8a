"""The overview's dashboards (issue 14, part 6): each audience sees its own scope, in a number
of queries that does not grow with the data."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import OrganizationMembership, Residency
from project import dashboards
from tests.conftest import fresh
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from tests.workflows.activities.helpers import activity_fields
from tests.workflows.donations.helpers import project_in
from tests.workflows.inbox.test_inbox import submit_applications
from workflows.activities.models import Activity, Registration
from workflows.agreements.models import AidAgreement
from workflows.donations.models import Channel, Donation, UsageReport
from workflows.inbox.models import TaskDeadline
from workflows.inbox.selectors import task_list_available

URL = reverse("overview")
pytestmark = pytest.mark.django_db


@pytest.fixture
def community(db):
    return CommunityFactory(name="清河社区")


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="阳光社区援助中心")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="东坝助学会")


@pytest.fixture
def manager(community):
    user = UserFactory(username="manager")
    accounts_services.community_manager_add(community=community, user=user, actor=None)
    return fresh(user)


def member(organization, username, role=OrganizationMembership.Role.ADMIN):
    user = UserFactory(username=username)
    accounts_services.organization_member_add(
        organization=organization, user=user, role=role, actor=None
    )
    return fresh(user)


@pytest.fixture
def org_admin(organization):
    return member(organization, "orgadmin")


def agreement(community, organization, initiator, status, n=0, end_in_days=365):
    today = timezone.localdate()
    return AidAgreement.objects.create(
        community=community,
        organization=organization,
        title=f"帮扶协议 {organization.name} {status} {n}",
        scope="课后辅导",
        terms="第一条",
        effective_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=end_in_days),
        initiator=initiator,
        status=status,
    )


def give(project, amount):
    return Donation.objects.create(
        project=project,
        organization=project.organization,
        amount=Decimal(amount),
        channel=Channel.BANK_TRANSFER,
        status=Donation.Status.CONFIRMED,
        donor_name="张三",
        received_on=timezone.localdate(),
    )


def activity(organization, community, created_by, status=Activity.Status.PUBLISHED, **fields):
    return Activity.objects.create(
        organization=organization,
        created_by=created_by,
        status=status,
        **activity_fields(community=community, needs_review=True, **fields),
    )


def world(n, *, community, organization, manager, admin, start=0):
    """`n` objects of each kind the dashboards count, for `organization` and `community`."""
    for i in range(start, start + n):
        agreement(community, organization, manager, AidAgreement.Status.ACTIVE, i, end_in_days=20)
        published = activity(organization, community, admin)
        Registration.objects.create(
            activity=published, person=UserFactory(), status=Registration.Status.PENDING
        )
        project = project_in(organization=organization, created_by=admin, community=community)
        give(project, "100.00")
        UsageReport.objects.create(
            project=project,
            created_by=admin,
            title=f"使用报告 {i}",
            narrative="购买了冬衣。",
            status=UsageReport.Status.SUBMITTED,
        )
        audit.record(action="agreement.updated", actor=manager, target=community)
    submit_applications(n, start=500 + start)


def queries(client, url=URL):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


@pytest.mark.parametrize("audience", ["superuser", "approver", "org_admin", "manager"])
def test_each_dashboard_costs_the_same_queries_at_1_and_20_objects_of_each_kind(
    client, community, organization, manager, org_admin, audience
):
    viewer = {
        "superuser": lambda: UserFactory(username="root", is_superuser=True, is_staff=True),
        "approver": lambda: UserFactory(username="approver", approver=True),
        "org_admin": lambda: org_admin,
        "manager": lambda: manager,
    }[audience]()
    client.force_login(viewer)
    people = {"community": community, "organization": organization, "manager": manager}
    world(1, admin=org_admin, **people)
    client.get(URL)  # process-wide caches warm up on a first request
    one, _page = queries(client)
    world(19, admin=org_admin, start=1, **people)
    twenty, page_twenty = queries(client)

    assert one == twenty
    assert 'class="card dashboard"' in page_twenty
    marker = {
        "superuser": 'id="management-log"',
        "approver": 'id="management-log"',
        "org_admin": 'id="registrations-waiting"',
        "manager": 'id="agreements-expiring"',
    }[audience]
    assert marker in page_twenty


def test_the_platform_dashboard_counts_every_process_by_state(client, community, organization):
    approver = UserFactory(username="approver", approver=True)
    admin = member(organization, "orgadmin")
    manager = member(OrganizationFactory(), "m2")  # any initiator
    agreement(community, organization, manager, AidAgreement.Status.ACTIVE)
    agreement(community, organization, manager, AidAgreement.Status.EXPIRED, 1)
    agreement(
        community, organization, manager, AidAgreement.Status.DRAFT, 2
    )  # a draft is not theirs
    activity(organization, community, admin)
    submit_applications(2, start=600)

    board = dashboards.platform_dashboard(user=approver)

    counts = {c.chart_id: {r["label"]: r["value"] for r in c.rows} for c in board.counts}
    assert counts["platform-agreements"] == {"Active": 1, "Expired": 1}
    assert counts["platform-applications"] == {"Submitted": 2}
    assert counts["platform-activities"] == {"Published": 1}
    assert board.extra["waiting_count"] == 2


def test_reviews_waiting_show_their_age_and_overdue_tasks_are_listed(client):
    approver = UserFactory(username="approver", approver=True)
    (application,) = submit_applications(1, start=650)
    task = task_list_available(user=approver).get()
    type(task).objects.filter(pk=task.pk).update(
        created=timezone.now() - datetime.timedelta(days=3)
    )
    TaskDeadline.objects.filter(task=task).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client.force_login(approver)

    page = client.get(URL).content.decode()

    waiting = page[page.index('id="reviews-waiting"') : page.index('id="overdue-tasks"')]
    assert "3 d" in waiting
    assert application.name in waiting
    overdue = page[page.index('id="overdue-tasks"') : page.index('id="new-organizations"')]
    assert application.name in overdue


def test_the_management_log_is_filtered_by_action_prefix(client, community):
    approver = UserFactory(username="approver", approver=True)
    audit.record(action="agreement.updated", actor=approver, target=community)
    audit.record(action="activity.submitted", actor=approver, target=community)
    client.force_login(approver)

    everything = client.get(URL).content.decode()
    filtered = client.get(URL, {"action": "activity."}).content.decode()
    refused = client.get(URL, {"action": "x' OR 1=1"})

    assert 'title="agreement.updated"' in everything
    assert 'title="activity.submitted"' in everything
    assert 'title="activity.submitted"' in filtered
    assert 'title="agreement.updated"' not in filtered
    assert refused.status_code == 200
    assert 'title="agreement.updated"' in refused.content.decode()  # an invalid filter: all


def test_an_organization_admin_sees_only_their_organizations_figures(
    client, community, organization, other_organization, manager, org_admin
):
    other_admin = member(other_organization, "otheradmin")
    for n in range(3):
        agreement(community, other_organization, manager, AidAgreement.Status.ACTIVE, n)
        project = project_in(organization=other_organization, created_by=other_admin)
        give(project, "500.00")
    agreement(community, organization, manager, AidAgreement.Status.ACTIVE, 9)
    give(project_in(organization=organization, created_by=org_admin), "80.00")
    activity(other_organization, community, other_admin)

    board = dashboards.organization_dashboard(user=org_admin)
    client.force_login(org_admin)
    page = client.get(URL).content.decode()

    counts = {c.chart_id: c.total for c in board.counts}
    assert counts == {"organization-agreements": 1, "organization-activities": 0}
    assert board.extra["donations_total"] == Decimal("80.00")
    assert board.extra["donations_count"] == 1
    assert board.scope == [organization]
    assert other_organization.name not in page
    assert 'id="dashboard-platform"' not in page
    assert 'id="management-log"' not in page


def test_staff_who_are_not_admins_get_no_organization_dashboard(client, organization):
    staff = member(organization, "staff", OrganizationMembership.Role.STAFF)
    assert dashboards.organization_dashboard(user=staff) is None
    client.force_login(staff)
    assert 'id="dashboard-organization"' not in client.get(URL).content.decode()


def test_children_records_due_a_visit_are_counted_when_that_app_provides_it(
    org_admin, organization, monkeypatch
):
    from workflows.children import selectors as children

    monkeypatch.setattr(
        children, "records_due_a_visit", lambda org: type("Q", (), {"count": lambda s: 4})()
    )
    assert dashboards.organization_dashboard(user=org_admin).extra["children_due"] == [
        {"organization": organization, "count": 4}
    ]
    monkeypatch.delattr(children, "records_due_a_visit")
    assert dashboards.organization_dashboard(user=org_admin).extra["children_due"] is None


def test_a_community_manager_sees_their_agreements_and_those_ending_soon(
    client, community, organization, manager
):
    other_community = CommunityFactory(name="东坝社区")
    other_manager = UserFactory(username="othermanager")
    accounts_services.community_manager_add(
        community=other_community, user=other_manager, actor=None
    )
    soon = agreement(community, organization, manager, AidAgreement.Status.ACTIVE, 1, 20)
    later = agreement(community, organization, manager, AidAgreement.Status.ACTIVE, 2, 60)
    elsewhere = agreement(other_community, organization, other_manager, "active", 3, 10)
    agreement(community, organization, manager, AidAgreement.Status.DRAFT, 4)
    client.force_login(manager)

    page = client.get(URL).content.decode()

    expiring = page[page.index('id="agreements-expiring"') :].split("</section>")[0]
    assert soon.title in expiring
    assert later.title not in expiring
    assert elsewhere.title not in page
    board = dashboards.community_dashboard(user=manager)
    assert {r["label"]: r["value"] for r in board.counts[0].rows} == {"Draft": 1, "Active": 2}
    assert 'id="dashboard-platform"' not in page


def test_a_resident_gets_no_dashboard(client, community, organization, manager):
    agreement(community, organization, manager, AidAgreement.Status.ACTIVE)
    resident = UserFactory(username="resident")
    Residency.objects.create(user=resident, community=community, status="confirmed")
    assert dashboards.dashboards_for(user=resident) == []
    client.force_login(resident)
    page = client.get(URL).content.decode()
    assert 'class="card dashboard"' not in page
    assert 'id="management-log"' not in page


def test_charts_come_with_the_same_figures_as_text(client, community, organization, manager):
    agreement(community, organization, manager, AidAgreement.Status.ACTIVE)
    client.force_login(manager)
    page = client.get(URL).content.decode()
    chart = page[page.index('id="community-agreements"') :].split("</figure>")[0]
    assert "<svg" in chart
    assert "¥" not in chart
    assert '<th scope="row">Active</th><td>1</td>' in chart
