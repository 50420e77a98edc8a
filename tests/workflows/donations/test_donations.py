"""Donations and their signed receipts, through the real pages as the organization's staff,
its administrators and residents (Celery runs eagerly once each transaction commits)."""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from accounts.models import Notification
from accounts.states import StateChanged
from audit.models import AuditEvent
from documents.models import Document
from signing import services as signing_services
from tests.audit.helpers import denials
from tests.factories import UserFactory
from workflows.donations import services
from workflows.donations.models import Channel, Donation, DonationProject, ReceiptCounter
from workflows.donations.pdfs import receipts as receipt_pdfs
from workflows.donations.selectors.totals import project_received
from workflows.donations.tasks import issue_receipt

from .helpers import org_with_people, project_in

pytestmark = pytest.mark.django_db

Status = Donation.Status


def _pdf_bytes(document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


def _pdf_text(document) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=_pdf_bytes(document), capture_output=True, check=True
    ).stdout.decode()


def _code(document) -> str:
    return document.document_code or document.verification_code


def record_form(**overrides) -> dict:
    data = {
        "donor_name": "李明",
        "donor_email": "liming@example.org",
        "donor_phone": "13800000001",
        "amount": "1234.50",
        "channel": Channel.BANK_TRANSFER,
        "in_kind_description": "",
        "received_on": timezone.localdate().isoformat(),
        "reference": "BANK-20260101-001",
    }
    data.update(overrides)
    return data


@pytest.fixture
def people():
    """(project, staff, admin): an open project of an organization with its people."""
    organization, staff, admin = org_with_people()
    return project_in(organization=organization, created_by=staff), staff, admin


def record(project, staff, **overrides) -> Donation:
    """A donation recorded by `staff` (its receipt is not issued: no commit here)."""
    fields = {
        "amount": Decimal("100.00"),
        "channel": Channel.CASH,
        "received_on": timezone.localdate(),
        "donor_name": "张三",
    }
    fields.update(overrides)
    return services.donation_record(actor=staff, project_id=project.pk, **fields)


@pytest.mark.parametrize(("consent", "anonymous"), [({}, True), ({"named_publicly": "on"}, False)])
def test_a_donor_is_named_publicly_only_when_they_agreed(client, people, consent, anonymous):
    project, staff, _admin = people
    client.force_login(staff)

    client.post(reverse("donations:donation_record", args=[project.pk]), record_form(**consent))

    donation = Donation.objects.get(project=project)
    assert donation.anonymous is anonymous
    assert ("李明" in client.get(project.get_public_url()).content.decode()) is not anonymous


def test_a_pledger_who_asks_for_it_is_named_publicly(client, people):
    project, _staff, _admin = people
    client.force_login(UserFactory())

    client.post(
        reverse("donations:pledge", args=[project.pk]),
        {"amount": "50.00", "named_publicly": "on"},
    )

    assert Donation.objects.get(project=project).anonymous is False


# --- recording, and the receipt ------------------------------------------------------------


def test_staff_record_a_donation_that_is_received_numbered_and_gets_a_signed_receipt(
    client, people, django_capture_on_commit_callbacks, mailoutbox
):
    project, staff, _admin = people
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("donations:donation_record", args=[project.pk]), record_form()
        )

    assert response.status_code == 302
    donation = Donation.objects.get(project=project)
    year = timezone.localdate().year
    assert donation.status == Status.CONFIRMED
    assert donation.amount == Decimal("1234.50")
    assert (donation.confirmed_by, donation.recorded_by) == (staff, staff)
    assert donation.confirmed_at is not None
    assert donation.organization_id == project.organization_id
    assert (donation.receipt_year, donation.receipt_sequence) == (year, 1)
    assert donation.receipt_number == f"{year}-000001"
    recorded = AuditEvent.objects.get(action="donation.recorded")
    assert (recorded.actor, recorded.from_state, recorded.to_state) == (staff, "", "confirmed")
    assert recorded.payload["amount"] == "1234.50"
    assert recorded.payload["receipt_number"] == donation.receipt_number
    receipt = donation.receipt
    assert receipt is not None
    assert receipt.kind == "donation_receipt"
    assert donation.receipt_error == ""
    assert AuditEvent.objects.filter(
        action="donation.receipt_issued", target_id=str(donation.pk)
    ).exists()
    assert project_received(project_id=project.pk) == Decimal("1234.50")


