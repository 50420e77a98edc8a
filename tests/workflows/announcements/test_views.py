import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Residency
from audit.models import AuditEvent
from tests.factories import UserFactory
from workflows.announcements import selectors, services
from workflows.announcements.models import Announcement, AnnouncementRead

from .conftest import ago, draft, fields, later, published

Status = Announcement.Status
Audience = Announcement.Audience
LIST = reverse("announcements:list")
MANAGE = reverse("announcements:manage")
CREATE = reverse("announcements:create")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def form_data(**overrides) -> dict:
    values = {k: v for k, v in fields(**overrides).items() if v is not None}
    if values.get("pinned") is False:
        del values["pinned"]
    return values


# --- reading ----------------------------------------------------------------------------------


def test_anonymous_visitors_read_only_current_announcements_for_everyone(client, writer, community):
    shown = published(writer, title="全体居民通知")
    hidden = [
        draft(writer, title="草稿通知"),
        published(writer, title="社区专属通知", audience=Audience.COMMUNITY, community=community),
        published(writer, title="机构专属通知", audience=Audience.ORGANIZATIONS),
        published(writer, title="未来通知", publish_at=later(days=1)),
        published(writer, title="过期通知", publish_at=ago(days=3), expires_at=later(minutes=1)),
    ]
    archived = services.announcement_archive(
        announcement_id=published(writer, title="归档通知").pk, actor=writer
    )
    Announcement.objects.filter(title="过期通知").update(expires_at=ago(minutes=1))

    listing = page(client, LIST)

    assert shown.title in listing
    for title in ("草稿通知", "社区专属通知", "机构专属通知", "未来通知", "过期通知", "归档通知"):
        assert title not in listing
    assert client.get(shown.get_absolute_url()).status_code == 200
    for announcement in [*hidden, archived]:
        assert client.get(announcement.get_absolute_url()).status_code == 404


def test_residents_of_a_community_read_its_announcements(client, writer, resident, community):
    mine = published(
        writer, title="本社区停水通知", audience=Audience.COMMUNITY, community=community
    )
    client.force_login(resident)

    assert mine.title in page(client, LIST)
    assert client.get(mine.get_absolute_url()).status_code == 200


def test_residents_of_another_community_do_not(client, writer, resident, other_community):
    theirs = published(
        writer, title="别的社区通知", audience=Audience.COMMUNITY, community=other_community
    )
    client.force_login(resident)

    assert theirs.title not in page(client, LIST)
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert AuditEvent.objects.filter(
        action="permission.denied", actor=resident, target_id=str(theirs.pk)
    ).exists()


def test_an_unconfirmed_resident_does_not_read_the_communitys_announcements(
    client, writer, resident, community
):
    Residency.objects.filter(user=resident).update(status=Residency.Status.PENDING)
    theirs = published(
        writer, title="待确认不可见", audience=Audience.COMMUNITY, community=community
    )
    client.force_login(resident)

    assert theirs.title not in page(client, LIST)


def test_a_community_manager_reads_the_communitys_announcements(client, writer, manager, community):
    ours = published(writer, title="管理员可见", audience=Audience.COMMUNITY, community=community)
    client.force_login(manager)

    assert ours.title in page(client, LIST)


def test_organization_members_read_the_announcements_for_organizations(
    client, writer, org_member, resident
):
    for_orgs = published(writer, title="致各援助机构", audience=Audience.ORGANIZATIONS)

    client.force_login(org_member)
    assert for_orgs.title in page(client, LIST)
    client.force_login(resident)
    assert for_orgs.title not in page(client, LIST)
    assert client.get(for_orgs.get_absolute_url()).status_code == 404


def test_pinned_announcements_come_first_then_the_newest(client, writer):
    published(writer, title="旧的通知", publish_at=ago(days=2))
    published(writer, title="置顶的通知", pinned=True, publish_at=ago(days=5))
    published(writer, title="新的通知", publish_at=ago(hours=1))

    listing = page(client, LIST)

    positions = [listing.index(t) for t in ("置顶的通知", "新的通知", "旧的通知")]
    assert positions == sorted(positions)


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_a_hostile_body_renders_inert(client, writer):
    announcement = published(
        writer,
        body=(
            "<script>alert('x')</script>\n\n"
            '<img src="x" onerror="alert(1)">\n\n'
            "[click](javascript:alert(1))\n\n"
            '<a href="javascript:alert(2)" onclick="alert(3)">raw</a>'
        ),
    )

    html = page(client, announcement.get_absolute_url())

    parser = Elements()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.found if tag == "script"]
    assert all(attrs.get("src", "").startswith("/static/") for attrs in scripts)
    assert not [a for _, attrs in parser.found for a in attrs if a.startswith("on")]
    hrefs = [attrs.get("href") or "" for tag, attrs in parser.found if tag == "a"]
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript")]
    assert "img" not in [tag for tag, _ in parser.found]


