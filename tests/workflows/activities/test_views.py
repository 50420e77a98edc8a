"""The activity pages as each person uses them: the public, residents, the organization's
staff, approvers and outsiders."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import OrganizationMembership
from accounts.services import organization_member_add
from audit.models import AuditEvent
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.activities import services
from workflows.activities.forms import format_questions, parse_questions
from workflows.activities.models import Activity, Registration, Theme

from .helpers import (
    activity_fields,
    activity_form_data,
    decide,
    open_task,
    org_with_staff,
    published_activity,
)

pytestmark = pytest.mark.django_db

Status = Activity.Status
LIST = reverse("activities:list")


def draft_of(staff, organization, **overrides):
    return services.activity_create(
        actor=staff, organization=organization, **activity_fields(**overrides)
    )


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# --- the public list and page -----------------------------------------------------------------


def test_anyone_sees_published_activities_and_no_drafts(client, approver):
    published, staff = published_activity(approver, title="社区植树")
    draft = draft_of(staff, published.organization, title="尚未公开的草稿")

    listing = page(client, LIST)

    assert published.get_absolute_url() in listing
    assert "社区植树" in listing
    assert draft.get_absolute_url() not in listing
    assert "尚未公开的草稿" not in listing


def test_a_draft_is_not_found_by_the_public_and_a_published_activity_is(client, approver):
    published, staff = published_activity(approver)
    draft = draft_of(staff, published.organization)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("activities:ics", args=[draft.pk])).status_code == 404
    detail = page(client, published.get_absolute_url())
    assert published.title in detail
    assert published.organization.name in detail
    assert "3 places left of 3" in detail


def test_a_draft_is_not_found_by_an_outsider_and_the_refusal_is_audited(client, outsider):
    organization, staff = org_with_staff()
    draft = draft_of(staff, organization)
    client.force_login(outsider)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert AuditEvent.objects.filter(
        action="permission.denied", target_id=str(draft.pk), actor=outsider
    ).exists()


def test_the_public_sees_a_login_link_and_a_resident_a_register_button(client, approver):
    activity, _staff = published_activity(approver)
    register = reverse("activities:register", args=[activity.pk])

    anonymous = page(client, activity.get_absolute_url())
    assert "Log in to register" in anonymous
    assert f"{reverse('accounts:login')}?next={activity.get_absolute_url()}" in anonymous
    assert register not in anonymous

    client.force_login(UserFactory())
    resident = page(client, activity.get_absolute_url())
    assert f'action="{register}"' in resident
    assert "Log in to register" not in resident
    # The organizer's buttons and the timeline are not for residents.
    assert reverse("activities:cancel", args=[activity.pk]) not in resident
    assert 'id="timeline"' not in resident


def test_no_register_button_once_registration_has_closed(client, approver):
    now = timezone.now()
    activity, _staff = published_activity(
        approver,
        registration_opens_at=now - datetime.timedelta(days=3),
        registration_closes_at=now - datetime.timedelta(hours=1),
    )
    client.force_login(UserFactory())

    detail = page(client, activity.get_absolute_url())

    assert ">Register</button>" not in detail
    # Only a guest with an invitation code may still register (until the start).
    assert "I have an invitation code" in detail


def test_a_resident_sees_their_registration(client, approver):
    activity, _staff = published_activity(approver)
    resident = UserFactory()
    services.registration_create(activity_id=activity.pk, actor=resident)
    client.force_login(resident)

    detail = page(client, activity.get_absolute_url())

    assert "Your registration: Approved" in detail
    assert reverse("activities:register", args=[activity.pk]) not in detail
    assert "2 places left of 3" in detail


def test_a_cancelled_activity_shows_why(client, approver):
    activity, staff = published_activity(approver)
    services.activity_cancel(activity_id=activity.pk, actor=staff, reason="暴雨预警，改期举行")

    detail = page(client, activity.get_absolute_url())

    assert "This activity is cancelled." in detail
    assert "暴雨预警，改期举行" in detail
    assert reverse("activities:register", args=[activity.pk]) not in detail


def test_filters_by_theme_places_and_search(client, approver):
    tutoring, _ = published_activity(approver, title="作业辅导", theme=Theme.EDUCATION)
    planting, _ = published_activity(approver, title="河边植树", theme=Theme.ENVIRONMENT)
    full, _ = published_activity(approver, title="满员的讲座", capacity=1)
    services.registration_create(activity_id=full.pk, actor=UserFactory())

    by_theme = page(client, LIST, theme=Theme.ENVIRONMENT)
    assert planting.get_absolute_url() in by_theme
    assert tutoring.get_absolute_url() not in by_theme

    with_places = page(client, LIST, with_places="on")
    assert tutoring.get_absolute_url() in with_places
    assert full.get_absolute_url() not in with_places

    found = page(client, LIST, q="植树")
    assert planting.get_absolute_url() in found
    assert tutoring.get_absolute_url() not in found

    community = page(client, LIST, community=tutoring.community_id)
    assert tutoring.get_absolute_url() in community
    assert planting.get_absolute_url() not in community


def test_filters_by_start_date(client, approver):
    now = timezone.now()
    soon, _ = published_activity(approver)
    later, _ = published_activity(
        approver,
        starts_at=now + datetime.timedelta(days=40),
        ends_at=now + datetime.timedelta(days=40, hours=2),
    )
    cutoff = timezone.localdate() + datetime.timedelta(days=20)

    after = page(client, LIST, starts_from=cutoff.isoformat())
    before = page(client, LIST, starts_until=cutoff.isoformat())

    assert later.get_absolute_url() in after
    assert soon.get_absolute_url() not in after
    assert soon.get_absolute_url() in before
    assert later.get_absolute_url() not in before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"starts_from": "notadate"}, "starts_from"),
        ({"q": "课后\x00辅导"}, "q"),
        ({"q": "x" * 10_000}, "q"),
        ({"community": "not-a-number"}, "community"),
        ({"theme": "<script>"}, "theme"),
        ({"starts_from": "2020-05-02", "starts_until": "2020-05-01"}, "starts_until"),
    ],
)
def test_a_filter_that_cannot_be_read_is_marked_and_the_page_still_answers(
    client, approver, params, field
):
    activity, _ = published_activity(approver)

    listing = page(client, LIST, **params)

    assert "Some filters could not be used" in listing
    marked = listing.split(f'name="{field}"')[0].rsplit('<div class="field', 1)[1]
    assert marked.startswith(" invalid")
    # The filter left out, the list still shows what the others allow.
    assert activity.get_absolute_url() in listing


def test_a_page_number_out_of_range_shows_the_last_page(client, approver):
    activity, _ = published_activity(approver)

    listing = page(client, LIST, page="999")

    assert activity.get_absolute_url() in listing


def _list_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        listing = page(client, LIST)
    return len(context.captured_queries), listing


def test_the_public_list_costs_the_same_queries_at_1_and_50_rows(client, approver):
    published_activity(approver)
    one, listing = _list_queries(client)
    assert listing.count("<tr>") == 2
    now = timezone.now()
    # Each with its own organization and community: a per-row lookup would show.
    Activity.objects.bulk_create(
        Activity(
            organization=OrganizationFactory(),
            created_by=approver,
            status=Status.PUBLISHED,
            **activity_fields(
                community=CommunityFactory(),
                starts_at=now + datetime.timedelta(days=8, minutes=n),
                ends_at=now + datetime.timedelta(days=8, hours=2),
            ),
        )
        for n in range(49)
    )

    fifty, listing = _list_queries(client)

    assert listing.count("<tr>") == 21  # the heading and a page of 20
    assert one == fifty


def test_upcoming_activities_come_first(client, approver):
    now = timezone.now()
    later, _ = published_activity(
        approver,
        starts_at=now + datetime.timedelta(days=20),
        ends_at=now + datetime.timedelta(days=20, hours=2),
    )
    sooner, _ = published_activity(approver)
    finished, staff = published_activity(approver)
    services.activity_cancel(activity_id=finished.pk, actor=staff, reason="场地不可用")

    listing = page(client, LIST)

    positions = [listing.index(a.get_absolute_url()) for a in (sooner, later, finished)]
    assert positions == sorted(positions)


# --- the calendar entry -----------------------------------------------------------------------


def test_the_calendar_entry_is_a_valid_event_in_utc(client, approver):
    activity, _ = published_activity(
        approver,
        title="Tutoring, maths; reading\\writing",
        content="第一行\n第二行：" + "很长的说明" * 30,
    )

    response = client.get(reverse("activities:ics", args=[activity.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    unfolded = raw.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:Tutoring\\, maths\\; reading\\\\writing\r\n" in unfolded
    assert "DESCRIPTION:第一行\\n第二行：" in unfolded
    starts = activity.starts_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{starts}\r\n" in unfolded
    assert f"UID:activity-{activity.pk}@" in unfolded
    assert f"URL:http://testserver{activity.get_absolute_url()}\r\n" in unfolded
    assert "STATUS:CONFIRMED" in unfolded


# --- the organization's pages -----------------------------------------------------------------


def test_staff_create_a_draft_submit_it_and_an_approver_task_appears(
    client, approver, django_capture_on_commit_callbacks
):
    organization, staff = org_with_staff()
    client.force_login(staff)
    assert reverse("activities:create") in page(client, reverse("activities:manage"))

    response = client.post(
        reverse("activities:create"), {**activity_form_data(title="敬老院探访"), "save": "1"}
    )

    activity = Activity.objects.get()
    assert response["Location"] == activity.get_absolute_url()
    assert (activity.status, activity.organization, activity.title) == (
        Status.DRAFT,
        organization,
        "敬老院探访",
    )
    detail = page(client, activity.get_absolute_url())
    assert "敬老院探访" in detail
    assert 'name="expected_status" value="draft"' in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("activities:submit", args=[activity.pk]), {"expected_status": "draft"}
        )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == Status.SUBMITTED
    assert open_task(activity).owner is None
    client.force_login(approver)
    assert "敬老院探访" in page(client, reverse("inbox:index") + "?tab=available")
    assert 'id="timeline"' in page(client, activity.get_absolute_url())


def test_save_and_submit_sends_the_new_activity_to_review(client):
    _organization, staff = org_with_staff()
    client.force_login(staff)

    client.post(reverse("activities:create"), {**activity_form_data(), "submit": "1"})

    activity = Activity.objects.get()
    assert activity.status == Status.SUBMITTED
    assert open_task(activity) is not None


def test_someone_in_two_organizations_chooses_which_one(client):
    first, staff = org_with_staff()
    second, _other = org_with_staff()
    organization_member_add(
        organization=second, user=staff, role=OrganizationMembership.Role.STAFF, actor=None
    )
    client.force_login(staff)
    form = page(client, reverse("activities:create"), organization=second.pk)
    assert f'<option value="{second.pk}" selected>' in form
    assert f'<option value="{first.pk}">' in form

    client.post(reverse("activities:create"), {**activity_form_data(), "organization": second.pk})

    assert Activity.objects.get().organization == second


def test_someone_in_no_organization_cannot_create(client, outsider):
    client.force_login(outsider)

    assert client.get(reverse("activities:create")).status_code == 404
    assert client.post(reverse("activities:create"), activity_form_data()).status_code == 404
    assert not Activity.objects.exists()


def test_a_schedule_that_makes_no_sense_is_refused_by_its_field(client):
    _organization, staff = org_with_staff()
    client.force_login(staff)
    now = timezone.now()

    response = client.post(
        reverse("activities:create"),
        activity_form_data(
            title="时间颠倒的活动",
            starts_at=now + datetime.timedelta(days=7),
            ends_at=now + datetime.timedelta(days=6),
        ),
    )

    assert response.status_code == 200
    field = response.content.decode().split('name="ends_at"')[1].split("</div>")[0]
    assert "must end after it starts" in field
    assert "时间颠倒的活动" in response.content.decode()
    assert not Activity.objects.exists()


def _jpeg_with_exif(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Secret Camera Maker"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_cover_is_stored_resized_as_a_jpeg_without_its_metadata(client):
    _organization, staff = org_with_staff()
    client.force_login(staff)
    upload = SimpleUploadedFile("photo.jpg", _jpeg_with_exif(3200, 1000), "image/jpeg")
    assert b"Secret Camera Maker" in upload.read()
    upload.seek(0)

    client.post(reverse("activities:create"), {**activity_form_data(), "cover": upload})

    cover = Activity.objects.get().cover
    assert cover.name.startswith("activities/covers/")
    assert cover.name.endswith(".jpg")
    data = cover.read()
    assert b"Secret Camera Maker" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (1600, 500))
        assert not stored.getexif()


def test_a_png_cover_with_transparency_becomes_a_jpeg(client):
    _organization, staff = org_with_staff()
    client.force_login(staff)
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(out, format="PNG")

    client.post(
        reverse("activities:create"),
        {**activity_form_data(), "cover": SimpleUploadedFile("c.png", out.getvalue())},
    )

    with Image.open(Activity.objects.get().cover) as stored:
        assert (stored.format, stored.size, stored.getpixel((0, 0))) == (
            "JPEG",
            (40, 30),
            (255, 255, 255),
        )


def test_a_text_file_named_jpg_is_refused_as_a_cover(client):
    _organization, staff = org_with_staff()
    client.force_login(staff)

    response = client.post(
        reverse("activities:create"),
        {**activity_form_data(), "cover": SimpleUploadedFile("c.jpg", b"not an image")},
    )

    assert response.status_code == 200
    assert 'name="cover"' in response.content.decode()
    assert not Activity.objects.exists()


def test_staff_edit_a_draft(client):
    organization, staff = org_with_staff()
    activity = draft_of(staff, organization)
    client.force_login(staff)

    response = client.post(
        reverse("activities:edit", args=[activity.pk]),
        {**activity_form_data(title="改过的标题", community=activity.community), "save": "1"},
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.status) == ("改过的标题", Status.DRAFT)


def test_once_published_only_time_place_capacity_and_content_change(client, approver):
    activity, staff = published_activity(approver, title="原标题")
    client.force_login(staff)
    form = page(client, reverse("activities:edit", args=[activity.pk]))
    title_input = form.split('name="title"')[1].split(">")[0]
    assert "disabled" in title_input

    client.post(
        reverse("activities:edit", args=[activity.pk]),
        {
            **activity_form_data(
                title="想改的标题", community=activity.community, address="新地址 9 号"
            ),
            "save": "1",
        },
    )

    activity.refresh_from_db()
    assert (activity.title, activity.address, activity.status) == (
        "原标题",
        "新地址 9 号",
        Status.PUBLISHED,
    )


def test_staff_cancel_with_a_reason(client):
    organization, staff = org_with_staff()
    activity = draft_of(staff, organization)
    client.force_login(staff)

    response = client.post(
        reverse("activities:cancel", args=[activity.pk]),
        {"reason": "合作方撤出", "expected_status": "draft"},
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.status, activity.cancel_reason) == (Status.CANCELLED, "合作方撤出")
    event = AuditEvent.objects.get(action="activity.cancelled")
    assert event.payload["reason"] == "合作方撤出"


def test_cancelling_without_a_reason_asks_for_one(client, approver):
    activity, staff = published_activity(approver)
    client.force_login(staff)

    response = client.post(
        reverse("activities:cancel", args=[activity.pk]),
        {"reason": "", "expected_status": "published"},
    )

    assert response.status_code == 400
    field = response.content.decode().split('name="reason"')[1].split("</div>")[0]
    assert "This field is required." in field
    activity.refresh_from_db()
    assert activity.status == Status.PUBLISHED


def test_staff_close_registration_start_and_complete_by_hand(client, approver):
    activity, staff = published_activity(approver)
    client.force_login(staff)
    url = reverse("activities:advance", args=[activity.pk])
    assert 'value="close_registration"' in page(client, activity.get_absolute_url())

    for step, state in (
        ("close_registration", Status.REGISTRATION_CLOSED),
        ("start", Status.IN_PROGRESS),
        ("complete", Status.COMPLETED),
    ):
        client.post(url, {"step": step, "expected_status": activity.status})
        activity.refresh_from_db()
        assert activity.status == state


def test_a_stale_advance_changes_nothing_and_says_so(client, approver):
    activity, staff = published_activity(approver)
    client.force_login(staff)
    url = reverse("activities:advance", args=[activity.pk])
    client.post(url, {"step": "close_registration", "expected_status": "published"})

    response = client.post(url, {"step": "start", "expected_status": "published"}, follow=True)

    assert "changed state in the meantime" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == Status.REGISTRATION_CLOSED


def test_an_unknown_step_is_refused_with_a_message(client, approver):
    activity, staff = published_activity(approver)
    client.force_login(staff)

    response = client.post(
        reverse("activities:advance", args=[activity.pk]),
        {"step": "delete", "expected_status": "published"},
        follow=True,
    )

    assert "Unknown step." in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == Status.PUBLISHED


def test_the_reviewer_comment_is_shown_to_staff_when_changes_are_requested(client, approver):
    organization, staff = org_with_staff()
    activity = draft_of(staff, organization)
    services.activity_submit(activity_id=activity.pk, actor=staff)
    decide(activity, approver, "request_changes", "请写明集合地点")
    client.force_login(staff)

    detail = page(client, activity.get_absolute_url())

    assert "请写明集合地点" in detail.split('id="review-comment"')[1]
    assert "Revise and resubmit the activity" in detail


def test_the_manage_list_filters_by_status(client, approver):
    published, staff = published_activity(approver)
    draft = draft_of(staff, published.organization)
    client.force_login(staff)

    drafts = page(client, reverse("activities:manage"), status="draft")
    everything = page(client, reverse("activities:manage"))

    assert draft.get_absolute_url() in drafts
    assert published.get_absolute_url() not in drafts
    assert published.get_absolute_url() in everything


def test_an_approver_sees_submitted_activities_to_manage(client, approver):
    organization, staff = org_with_staff()
    submitted = draft_of(staff, organization)
    services.activity_submit(activity_id=submitted.pk, actor=staff)
    draft = draft_of(staff, organization)
    client.force_login(approver)

    listing = page(client, reverse("activities:manage"))

    assert submitted.get_absolute_url() in listing
    assert draft.get_absolute_url() not in listing


# --- outsiders --------------------------------------------------------------------------------


def test_an_outsider_cannot_submit_cancel_or_advance(client, approver, outsider):
    published, staff = published_activity(approver)
    draft = draft_of(staff, published.organization)
    client.force_login(outsider)

    assert client.post(reverse("activities:submit", args=[draft.pk])).status_code == 404
    assert (
        client.post(reverse("activities:cancel", args=[draft.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert client.get(reverse("activities:edit", args=[published.pk])).status_code == 404
    cancel = client.post(
        reverse("activities:cancel", args=[published.pk]),
        {"reason": "捣乱", "expected_status": "published"},
        follow=True,
    )
    advance = client.post(
        reverse("activities:advance", args=[published.pk]),
        {"step": "close_registration", "expected_status": "published"},
        follow=True,
    )

    for response in (cancel, advance):
        assert "You are not allowed to do this." in response.content.decode()
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.status, draft.status) == (Status.PUBLISHED, Status.DRAFT)
    assert not AuditEvent.objects.filter(
        action__in=["activity.cancelled", "activity.registration_closed", "activity.submitted"],
        actor=outsider,
    ).exists()
    assert AuditEvent.objects.filter(action="permission.denied", actor=outsider).exists()


def test_the_manage_pages_need_a_login(client):
    response = client.get(reverse("activities:manage"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_cover_is_served_to_whoever_may_see_the_activity(client):
    _organization, staff = org_with_staff()
    client.force_login(staff)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    client.post(
        reverse("activities:create"),
        {**activity_form_data(), "cover": SimpleUploadedFile("c.png", out.getvalue())},
    )
    activity = Activity.objects.get()
    cover = reverse("activities:cover", args=[activity.pk])
    response = client.get(cover)
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert cover in client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    # A draft's cover is as hidden as the draft.
    client.logout()
    assert client.get(cover).status_code == 404


def test_staff_write_questions_and_a_resident_answers_them_on_the_page(client, approver):
    text = "紧急联系人电话 *\nT恤尺码: S / M / L"
    questions = parse_questions(text)
    assert questions == [
        {"label": "紧急联系人电话", "required": True, "choices": []},
        {"label": "T恤尺码", "required": False, "choices": ["S", "M", "L"]},
    ]
    assert parse_questions(format_questions(questions)) == questions
    activity, _staff = published_activity(approver, questions=questions)
    person = UserFactory()
    client.force_login(person)
    detail = page(client, activity.get_absolute_url())
    assert "紧急联系人电话" in detail
    assert 'name="answer_1"' in detail
    url = reverse("activities:register", args=[activity.pk])
    refused = client.post(url, {"answer_1": "M"}, follow=True).content.decode()
    assert "紧急联系人电话" in refused
    assert not Registration.objects.exists()
    client.post(url, {"answer_0": "13800000000", "answer_1": "L"})
    assert Registration.objects.get().answers == {"紧急联系人电话": "13800000000", "T恤尺码": "L"}


def test_bad_question_lines_are_refused_by_the_field(client):
    _organization, staff = org_with_staff()
    client.force_login(staff)
    response = client.post(
        reverse("activities:create"),
        {**activity_form_data(), "questions_text": "尺码: S\n尺码"},
    )
    assert response.status_code in (200, 400)
    assert "at least two options" in response.content.decode()
    assert not Activity.objects.exists()


def test_a_refused_registration_keeps_what_was_typed(client, approver):
    questions = [
        {"label": "紧急联系人电话", "required": True, "choices": []},
        {"label": "备注", "required": False, "choices": []},
    ]
    activity, _staff = published_activity(approver, questions=questions)
    client.force_login(UserFactory())
    response = client.post(
        reverse("activities:register", args=[activity.pk]), {"answer_1": "我会提前十分钟到"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "我会提前十分钟到" in text
    assert "errorlist" in text
    assert not Registration.objects.exists()