def test_the_receipt_is_sealed_by_the_organization_and_says_what_was_received(
    people, django_capture_on_commit_callbacks
):
    project, staff, _admin = people

    with django_capture_on_commit_callbacks(execute=True):
        donation = record(
            project,
            staff,
            amount=Decimal("88.80"),
            donor_name="王小红",
            reference="REF-42",
        )

    donation.refresh_from_db()
    report = signing_services.validate_pdf(_pdf_bytes(donation.receipt))
    assert report.ok
    signature = donation.receipt.signature_records.get()
    assert signature.identity.owner_id == str(project.organization_id)
    assert signature.user is None
    text = _pdf_text(donation.receipt)
    assert "88.80" in text
    assert donation.receipt_number in text
    assert "王小红" in text
    assert project.title in text
    assert project.organization.name in text
    assert "REF-42" in text
    assert "Donation receipt" in text
    assert _code(donation.receipt) in text.replace(" ", "")


def test_the_receipt_names_an_anonymous_donor_but_the_public_check_does_not(
    client, people, django_capture_on_commit_callbacks
):
    project, staff, _admin = people
    with django_capture_on_commit_callbacks(execute=True):
        named = record(project, staff, donor_name="赵六", anonymous=True)
        nameless = record(project, staff, donor_name="")
    named.refresh_from_db()
    nameless.refresh_from_db()

    page = client.get(reverse("signing:verify_document", args=[_code(named.receipt)]))

    assert "赵六" in _pdf_text(named.receipt)
    assert "Anonymous donor" in _pdf_text(nameless.receipt)
    assert page.status_code == 200
    assert "赵六" not in page.content.decode()


def test_an_in_kind_donation_prints_what_was_given_and_how_it_was_valued(
    client, people, django_capture_on_commit_callbacks
):
    project, staff, _admin = people
    client.force_login(staff)
    description = "棉衣 40 件，按发票价每件 75 元计"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("donations:donation_record", args=[project.pk]),
            record_form(channel=Channel.IN_KIND, amount="3000.00", in_kind_description=description),
        )

    donation = Donation.objects.get(project=project)
    assert donation.channel == Channel.IN_KIND
    assert description in _pdf_text(donation.receipt).replace("\n", "")


def test_the_donor_is_emailed_the_receipt_after_the_commit(
    client, people, django_capture_on_commit_callbacks, mailoutbox
):
    project, staff, _admin = people
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        client.post(reverse("donations:donation_record", args=[project.pk]), record_form())
        # Nothing goes out before the transaction commits.
        assert [m for m in mailoutbox if "liming@example.org" in m.to] == []

    donation = Donation.objects.get(project=project)
    (message,) = [m for m in mailoutbox if m.to == ["liming@example.org"]]
    assert donation.receipt_number in message.subject
    assert "1234.50" in message.body
    assert len(queued) >= 1
    ((name, content, mimetype),) = message.attachments
    assert name == f"receipt-{donation.receipt_number}.pdf"
    assert mimetype == "application/pdf"
    assert content == _pdf_bytes(donation.receipt)


def test_no_receipt_email_without_the_donors_address(
    client, people, django_capture_on_commit_callbacks, mailoutbox
):
    project, staff, _admin = people
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("donations:donation_record", args=[project.pk]),
            record_form(donor_email=""),
        )

    assert Donation.objects.get(project=project).receipt is not None
    assert [m for m in mailoutbox if m.attachments] == []


