"""The main navigation shows what each role can use."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
from tests.conftest import fresh
from tests.factories import (
    CommunityFactory,
    OrganizationFactory,
    UserFactory,
    application_fields,
    pdf_upload,
)
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox import selectors, services
from workflows.onboarding import services as onboarding


@pytest.fixture
def manager(db):
    user = UserFactory(username="manager")
    accounts_services.community_manager_add(community=CommunityFactory(), user=user, actor=None)
    return fresh(user)


@pytest.fixture
def staff(db):
    user = UserFactory(username="staff")
    accounts_services.organization_member_add(
        organization=OrganizationFactory(),
        user=user,
        role=OrganizationMembership.Role.STAFF,
        actor=None,
    )
    return fresh(user)


def nav_of(client, user):
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    return page[page.index('<nav class="main"') : page.index("</nav>")]


def test_community_managers_find_agreements_and_not_onboarding(client, manager):
    nav = nav_of(client, manager)
    assert reverse("agreements:list") in nav
    assert reverse("inbox:index") in nav
    assert reverse("onboarding:list") not in nav


def test_organization_members_find_agreements_and_their_applications(client, staff):
    nav = nav_of(client, staff)
    assert reverse("agreements:list") in nav
    assert reverse("onboarding:list") in nav


def test_residents_find_their_applications_and_their_communitys_agreements(client, applicant):
    # Residents read the agreements of the community they live in (issue 14); the list
    # tells one whose residency is not confirmed why it is empty.
    nav = nav_of(client, applicant)
    assert reverse("onboarding:list") in nav
    assert reverse("inbox:index") in nav
    assert reverse("agreements:list") in nav


def test_approvers_find_agreements_applications_and_the_inbox_with_its_count(
    client, approver, submitted_application
):
    nav = nav_of(client, approver)
    assert reverse("agreements:list") in nav
    assert reverse("onboarding:list") in nav
    assert 'Inbox <span class="count">1</span>' in nav

    services.task_claim(task_id=open_task(submitted_application).pk, user=approver)
    assert 'Inbox <span class="count">1</span>' in nav_of(client, approver)


def test_the_current_section_is_marked(client, approver):
    client.force_login(approver)
    page = client.get(reverse("agreements:list")).content.decode()
    assert f'<a href="{reverse("agreements:list")}" aria-current="page">' in page
    assert f'<a href="{reverse("inbox:index")}" aria-current="page">' not in page


@pytest.mark.parametrize("absence", [False, True])
def test_the_inbox_count_is_the_length_of_my_tasks_and_available_to_me_with_or_without_an_absence(
    client, approver, other_approver, absence, django_capture_on_commit_callbacks
):
    for n in (71, 72):
        applicant = UserFactory(username=f"nav-applicant{n}")
        application = onboarding.application_create(
            applicant=applicant, certificate=pdf_upload(), **application_fields(n)
        )
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.application_submit(application_id=application.pk, actor=applicant)
    services.task_claim(task_id=open_task(application).pk, user=other_approver)
    if absence:
        today = timezone.localdate()
        accounts_services.absence_create(
            user=approver,
            delegate=other_approver,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=2),
            actor=approver,
        )

    # What the delegate may claim for the absent approver is in "Available to me".
    on_behalf = [
        t
        for t in selectors.task_list_delegated(user=other_approver)
        if t.flow_task.can_assign(other_approver, t, on_behalf_of=approver)
    ]
    assert len(on_behalf) == (1 if absence else 0)
    available = list(selectors.task_list_available(user=other_approver))
    assert set(on_behalf) <= set(available)
    tabs = len(selectors.task_list_mine(user=other_approver)) + len(available)
    assert (tabs, selectors.task_count_waiting(other_approver)) == (2, 2)
    assert f'Inbox <span class="count">{tabs}</span>' in nav_of(client, other_approver)
