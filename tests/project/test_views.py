"""Where each role lands after logging in, the home page's offers, and the party overview."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
from tests.conftest import fresh
from tests.factories import PASSWORD, CommunityFactory, OrganizationFactory, UserFactory
from tests.workflows.inbox.test_inbox import submit_applications
from tests.workflows.inbox.test_statistics import decided
from tests.workflows.onboarding.helpers import open_task
from workflows.agreements import services as agreements


@pytest.fixture
def community(db):
    return CommunityFactory(name="清河社区")


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="阳光社区援助中心")


@pytest.fixture
def manager(community):
    user = UserFactory(username="manager")
    accounts_services.community_manager_add(community=community, user=user, actor=None)
    return fresh(user)


@pytest.fixture
def staff(organization):
    user = UserFactory(username="staff")
    accounts_services.organization_member_add(
        organization=organization, user=user, role=OrganizationMembership.Role.STAFF, actor=None
    )
    return fresh(user)


def draft(manager, community, organization, n=0):
    today = timezone.localdate()
    return agreements.agreement_create(
        actor=manager,
        community=community,
        organization=organization,
        title=f"课后辅导帮扶协议 {n}",
        scope="课后辅导",
        terms="第一条 双方友好合作。",
        effective_date=today,
        end_date=today + datetime.timedelta(days=365),
        language="zh-hans",
    )


def log_in(client, user):
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    return response


def test_an_approver_lands_on_the_inbox_showing_what_they_may_claim(
    client, approver, submitted_application
):
    response = log_in(client, approver)
    assert response.redirect_chain[-1][0] == reverse("inbox:index")
    page = response.content.decode()
    assert 'aria-current="page">Available to me' in page
    assert reverse("inbox:claim", args=[open_task(submitted_application).pk]) in page


def test_a_community_manager_lands_on_their_agreements_and_tasks(
    client, manager, community, organization
):
    agreement = draft(manager, community, organization)
    response = log_in(client, manager)
    assert response.redirect_chain[-1][0] == reverse("overview")
    page = response.content.decode()
    assert agreement.get_absolute_url() in page
    assert "My tasks" in page


def test_an_organization_member_lands_on_the_overview(client, staff):
    assert log_in(client, staff).redirect_chain[-1][0] == reverse("overview")


def test_a_resident_lands_on_their_applications(client, applicant):
    assert log_in(client, applicant).redirect_chain[-1][0] == reverse("onboarding:list")


def test_the_home_page_does_not_offer_community_managers_to_register_an_organization(
    client, manager, applicant
):
    client.force_login(manager)
    page = client.get(reverse("home")).content.decode()
    assert reverse("onboarding:create") not in page
    assert reverse("overview") in page
    client.force_login(applicant)
    assert reverse("onboarding:create") in client.get(reverse("home")).content.decode()


def test_the_overview_costs_the_same_queries_at_1_and_50_rows(
    client, community, organization, manager
):
    # An approver who also manages the community: tasks to claim and agreements to list.
    accounts_services.approver_grant(user=manager, actor=None)
    client.force_login(manager)
    url = reverse("overview")

    def count():
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200
        return len(context.captured_queries), response.content.decode()

    draft(manager, community, organization, 0)
    submit_applications(1, start=700)
    client.get(url)  # process-wide caches warm up on a first request
    one, page = count()
    assert page.count("<tr>") == 2 + 2  # two tables, a header and a row each
    for n in range(1, 50):
        draft(manager, community, organization, n)
    submit_applications(49, start=800)
    fifty, page = count()
    assert page.count("<tr>") == 2 + 2 * 20
    assert one == fifty


def test_approvers_see_open_tasks_and_decision_times_on_the_overview(client, approver):
    applications = submit_applications(3, start=900)
    decided(applications[0], days_ago=5, hours=1)
    decided(applications[1], days_ago=5, hours=3)
    client.force_login(approver)

    page = client.get(reverse("overview")).content.decode()

    assert "<title>Overview · Accord</title>" in page
    assert page.count('id="statistics"') == 1
    row = page[page.index("Organization onboarding</th>") :].split("</tr>")[0]
    # One open task, none overdue; over 30 and over 90 days: two decided, median 2 h, 90th
    # percentile 2.8 h.
    assert (
        row.split("<td>")[1:] == ["1</td>", "0</td>"] + ["2</td>", "2.0 h</td>", "2.8 h</td>"] * 2
    )
    assert f'<a href="{reverse("overview")}"' in page


def test_parties_do_not_see_the_inbox_figures(client, staff):
    client.force_login(staff)
    page = client.get(reverse("overview")).content.decode()
    assert "Tasks and time to decision" not in page