# --- unread -----------------------------------------------------------------------------------


def nav_count(html: str) -> int | None:
    match = re.search(
        r'href="/announcements/"[^>]*>[^<]*(?:<span class="count">(\d+)</span>)?', html
    )
    assert match is not None
    return int(match.group(1)) if match.group(1) else None


def test_the_unread_count_goes_down_as_announcements_are_read(client, writer, resident):
    first = published(writer)
    published(writer)
    client.force_login(resident)

    assert nav_count(page(client, LIST)) == 2
    page(client, first.get_absolute_url())
    page(client, first.get_absolute_url())

    assert AnnouncementRead.objects.filter(user=resident).count() == 1
    assert nav_count(page(client, LIST)) == 1
    assert selectors.announcement_count_unread(resident) == 1


def test_announcements_not_meant_for_a_person_do_not_count_as_unread(
    client, writer, resident, other_community
):
    published(writer, audience=Audience.COMMUNITY, community=other_community)
    published(writer, audience=Audience.ORGANIZATIONS)
    draft(writer)

    assert selectors.announcement_count_unread(resident) == 0


# --- query counts -----------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def _add(writer, n: int, community) -> None:
    for i in range(n):
        audience = (Audience.EVERYONE, Audience.COMMUNITY, Audience.ORGANIZATIONS)[i % 3]
        published(
            writer,
            audience=audience,
            community=community if audience == Audience.COMMUNITY else None,
            pinned=i % 7 == 0,
        )


@pytest.mark.parametrize("who", ["anonymous", "org_member", "resident"])
def test_the_list_costs_the_same_queries_at_1_and_50_announcements(
    client, writer, community, org_member, resident, who, django_assert_num_queries
):
    reader = {"anonymous": None, "org_member": org_member, "resident": resident}[who]
    if reader is not None:
        client.force_login(reader)
    _add(writer, 1, community)
    client.get(LIST)  # warm caches (content types, sessions)
    one = _queries(client, LIST)

    _add(writer, 49, community)

    with django_assert_num_queries(one):
        assert client.get(LIST).status_code == 200


def test_the_manage_list_costs_the_same_queries_at_1_and_50(
    client, writer, community, django_assert_num_queries
):
    client.force_login(writer)
    _add(writer, 1, community)
    client.get(MANAGE)
    one = _queries(client, MANAGE)

    _add(writer, 49, community)

    with django_assert_num_queries(one):
        assert client.get(MANAGE).status_code == 200


# --- the writers' pages -----------------------------------------------------------------------


def test_a_writer_writes_publishes_and_archives_through_the_pages(client, writer):
    client.force_login(writer)

    response = client.post(CREATE, form_data(title="端午节活动通知", pinned="on"))
    announcement = Announcement.objects.get(title="端午节活动通知")
    assert response.status_code == 302
    assert announcement.status == Status.DRAFT
    assert announcement.pinned
    assert "端午节活动通知" in page(client, MANAGE)

    publish = reverse("announcements:publish", args=[announcement.pk])
    client.post(publish, {"expected_status": Status.DRAFT})
    announcement.refresh_from_db()
    assert announcement.status == Status.PUBLISHED

    archive = reverse("announcements:archive", args=[announcement.pk])
    client.post(archive, {"expected_status": Status.PUBLISHED})
    announcement.refresh_from_db()
    assert announcement.status == Status.ARCHIVED
    assert list(
        AuditEvent.objects.filter(
            target_id=str(announcement.pk), action__startswith="announcement."
        )
        .order_by("pk")
        .values_list("action", "from_state", "to_state")
    ) == [
        ("announcement.created", "", Status.DRAFT),
        ("announcement.published", Status.DRAFT, Status.PUBLISHED),
        ("announcement.archived", Status.PUBLISHED, Status.ARCHIVED),
    ]


def test_a_writer_edits_a_draft_through_its_page(client, writer):
    announcement = draft(writer)
    client.force_login(writer)

    response = client.post(
        reverse("announcements:edit", args=[announcement.pk]),
        {**form_data(title="改过的标题"), "expected_status": Status.DRAFT},
    )

    assert response.status_code == 302
    announcement.refresh_from_db()
    assert announcement.title == "改过的标题"


