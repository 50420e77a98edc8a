"""Service records and their signed certificates, from the completion of an activity."""

import datetime
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.urls import reverse

from accounts.models import Notification
from audit.models import AuditEvent
from signing import services as signing_services
from tests.factories import UserFactory
from workflows.activities import services as activities
from workflows.service import services
from workflows.service.models import Kind, ServiceRecord

from .helpers import completed_activity, records_of


def _pdf_text(document) -> str:
    with document.file.open("rb") as stored:
        data = stored.read()
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_completing_gives_each_attendee_one_record_and_a_signed_certificate(approver):
    activity, _staff, attendees = completed_activity(approver, attendees=2, no_shows=1)

    records = records_of(activity)

    assert sorted(r.person_id for r in records) == sorted(p.pk for p in attendees)
    for record in records:
        assert (record.kind, record.hours, record.points) == (Kind.CREDIT, Decimal("3.00"), 10)
        assert record.organization_id == activity.organization_id
        document = record.certificate
        assert document is not None
        assert document.kind == "service_certificate"
        with document.file.open("rb") as stored:
            report = signing_services.validate_pdf(stored.read())
        assert report.ok
        text = _pdf_text(document)
        assert str(record.person) in text
        assert activity.title in text
        assert "志愿服务证明" in text
        assert "Certificate of volunteer service" in text
        assert (document.document_code or document.verification_code) in text.replace(" ", "")
        assert Notification.objects.filter(
            recipient=record.person, subject__contains=activity.title
        ).exists()
    assert AuditEvent.objects.filter(action="service_record.created").count() == 2


def test_the_certificate_is_signed_with_the_organizations_identity(approver):
    activity, _staff, _attendees = completed_activity(approver, attendees=1, no_shows=0)
    (record,) = records_of(activity)

    signature = record.certificate.signature_records.get()

    assert signature.identity.owner_id == str(activity.organization_id)
    assert signature.user is None


def test_hours_follow_the_actual_check_in_and_out_capped_by_the_activitys(approver):
    short, _s, _a = completed_activity(
        approver, attendees=1, no_shows=0, stay=datetime.timedelta(hours=1, minutes=30)
    )
    long, _s, _a = completed_activity(
        approver, attendees=1, no_shows=0, stay=datetime.timedelta(hours=9)
    )

    assert records_of(short)[0].hours == Decimal("1.50")
    assert records_of(long)[0].hours == Decimal("3.00")


def test_a_second_completion_event_creates_nothing_twice(approver):
    activity, _staff, _attendees = completed_activity(approver, attendees=2, no_shows=0)
    registrations = list(activity.registrations.order_by("pk"))

    again = services.service_records_for_completed_activity(
        activity_id=activity.pk,
        organization_id=activity.organization_id,
        title=activity.title,
        served_on=activity.starts_at.date(),
        service_hours=activity.service_hours,
        points=activity.points,
        attended=[
            {
                "registration_id": r.pk,
                "person_id": r.person_id,
                "checked_in_at": r.checked_in_at,
                "checked_out_at": r.checked_out_at,
            }
            for r in registrations
        ],
    )

    assert again == []
    assert ServiceRecord.objects.filter(activity=activity).count() == 2


def test_a_correction_keeps_the_old_record_and_supersedes_its_certificate(client, approver):
    activity, staff, _attendees = completed_activity(approver, attendees=1, no_shows=0)
    (record,) = records_of(activity)
    admin = UserFactory()
    from accounts.models import OrganizationMembership
    from accounts.services import organization_member_add

    organization_member_add(
        organization=activity.organization,
        user=admin,
        role=OrganizationMembership.Role.ADMIN,
        actor=None,
    )
    with pytest.raises(PermissionDenied):
        services.service_record_correct(
            record_id=record.pk, actor=staff, hours=Decimal("2"), reason="签到时间记录有误"
        )

    with TestCase.captureOnCommitCallbacks(execute=True):
        replacement = services.service_record_correct(
            record_id=record.pk, actor=admin, hours=Decimal("2.5"), reason="签到时间记录有误"
        )

    record.refresh_from_db()
    replacement.refresh_from_db()
    assert record.superseded_by_id == replacement.pk
    assert record.hours == Decimal("3.00")
    assert replacement.hours == Decimal("2.50")
    assert replacement.certificate is not None
    assert "2.50" in _pdf_text(replacement.certificate)
    assert AuditEvent.objects.filter(action="service_record.corrected").count() == 1
    old_code = record.certificate.document_code or record.certificate.verification_code
    new_code = replacement.certificate.document_code
    page = client.get(reverse("signing:verify_document", args=[old_code])).content.decode()
    assert "Superseded by a correction" in page
    assert reverse("signing:verify_document", args=[new_code]) in page
    with pytest.raises(ValidationError):
        services.service_record_correct(
            record_id=record.pk, actor=admin, hours=Decimal("1"), reason="再改一次"
        )


def test_no_show_and_withdrawn_people_get_no_record(approver):
    activity, _staff, attendees = completed_activity(approver, attendees=1, no_shows=2)

    assert [r.person_id for r in records_of(activity)] == [attendees[0].pk]
    assert activities  # the activity's services drove the whole journey
