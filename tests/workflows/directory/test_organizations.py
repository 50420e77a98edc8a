"""The public directory of aid organizations and their admins' edits of their profile."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Organization, OrganizationMembership
from audit.models import AuditEvent
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory, valid_credit_code
from tests.workflows.activities.helpers import activity_fields
from tests.workflows.donations.helpers import project_in
from workflows.activities.models import Activity
from workflows.donations.models import DonationProject

from .helpers import community_with_manager, organization_with_admin, page

pytestmark = pytest.mark.django_db

LIST = reverse("directory:organization_list")


def detail_url(organization) -> str:
    return reverse("directory:organization_detail", args=[organization.pk])


def suspend(organization) -> Organization:
    return accounts_services.organization_suspend(
        organization_id=organization.pk,
        actor=UserFactory(username="suspender", approver=True),
        reason="资料不全",
    )


def test_anyone_reads_the_directory_without_logging_in(client):
    community = CommunityFactory(name="清河社区")
    organization, admin = organization_with_admin(
        name="阳光援助中心", kind=Organization.Kind.FOUNDATION, service_area="海淀区全域"
    )
    accounts_services.organization_profile_update(
        organization_id=organization.pk,
        actor=admin,
        public_contact="王老师 010-88888888",
        communities_served=[community],
    )

    listing = page(client, LIST)

    for text in ("阳光援助中心", "Foundation", "海淀区全域", "清河社区", "王老师 010-88888888"):
        assert text in listing
    assert detail_url(organization) in listing


def test_suspended_organizations_are_absent_and_their_page_is_not_found(client):
    shown = OrganizationFactory(name="仍在服务的机构")
    hidden = suspend(OrganizationFactory(name="已暂停的机构"))

    listing = page(client, LIST)

    assert "仍在服务的机构" in listing
    assert "已暂停的机构" not in listing
    assert client.get(detail_url(hidden)).status_code == 404
    assert client.get(detail_url(shown)).status_code == 200


def test_the_search_finds_organizations_by_name_service_area_and_community(client):
    community = CommunityFactory(name="望京社区")
    OrganizationFactory(name="阳光援助中心", service_area="海淀区")
    by_community, admin = organization_with_admin(name="朝阳志愿队", service_area="朝阳区")
    accounts_services.organization_profile_update(
        organization_id=by_community.pk, actor=admin, communities_served=[community]
    )

    assert "阳光援助中心" in page(client, LIST, q="阳光")
    assert "朝阳志愿队" not in page(client, LIST, q="阳光")
    assert "阳光援助中心" in page(client, LIST, q="海淀")
    by_name = page(client, LIST, q="望京")
    assert "朝阳志愿队" in by_name
    assert "阳光援助中心" not in by_name
    filtered = page(client, LIST, community=community.pk)
    assert "朝阳志愿队" in filtered
    assert "阳光援助中心" not in filtered


def test_the_type_filter_keeps_organizations_of_that_type(client):
    OrganizationFactory(name="基金会甲", kind=Organization.Kind.FOUNDATION)
    OrganizationFactory(name="志愿队乙", kind=Organization.Kind.VOLUNTEER_TEAM)

    listing = page(client, LIST, kind=Organization.Kind.FOUNDATION)

    assert "基金会甲" in listing
    assert "志愿队乙" not in listing


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=%E9%98%B3%00%E5%85%89",
        "q=%ED%A0%80",
        "q=%FF%FE",
        "q=%E2%80%AE%F0%9D%94%98%CC%81%CC%81%CC%81",
        "q=" + "y" * 100_000,
        "kind=%3Cscript%3E&community=not-a-number",
        "community=99999999999999999999999",
        "page=abc",
    ],
)
def test_an_odd_search_never_fails(client, query):
    OrganizationFactory(name="阳光援助中心")

    response = client.get(f"{LIST}?{query}")

    assert response.status_code == 200
    listing = response.content.decode()
    assert "阳光援助中心" in listing or "No organization matches these filters." in listing


def test_an_organizations_page_shows_its_profile_activities_and_donation_projects(client):
    community = CommunityFactory(name="清河社区")
    organization, admin = organization_with_admin(name="阳光援助中心", service_area="海淀区")
    accounts_services.organization_profile_update(
        organization_id=organization.pk,
        actor=admin,
        description="我们为留守家庭提供课后辅导。",
        public_contact="王老师 010-88888888",
        communities_served=[community],
    )
    Activity.objects.create(
        organization=organization,
        created_by=admin,
        status=Activity.Status.PUBLISHED,
        **activity_fields(title="周末课后辅导"),
    )
    Activity.objects.create(
        organization=organization,
        created_by=admin,
        status=Activity.Status.DRAFT,
        **activity_fields(title="尚未公开的活动"),
    )
    project_in(DonationProject.Status.OPEN, organization=organization, title="冬衣募捐")
    project_in(DonationProject.Status.CLOSED, organization=organization, title="去年的书包募捐")
    project_in(DonationProject.Status.DRAFT, organization=organization, title="草稿项目")

    html = page(client, detail_url(organization))

    for text in (
        "阳光援助中心",
        "海淀区",
        "我们为留守家庭提供课后辅导。",
        "王老师 010-88888888",
        "清河社区",
        "周末课后辅导",
        "冬衣募捐",
        "去年的书包募捐",
    ):
        assert text in html
    assert "尚未公开的活动" not in html
    assert "草稿项目" not in html
    # The platform's own contact details stay with the platform.
    assert organization.credit_code not in html
    assert organization.contact_email not in html
    assert reverse("directory:organization_edit", args=[organization.pk]) not in html


def test_the_list_costs_the_same_queries_at_1_and_50_rows(client, django_assert_num_queries):
    communities = [CommunityFactory(), CommunityFactory()]
    first, _admin = organization_with_admin()
    first.communities_served.set(communities)
    with CaptureQueriesContext(connection) as one:
        listing = page(client, LIST)
    assert listing.count("<tr>") == 2
    created = Organization.objects.bulk_create(
        Organization(
            name=f"Bulk organization {n:02}",
            kind=Organization.Kind.OTHER,
            credit_code=valid_credit_code(90_000 + n),
            contact_name="Li",
            contact_phone="010-12345678",
            contact_email=f"bulk{n}@example.org",
            address="1 Road",
            service_area="Area",
        )
        for n in range(49)
    )
    # Each with communities of its own: a per-row lookup would show.
    served = Organization.communities_served.through
    served.objects.bulk_create(
        served(organization_id=organization.pk, community_id=CommunityFactory().pk)
        for organization in created
    )

    with django_assert_num_queries(len(one.captured_queries)):
        listing = page(client, LIST)

    assert listing.count("<tr>") == 51


# --- the admins' edits ------------------------------------------------------------------------


def test_an_admin_edits_the_public_profile_and_the_change_is_audited(client):
    community = CommunityFactory(name="清河社区")
    organization, admin = organization_with_admin()
    client.force_login(admin)
    edit = reverse("directory:organization_edit", args=[organization.pk])
    assert edit in page(client, detail_url(organization))

    response = client.post(
        edit,
        {
            "description": "机构简介",
            "service_area": "海淀区西部",
            "public_contact": "王老师 13800000000",
            "communities_served": [community.pk],
        },
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.description, organization.service_area, organization.public_contact) == (
        "机构简介",
        "海淀区西部",
        "王老师 13800000000",
    )
    assert list(organization.communities_served.all()) == [community]
    event = AuditEvent.objects.get(action="organization.profile_updated")
    assert event.actor_id == admin.pk
    assert event.target_id == str(organization.pk)
    assert event.payload["fields"] == [
        "communities_served",
        "description",
        "public_contact",
        "service_area",
    ]


@pytest.mark.parametrize("who", ["staff", "other_admin", "approver", "community_manager"])
def test_anyone_but_its_admins_is_refused_the_edit_page_and_the_refusal_is_audited(client, who):
    organization, _admin = organization_with_admin(service_area="海淀区")
    _other, other_admin = organization_with_admin()
    staff = UserFactory()
    accounts_services.organization_member_add(
        organization=organization,
        user=staff,
        role=OrganizationMembership.Role.STAFF,
        actor=None,
    )
    person = {
        "staff": staff,
        "other_admin": other_admin,
        "approver": UserFactory(approver=True),
        "community_manager": community_with_manager()[1],
    }[who]
    client.force_login(person)
    edit = reverse("directory:organization_edit", args=[organization.pk])

    assert client.get(edit).status_code == 404
    assert client.post(edit, {"service_area": "被改掉"}).status_code == 404

    organization.refresh_from_db()
    assert organization.service_area == "海淀区"
    denial = AuditEvent.objects.get(action="permission.denied", actor=person)
    assert denial.target_id == str(organization.pk)


def test_the_profile_service_refuses_staff():
    organization, _admin = organization_with_admin(service_area="海淀区")
    staff = UserFactory()
    accounts_services.organization_member_add(
        organization=organization,
        user=staff,
        role=OrganizationMembership.Role.STAFF,
        actor=None,
    )

    with pytest.raises(PermissionDenied):
        accounts_services.organization_profile_update(
            organization_id=organization.pk, actor=staff, service_area="x"
        )

    organization.refresh_from_db()
    assert organization.service_area == "海淀区"
    assert not AuditEvent.objects.filter(action="organization.profile_updated").exists()


def test_the_upcoming_activities_of_a_community_come_soonest_first(client):
    community = CommunityFactory()
    organization, admin = organization_with_admin()
    now = timezone.now()
    for title, days in (("第二场", 9), ("第一场", 2)):
        Activity.objects.create(
            organization=organization,
            created_by=admin,
            status=Activity.Status.PUBLISHED,
            **activity_fields(
                community=community,
                title=title,
                starts_at=now + datetime.timedelta(days=days),
                ends_at=now + datetime.timedelta(days=days, hours=2),
            ),
        )

    html = page(client, reverse("directory:community_detail", args=[community.pk]))

    assert html.index("第一场") < html.index("第二场")