def test_issuing_a_receipt_twice_returns_the_same_document(
    people, django_capture_on_commit_callbacks
):
    project, staff, _admin = people
    with django_capture_on_commit_callbacks(execute=True):
        donation = record(project, staff)
    donation.refresh_from_db()

    again = receipt_pdfs.receipt_issue(donation.pk)

    assert again == donation.receipt
    assert Document.objects.filter(kind="donation_receipt").count() == 1
    assert AuditEvent.objects.filter(action="donation.receipt_issued").count() == 1


def test_a_donation_voided_before_its_receipt_gets_none(people, admin_void):
    project, staff, admin = people
    donation = record(project, staff)  # its receipt task never ran
    admin_void(donation, admin)

    assert receipt_pdfs.receipt_issue(donation.pk) is None
    donation.refresh_from_db()
    assert donation.receipt is None


@pytest.fixture
def admin_void():
    def void(donation, admin, reason="重复录入"):
        return services.donation_void(donation_id=donation.pk, actor=admin, reason=reason)

    return void


def test_a_failed_receipt_is_kept_on_the_donation(people, monkeypatch):
    project, staff, _admin = people
    donation = record(project, staff)

    def broken(**kwargs):
        raise RuntimeError("the signing key is not available")

    monkeypatch.setattr(receipt_pdfs.signing_services, "document_render_sealed", broken)
    issue_receipt.delay(donation.pk)

    donation.refresh_from_db()
    assert donation.receipt is None
    assert donation.receipt_error == "RuntimeError: the signing key is not available"
    assert not AuditEvent.objects.filter(action="donation.receipt_issued").exists()


def _record_then_fail(project, staff) -> None:
    with transaction.atomic():
        record(project, staff)
        raise RuntimeError


def test_the_receipt_task_is_queued_on_commit_and_not_on_rollback(
    people, django_capture_on_commit_callbacks
):
    project, staff, _admin = people

    with django_capture_on_commit_callbacks() as committed:
        record(project, staff)
    with django_capture_on_commit_callbacks() as rolled_back, pytest.raises(RuntimeError):
        _record_then_fail(project, staff)

    assert len(committed) == 1
    assert rolled_back == []
    assert Donation.objects.count() == 1


# --- receipt numbers ------------------------------------------------------------------------


def test_receipt_numbers_count_per_organization_and_year_and_restart_in_a_new_year(people):
    project, staff, _admin = people
    other_org, other_staff, _other_admin = org_with_people()
    other_project = project_in(organization=other_org, created_by=other_staff)

    with time_machine.travel(dt.datetime(2031, 12, 31, 10, tzinfo=dt.UTC), tick=False):
        first = record(project, staff, received_on=dt.date(2031, 12, 30))
        second = record(project, staff, received_on=dt.date(2031, 12, 31))
        elsewhere = record(other_project, other_staff, received_on=dt.date(2031, 12, 31))
    with time_machine.travel(dt.datetime(2032, 1, 2, 10, tzinfo=dt.UTC), tick=False):
        next_year = record(project, staff, received_on=dt.date(2031, 12, 31))

    assert [first.receipt_number, second.receipt_number] == ["2031-000001", "2031-000002"]
    assert elsewhere.receipt_number == "2031-000001"
    assert next_year.receipt_number == "2032-000001"
    assert ReceiptCounter.objects.get(organization=project.organization, year=2031).last == 2
    assert ReceiptCounter.objects.get(organization=other_org, year=2031).last == 1


def test_a_pledge_is_numbered_when_it_is_confirmed_not_when_it_is_made(people):
    project, staff, _admin = people
    resident = UserFactory()
    pledge = services.donation_pledge(actor=resident, project_id=project.pk, amount=Decimal("50"))
    recorded = record(project, staff)

    confirmed = services.donation_confirm(
        donation_id=pledge.pk, actor=staff, received_on=timezone.localdate()
    )

    assert pledge.receipt_number == ""
    year = timezone.localdate().year
    assert recorded.receipt_number == f"{year}-000001"
    assert confirmed.receipt_number == f"{year}-000002"


