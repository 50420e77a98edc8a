"""Communities' public pages, their managers' edits, and residents choosing their community."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Community, Notification, Residency
from audit.models import AuditEvent
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from tests.workflows.activities.helpers import activity_fields
from workflows.activities.models import Activity
from workflows.agreements.models import AidAgreement

from .helpers import community_with_manager, page

pytestmark = pytest.mark.django_db

LIST = reverse("directory:community_list")


def detail_url(community) -> str:
    return reverse("directory:community_detail", args=[community.pk])


def agreement(community, organization, status, initiator) -> AidAgreement:
    today = timezone.localdate()
    return AidAgreement.objects.create(
        community=community,
        organization=organization,
        title=f"协议 {organization.name}",
        scope="课后辅导",
        terms="第一条",
        effective_date=today,
        end_date=today + datetime.timedelta(days=365),
        initiator=initiator,
        status=status,
    )


def activity(community, organization, created_by, status, **overrides) -> Activity:
    return Activity.objects.create(
        organization=organization,
        created_by=created_by,
        status=status,
        **activity_fields(community=community, **overrides),
    )


# --- the public list and page -----------------------------------------------------------------


def test_anyone_reads_the_list_of_communities_without_logging_in(client):
    CommunityFactory(name="清河社区", district="海淀区", area="清河街道一至三号院")

    listing = page(client, LIST)

    assert "清河社区" in listing
    assert "海淀区" in listing
    assert "清河街道一至三号院" in listing


def test_the_search_finds_communities_by_name_and_district(client):
    CommunityFactory(name="清河社区", district="海淀区")
    CommunityFactory(name="望京社区", district="朝阳区")

    by_name = page(client, LIST, q="清河")
    by_district = page(client, LIST, q="朝阳")

    assert "清河社区" in by_name
    assert "望京社区" not in by_name
    assert "望京社区" in by_district
    assert "清河社区" not in by_district


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=%E6%B8%85%00%E6%B2%B3",
        "q=%ED%A0%80",  # a lone surrogate's UTF-8 bytes: not valid UTF-8
        "q=%FF%FE",
        "q=%E2%80%AE%F0%9D%94%98%CC%81%CC%81%CC%81",  # right-to-left override, combining marks
        "q=" + "x" * 100_000,
        "q=a&q=b&page=-1",
        "page=99999999999999999999",
    ],
)
def test_an_odd_search_never_fails_and_still_lists_the_communities(client, query):
    CommunityFactory(name="清河社区")

    response = client.get(f"{LIST}?{query}")

    assert response.status_code == 200
    listing = response.content.decode()
    assert "清河社区" in listing or "No community matches this search." in listing


def test_a_search_that_cannot_be_read_is_marked_and_the_list_shows_everything(client):
    CommunityFactory(name="清河社区")

    listing = page(client, LIST, q="x" * 100_000)

    assert "Some filters could not be used" in listing
    assert "清河社区" in listing


def test_a_communitys_page_shows_its_details_managers_organizations_and_activities(client):
    community, manager = community_with_manager(
        name="清河社区", district="海淀区", address="清河路 1 号"
    )
    accounts_services.community_update(
        community_id=community.pk,
        actor=manager,
        description="一个有三千户居民的社区。",
        contact="张老师 010-12345678",
        area="清河街道一至三号院",
    )
    partner = OrganizationFactory(name="阳光援助中心")
    agreement(community, partner, AidAgreement.Status.ACTIVE, manager)
    ended = OrganizationFactory(name="已终止的机构")
    agreement(community, ended, AidAgreement.Status.TERMINATED, manager)
    drafting = OrganizationFactory(name="草拟中的机构")
    agreement(community, drafting, AidAgreement.Status.DRAFT, manager)
    upcoming = activity(community, partner, manager, Activity.Status.PUBLISHED, title="周末植树")
    activity(community, partner, manager, Activity.Status.DRAFT, title="未公开的草稿")
    now = timezone.now()
    activity(
        community,
        partner,
        manager,
        Activity.Status.COMPLETED,
        title="去年的活动",
        starts_at=now - datetime.timedelta(days=30),
        ends_at=now - datetime.timedelta(days=30) + datetime.timedelta(hours=2),
    )

    html = page(client, detail_url(community))

    for text in (
        "清河社区",
        "海淀区",
        "清河路 1 号",
        "一个有三千户居民的社区。",
        "张老师 010-12345678",
        "清河街道一至三号院",
        manager.display_name,
        "阳光援助中心",
        "周末植树",
        upcoming.get_absolute_url(),
    ):
        assert text in html
    for hidden in ("已终止的机构", "草拟中的机构", "未公开的草稿", "去年的活动"):
        assert hidden not in html
    # Nothing a keeper does is offered to a visitor.
    assert reverse("directory:community_edit", args=[community.pk]) not in html


def test_a_missing_community_is_not_found(client):
    assert client.get(reverse("directory:community_detail", args=[999_999])).status_code == 404


def test_the_list_costs_the_same_queries_at_1_and_50_rows(client, django_assert_num_queries):
    CommunityFactory()
    with CaptureQueriesContext(connection) as one:
        listing = page(client, LIST)
    assert listing.count("<tr>") == 2
    Community.objects.bulk_create(
        Community(name=f"Bulk community {n}", district=f"District {n}") for n in range(49)
    )

    with django_assert_num_queries(len(one.captured_queries)):
        listing = page(client, LIST)

    assert listing.count("<tr>") == 51


# --- the managers' edits ----------------------------------------------------------------------


def test_a_manager_edits_the_page_and_the_change_is_audited(client):
    community, manager = community_with_manager()
    client.force_login(manager)
    edit = reverse("directory:community_edit", args=[community.pk])
    assert edit in page(client, detail_url(community))

    response = client.post(
        edit,
        {
            "description": "社区简介",
            "area": "一号院",
            "address": "幸福路 8 号",
            "contact": "李老师 13800000000",
        },
    )

    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.description, community.area, community.address, community.contact) == (
        "社区简介",
        "一号院",
        "幸福路 8 号",
        "李老师 13800000000",
    )
    event = AuditEvent.objects.get(action="community.updated")
    assert event.actor_id == manager.pk
    assert event.target_id == str(community.pk)
    assert event.payload["fields"] == ["address", "area", "contact", "description"]


def test_saving_the_page_unchanged_writes_no_audit_event(client):
    community, manager = community_with_manager(address="幸福路 8 号")

    accounts_services.community_update(
        community_id=community.pk, actor=manager, address="幸福路 8 号"
    )

    assert not AuditEvent.objects.filter(action="community.updated").exists()


@pytest.mark.parametrize("who", ["resident", "other_manager", "superuser"])
def test_anyone_but_its_managers_is_refused_the_edit_page_and_the_refusal_is_audited(client, who):
    community, _manager = community_with_manager(address="幸福路 8 号")
    _other, other_manager = community_with_manager()
    person = {
        "resident": UserFactory(),
        "other_manager": other_manager,
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }[who]
    client.force_login(person)
    edit = reverse("directory:community_edit", args=[community.pk])

    assert client.get(edit).status_code == 404
    assert client.post(edit, {"address": "被改掉的地址"}).status_code == 404

    community.refresh_from_db()
    assert community.address == "幸福路 8 号"
    denial = AuditEvent.objects.get(action="permission.denied", actor=person)
    assert denial.target_id == str(community.pk)
    assert not AuditEvent.objects.filter(action="community.updated").exists()


def test_the_service_refuses_someone_who_is_not_a_manager():
    community, _manager = community_with_manager()
    _other, other_manager = community_with_manager()

    with pytest.raises(PermissionDenied):
        accounts_services.community_update(
            community_id=community.pk, actor=other_manager, contact="x"
        )

    community.refresh_from_db()
    assert community.contact == ""


def test_an_anonymous_visitor_is_sent_to_log_in_from_the_edit_page(client):
    community, _manager = community_with_manager()

    response = client.get(reverse("directory:community_edit", args=[community.pk]))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_text_that_cannot_be_shown_is_refused_by_its_field(client):
    community, manager = community_with_manager()
    client.force_login(manager)

    response = client.post(
        reverse("directory:community_edit", args=[community.pk]),
        {"description": "", "area": "", "address": "", "contact": "bad\x07bell"},
    )

    assert response.status_code == 200
    community.refresh_from_db()
    assert community.contact == ""


# --- residency --------------------------------------------------------------------------------


def choose(client, person, community):
    client.force_login(person)
    return client.post(reverse("directory:residency_choose"), {"community": community.pk})


def test_a_resident_chooses_their_community_on_their_profile_and_the_managers_are_told(client):
    community, manager = community_with_manager(name="清河社区")
    resident = UserFactory()
    client.force_login(resident)
    profile = page(client, reverse("accounts:profile"))
    assert 'name="community"' in profile

    response = choose(client, resident, community)

    assert response.status_code == 302
    residency = Residency.objects.get(user=resident)
    assert (residency.community, residency.status) == (community, Residency.Status.PENDING)
    event = AuditEvent.objects.get(action="residency.chosen")
    assert event.actor_id == resident.pk
    told = Notification.objects.get(recipient=manager)
    assert told.url == reverse("directory:residents", args=[community.pk])
    assert "清河社区" in page(client, reverse("accounts:profile"))


def test_choosing_another_community_starts_over_as_pending(client):
    first, manager = community_with_manager()
    second, _other = community_with_manager()
    resident = UserFactory()
    residency = accounts_services.residency_choose(user=resident, community=first)
    accounts_services.residency_confirm(residency_id=residency.pk, actor=manager)

    choose(client, resident, second)

    residency.refresh_from_db()
    assert (residency.community, residency.status, residency.decided_by) == (
        second,
        Residency.Status.PENDING,
        None,
    )


def test_the_manager_confirms_a_resident_who_is_told(client, django_capture_on_commit_callbacks):
    community, manager = community_with_manager()
    resident = UserFactory(display_name="王小明")
    residency = accounts_services.residency_choose(user=resident, community=community)
    client.force_login(manager)
    residents = reverse("directory:residents", args=[community.pk])
    assert "王小明" in page(client, residents)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("directory:resident_confirm", args=[community.pk, residency.pk])
        )

    assert response.status_code == 302
    residency.refresh_from_db()
    assert (residency.status, residency.decided_by) == (Residency.Status.CONFIRMED, manager)
    assert residency.decided_at is not None
    assert AuditEvent.objects.get(action="residency.confirmed").actor_id == manager.pk
    assert Notification.objects.filter(recipient=resident).count() == 1
    html = page(client, residents)
    assert html.split('id="confirmed"')[1].count("王小明") == 1


def test_the_manager_removes_a_resident_who_is_told(client):
    community, manager = community_with_manager()
    resident = UserFactory()
    residency = accounts_services.residency_choose(user=resident, community=community)
    client.force_login(manager)

    response = client.post(reverse("directory:resident_remove", args=[community.pk, residency.pk]))

    assert response.status_code == 302
    assert not Residency.objects.filter(pk=residency.pk).exists()
    event = AuditEvent.objects.get(action="residency.removed")
    assert (event.actor_id, event.payload["user_id"]) == (manager.pk, resident.pk)
    assert Notification.objects.filter(recipient=resident).count() == 1


@pytest.mark.parametrize("who", ["the_resident", "other_manager", "superuser"])
def test_only_the_communitys_managers_see_and_decide_its_residents(client, who):
    community, _manager = community_with_manager()
    _other, other_manager = community_with_manager()
    resident = UserFactory()
    residency = accounts_services.residency_choose(user=resident, community=community)
    person = {
        "the_resident": resident,
        "other_manager": other_manager,
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }[who]
    client.force_login(person)

    assert client.get(reverse("directory:residents", args=[community.pk])).status_code == 404
    confirm = reverse("directory:resident_confirm", args=[community.pk, residency.pk])
    remove = reverse("directory:resident_remove", args=[community.pk, residency.pk])
    assert client.post(confirm).status_code == 404
    assert client.post(remove).status_code == 404

    residency.refresh_from_db()
    assert residency.status == Residency.Status.PENDING
    assert AuditEvent.objects.filter(action="permission.denied", actor=person).exists()
    assert not AuditEvent.objects.filter(
        action__in=["residency.confirmed", "residency.removed"]
    ).exists()


def test_a_manager_cannot_decide_a_residency_of_another_community_through_their_own(client):
    community, manager = community_with_manager()
    other, _other_manager = community_with_manager()
    residency = accounts_services.residency_choose(user=UserFactory(), community=other)
    client.force_login(manager)

    response = client.post(reverse("directory:resident_confirm", args=[community.pk, residency.pk]))

    assert response.status_code == 404
    residency.refresh_from_db()
    assert residency.status == Residency.Status.PENDING


def test_the_confirm_service_refuses_someone_who_is_not_a_manager():
    community, _manager = community_with_manager()
    residency = accounts_services.residency_choose(user=UserFactory(), community=community)

    with pytest.raises(PermissionDenied):
        accounts_services.residency_confirm(residency_id=residency.pk, actor=UserFactory())