def test_a_stale_publish_button_says_so_and_changes_nothing(client, writer):
    announcement = published(writer)
    client.force_login(writer)

    response = client.post(
        reverse("announcements:publish", args=[announcement.pk]),
        {"expected_status": Status.DRAFT},
        follow=True,
    )

    assert "changed state in the meantime" in response.content.decode()
    announcement.refresh_from_db()
    assert announcement.status == Status.PUBLISHED
    assert AuditEvent.objects.filter(action="announcement.published").count() == 1


def test_the_manage_list_filters_by_status(client, writer):
    draft(writer, title="一份草稿")
    published(writer, title="一份已发布")
    client.force_login(writer)

    listing = page(client, f"{MANAGE}?status=draft")

    assert "一份草稿" in listing
    assert "一份已发布" not in listing


def test_people_who_are_not_writers_are_refused_and_audited(client, writer, resident):
    announcement = draft(writer)
    client.force_login(resident)

    assert client.get(MANAGE).status_code == 403
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, form_data(title="冒充的公告")).status_code == 403
    detail = reverse("announcements:manage_detail", args=[announcement.pk])
    assert client.get(detail).status_code == 404
    publish = reverse("announcements:publish", args=[announcement.pk])
    assert client.post(publish, {"expected_status": Status.DRAFT}).status_code == 404

    announcement.refresh_from_db()
    assert announcement.status == Status.DRAFT
    assert not Announcement.objects.filter(title="冒充的公告").exists()
    denials = AuditEvent.objects.filter(action="permission.denied", actor=resident)
    assert denials.filter(target_id=str(announcement.pk)).exists()
    assert denials.filter(payload__reason="forbidden").exists()


def test_anonymous_visitors_are_sent_to_log_in_from_the_manage_pages(client):
    response = client.get(MANAGE)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "标题\x00"}, "title"),
        ({"title": "标" * 201}, "title"),
        ({"title": "私用区\ue000字符"}, "title"),
        ({"title": "非字符\uffff"}, "title"),
        ({"body": "正文\x00"}, "body"),
        ({"body": "长" * 20_001}, "body"),
        ({"body": "控制字符\x07"}, "body"),
        ({"publish_at": "2030-05-02T10:00", "expires_at": "2030-05-01T10:00"}, "expires_at"),
        ({"expires_at": "2001-01-01T00:00"}, "expires_at"),
        ({"publish_at": "not a date"}, "publish_at"),
        ({"audience": "community"}, "community"),
        ({"audience": "martians"}, "audience"),
        ({"community": "99999999", "audience": "community"}, "community"),
    ],
)
def test_bad_input_is_answered_by_the_form(client, writer, overrides, field):
    client.force_login(writer)
    data = {**form_data(), **overrides}

    response = client.post(CREATE, data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Announcement.objects.exists()


def test_bad_input_on_an_edit_is_answered_by_the_form(client, writer):
    announcement = draft(writer, title="原来的标题")
    client.force_login(writer)

    response = client.post(
        reverse("announcements:edit", args=[announcement.pk]),
        {**form_data(title="坏\x00"), "expected_status": Status.DRAFT},
    )

    assert response.status_code == 400
    announcement.refresh_from_db()
    assert announcement.title == "原来的标题"


# --- the home page ----------------------------------------------------------------------------


def test_the_home_page_shows_the_pinned_and_latest_announcements(client, writer, community):
    published(writer, title="置顶公告", pinned=True)
    published(writer, title="最新公告")
    published(writer, title="社区公告", audience=Audience.COMMUNITY, community=community)
    draft(writer, title="草稿公告")

    home = page(client, reverse("home"))

    assert "置顶公告" in home
    assert "最新公告" in home
    assert "社区公告" not in home
    assert "草稿公告" not in home
    assert home.index("置顶公告") < home.index("最新公告")


def test_the_home_page_shows_a_residents_community_announcements(
    client, writer, resident, community
):
    published(writer, title="社区公告", audience=Audience.COMMUNITY, community=community)
    client.force_login(resident)

    assert "社区公告" in page(client, reverse("home"))


def test_a_superuser_reaches_the_manage_pages(client, db):
    admin = UserFactory(is_superuser=True)
    client.force_login(admin)

    assert client.get(MANAGE).status_code == 200