# --- pledges --------------------------------------------------------------------------------


def test_a_resident_pledges_staff_confirm_and_the_pledger_gets_the_receipt(
    client, people, django_capture_on_commit_callbacks, mailoutbox
):
    project, staff, admin = people
    DonationProject.objects.filter(pk=project.pk).update(
        questions=[
            {"label": "如何得知本项目", "required": True, "choices": ["朋友", "社区公告"]},
            {"label": "留言", "required": False, "choices": []},
        ]
    )
    resident = UserFactory(email="resident@example.org")
    client.force_login(resident)

    response = client.post(
        reverse("donations:pledge", args=[project.pk]),
        {"amount": "200.00", "answer_0": "朋友", "answer_1": "加油"},
    )

    assert response.status_code == 302
    pledge = Donation.objects.get(project=project)
    assert (pledge.status, pledge.channel, pledge.pledged_by) == (
        Status.PLEDGED,
        Channel.ONLINE,
        resident,
    )
    # Not named publicly: the resident did not say their name may be shown.
    assert pledge.anonymous is True
    assert pledge.donor_name == str(resident)
    assert pledge.answers == {"如何得知本项目": "朋友", "留言": "加油"}
    assert pledge.receipt_number == ""
    event = AuditEvent.objects.get(action="donation.pledged")
    assert (event.actor, event.to_state, event.payload["amount"]) == (resident, "pledged", "200.00")
    for member in (staff, admin):
        assert Notification.objects.filter(recipient=member, subject__contains=project.title)

    client.force_login(staff)
    listing = client.get(reverse("donations:donation_list", args=[project.pk])).content.decode()
    assert reverse("donations:donation_confirm", args=[pledge.pk]) in listing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("donations:donation_confirm", args=[pledge.pk]),
            {
                "received_on": timezone.localdate().isoformat(),
                "reference": "WX-0001",
                "expected_status": "pledged",
            },
        )

    pledge.refresh_from_db()
    assert pledge.status == Status.CONFIRMED
    assert (pledge.confirmed_by, pledge.reference) == (staff, "WX-0001")
    assert pledge.receipt_number == f"{timezone.localdate().year}-000001"
    assert signing_services.validate_pdf(_pdf_bytes(pledge.receipt)).ok
    confirmed = AuditEvent.objects.get(action="donation.confirmed")
    assert (confirmed.from_state, confirmed.to_state) == ("pledged", "confirmed")
    assert Notification.objects.filter(recipient=resident, subject__contains=pledge.receipt_number)
    assert [m for m in mailoutbox if m.to == ["resident@example.org"] and m.attachments]

    client.force_login(resident)
    mine = client.get(reverse("donations:mine")).content.decode()
    assert reverse("donations:receipt", args=[pledge.pk]) in mine
    download = client.get(reverse("donations:receipt", args=[pledge.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == _pdf_bytes(pledge.receipt)


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in_to_pledge(client, people):
    project, _staff, _admin = people

    response = client.get(reverse("donations:pledge", args=[project.pk]))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_pledger_withdraws_a_pledge(client, people):
    project, _staff, _admin = people
    resident = UserFactory()
    pledge = services.donation_pledge(actor=resident, project_id=project.pk, amount=Decimal("10"))
    client.force_login(resident)

    client.post(
        reverse("donations:pledge_withdraw", args=[pledge.pk]), {"expected_status": "pledged"}
    )

    pledge.refresh_from_db()
    assert pledge.status == Status.WITHDRAWN
    event = AuditEvent.objects.get(action="donation.withdrawn")
    assert (event.actor, event.from_state, event.to_state) == (resident, "pledged", "withdrawn")


def test_another_resident_cannot_withdraw_someone_elses_pledge(client, people):
    project, _staff, _admin = people
    pledge = services.donation_pledge(
        actor=UserFactory(), project_id=project.pk, amount=Decimal("10")
    )
    intruder = UserFactory()
    client.force_login(intruder)

    response = client.post(reverse("donations:pledge_withdraw", args=[pledge.pk]))

    assert response.status_code == 404
    pledge.refresh_from_db()
    assert pledge.status == Status.PLEDGED
    assert denials().get().actor == intruder


def test_a_required_question_unanswered_or_an_unknown_choice_saves_nothing(client, people):
    project, _staff, _admin = people
    DonationProject.objects.filter(pk=project.pk).update(
        questions=[{"label": "来源", "required": True, "choices": ["朋友", "社区公告"]}]
    )
    client.force_login(UserFactory())

    missing = client.post(reverse("donations:pledge", args=[project.pk]), {"amount": "5"})
    unknown = client.post(
        reverse("donations:pledge", args=[project.pk]), {"amount": "5", "answer_0": "广告"}
    )

    assert (missing.status_code, unknown.status_code) == (400, 400)
    assert Donation.objects.count() == 0


# --- open projects only ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [DonationProject.Status.CLOSED, DonationProject.Status.SUBMITTED]
)
def test_recording_is_refused_unless_the_project_is_open(client, status):
    organization, staff, _admin = org_with_people()
    project = project_in(status, organization=organization, created_by=staff)
    client.force_login(staff)

    page = client.get(reverse("donations:donation_record", args=[project.pk])).content.decode()
    response = client.post(
        reverse("donations:donation_record", args=[project.pk]), record_form(), follow=True
    )

    assert "not open for donations" in page
    assert response.status_code == 400
    assert "not open for donations" in response.content.decode()
    assert Donation.objects.count() == 0
    assert ReceiptCounter.objects.count() == 0


def test_pledges_and_confirmations_are_refused_once_the_project_closed(client, people):
    project, staff, _admin = people
    pledge = services.donation_pledge(
        actor=UserFactory(), project_id=project.pk, amount=Decimal("10")
    )
    DonationProject.objects.filter(pk=project.pk).update(status=DonationProject.Status.CLOSED)
    client.force_login(staff)

    client.post(
        reverse("donations:donation_confirm", args=[pledge.pk]),
        {"received_on": timezone.localdate().isoformat()},
    )
    with pytest.raises(ValidationError):
        services.donation_pledge(actor=UserFactory(), project_id=project.pk, amount=Decimal("1"))

    pledge.refresh_from_db()
    assert (pledge.status, pledge.receipt_number) == (Status.PLEDGED, "")


# --- voiding --------------------------------------------------------------------------------


def test_an_admin_voids_a_donation_and_its_receipt_says_void_and_why(
    client, people, django_capture_on_commit_callbacks
):
    project, staff, admin = people
    with django_capture_on_commit_callbacks(execute=True):
        donation = record(project, staff, amount=Decimal("500.00"))
    donation.refresh_from_db()
    code = _code(donation.receipt)
    before = client.get(reverse("signing:verify_document", args=[code])).content.decode()
    assert 'id="owner-status">Valid<' in before
    client.force_login(admin)

    form = client.get(reverse("donations:donation_void", args=[donation.pk]))
    response = client.post(
        reverse("donations:donation_void", args=[donation.pk]),
        {"reason": "银行退回，重复录入", "expected_status": "confirmed"},
    )

    assert form.status_code == 200
    assert response.status_code == 302
    donation.refresh_from_db()
    assert (donation.status, donation.voided_by) == (Status.VOID, admin)
    assert donation.amount == Decimal("500.00")
    assert donation.void_reason == "银行退回，重复录入"
    event = AuditEvent.objects.get(action="donation.voided")
    assert (event.from_state, event.to_state) == ("confirmed", "void")
    assert event.payload["reason"] == "银行退回，重复录入"
    assert event.payload["amount"] == "500.00"
    assert project_received(project_id=project.pk) == Decimal("0.00")
    client.logout()
    page = client.get(reverse("signing:verify_document", args=[code])).content.decode()
    assert 'id="owner-status">Void: 银行退回，重复录入<' in page


def test_staff_who_are_not_admins_cannot_void(client, people):
    project, staff, _admin = people
    donation = record(project, staff)
    client.force_login(staff)

    response = client.post(
        reverse("donations:donation_void", args=[donation.pk]), {"reason": "错误"}
    )

    assert response.status_code == 404
    donation.refresh_from_db()
    assert donation.status == Status.CONFIRMED
    assert denials().get().actor == staff
    with pytest.raises(PermissionDenied):
        services.donation_void(donation_id=donation.pk, actor=staff, reason="错误")


def test_a_void_needs_a_reason(client, people):
    project, staff, admin = people
    donation = record(project, staff)
    client.force_login(admin)

    response = client.post(
        reverse("donations:donation_void", args=[donation.pk]), {"reason": "   "}
    )

    assert response.status_code == 400
    donation.refresh_from_db()
    assert donation.status == Status.CONFIRMED
    with pytest.raises(ValidationError):
        services.donation_void(donation_id=donation.pk, actor=admin, reason="")


# --- services: state and permission ---------------------------------------------------------


def test_a_received_donation_cannot_be_confirmed_again(people):
    project, staff, _admin = people
    donation = record(project, staff)

    with pytest.raises(TransitionNotAllowed):
        services.donation_confirm(
            donation_id=donation.pk, actor=staff, received_on=timezone.localdate()
        )
    with pytest.raises(StateChanged):
        services.donation_confirm(
            donation_id=donation.pk,
            actor=staff,
            received_on=timezone.localdate(),
            expected_status="pledged",
        )


def test_only_the_organization_records_and_confirms(people):
    project, _staff, _admin = people
    outsider = UserFactory()
    pledge = services.donation_pledge(
        actor=UserFactory(), project_id=project.pk, amount=Decimal("10")
    )

    with pytest.raises(PermissionDenied):
        record(project, outsider)
    with pytest.raises(PermissionDenied):
        services.donation_confirm(
            donation_id=pledge.pk, actor=outsider, received_on=timezone.localdate()
        )
    assert Donation.objects.filter(status=Status.CONFIRMED).count() == 0


# --- who sees what --------------------------------------------------------------------------


def test_outsiders_get_404_for_the_list_the_pages_and_the_receipt_and_are_audited(
    client, people, django_capture_on_commit_callbacks
):
    project, staff, _admin = people
    with django_capture_on_commit_callbacks(execute=True):
        donation = record(project, staff)
    outsider = UserFactory()
    client.force_login(outsider)

    responses = [
        client.get(reverse("donations:donation_list", args=[project.pk])),
        client.get(reverse("donations:donation_record", args=[project.pk])),
        client.get(reverse("donations:receipt", args=[donation.pk])),
        client.get(reverse("donations:receipt", args=[donation.pk + 1000])),
        client.post(
            reverse("donations:donation_confirm", args=[donation.pk]),
            {"received_on": timezone.localdate().isoformat()},
        ),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    targets = {(e.actor_id, e.target_id) for e in denials()}
    assert (outsider.pk, str(project.pk)) in targets
    assert (outsider.pk, str(donation.pk)) in targets


def test_an_approver_reads_the_list_and_the_receipt_but_records_nothing(
    client, people, approver, django_capture_on_commit_callbacks
):
    project, staff, _admin = people
    with django_capture_on_commit_callbacks(execute=True):
        donation = record(project, staff)
    client.force_login(approver)

    listing = client.get(reverse("donations:donation_list", args=[project.pk]))
    download = client.get(reverse("donations:receipt", args=[donation.pk]))
    form = client.get(reverse("donations:donation_record", args=[project.pk]))

    assert listing.status_code == 200
    assert donation.receipt_number in listing.content.decode()
    assert download.status_code == 200
    assert form.status_code == 404


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount": "-5.00"},
        {"amount": "0"},
        {"amount": "0.001"},
        {"amount": "NaN"},
        {"amount": "Infinity"},
        {"amount": "1e20"},
        {"amount": "10000000000.00"},
        {"amount": "一百"},
        {"amount": ""},
        {"donor_name": "李\x00明"},
        {"donor_name": "名" * 10_000},
        {"donor_name": "\ufffe\ue000"},
        {"reference": "\x00" * 3},
        {"donor_email": "not an email"},
        {"received_on": "2026-02-30"},
        {"received_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat()},
        {"channel": "bitcoin"},
        {"channel": Channel.IN_KIND, "in_kind_description": ""},
        {"channel": Channel.IN_KIND, "in_kind_description": "   "},
        {"channel": Channel.IN_KIND, "in_kind_description": "米" * 5_000},
    ],
)
def test_bad_input_to_the_record_page_is_a_form_error_and_saves_nothing(client, people, overrides):
    project, staff, _admin = people
    client.force_login(staff)

    response = client.post(
        reverse("donations:donation_record", args=[project.pk]), record_form(**overrides)
    )

    assert response.status_code == 400
    assert response.context["form"].errors
    assert Donation.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="donation.").exists()


@pytest.mark.parametrize("amount", ["-1", "0", "NaN", "-Infinity", "1.005", "99999999999", "x"])
def test_bad_amounts_to_the_pledge_page_are_form_errors(client, people, amount):
    project, _staff, _admin = people
    client.force_login(UserFactory())

    response = client.post(reverse("donations:pledge", args=[project.pk]), {"amount": amount})

    assert response.status_code == 400
    assert "amount" in response.context["form"].errors
    assert Donation.objects.count() == 0


@pytest.mark.parametrize("amount", [-1, 0, 0.1, "NaN", "1.001", Decimal("1e12"), None])
def test_the_services_refuse_bad_amounts_themselves(people, amount):
    project, staff, _admin = people

    with pytest.raises(ValidationError):
        record(project, staff, amount=amount)
    assert Donation.objects.count() == 0


def test_a_huge_void_reason_is_a_form_error(client, people):
    project, staff, admin = people
    donation = record(project, staff)
    client.force_login(admin)

    response = client.post(
        reverse("donations:donation_void", args=[donation.pk]), {"reason": "错" * 5_000}
    )

    assert response.status_code == 400
    donation.refresh_from_db()
    assert donation.status == Status.CONFIRMED


# --- query counts ---------------------------------------------------------------------------


def _add_donations(project, staff, count: int) -> None:
    resident = UserFactory()
    rows = []
    for n in range(count):
        pledged = n % 3 == 0
        rows.append(
            Donation(
                project=project,
                organization=project.organization,
                donor_name=f"捐赠人 {n}",
                amount=Decimal("10.00") + n,
                channel=Channel.ONLINE if pledged else Channel.CASH,
                status=Status.PLEDGED if pledged else Status.CONFIRMED,
                pledged_by=resident if pledged else None,
                recorded_by=None if pledged else staff,
                confirmed_by=None if pledged else staff,
                received_on=None if pledged else timezone.localdate(),
                receipt_year=None if pledged else 2000,
                receipt_sequence=None if pledged else 10_000 + n,
                receipt_number="" if pledged else f"2000-{n:06d}",
            )
        )
    Donation.objects.bulk_create(rows)


def test_the_donation_list_costs_the_same_queries_for_1_and_50_donations(
    client, people, django_assert_num_queries
):
    project, _staff, admin = people
    client.force_login(admin)
    url = reverse("donations:donation_list", args=[project.pk])
    _add_donations(project, admin, 1)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as at_one:
        assert client.get(url).status_code == 200

    _add_donations(project, admin, 49)

    with django_assert_num_queries(len(at_one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('id="donation-') == 50
