"""The service pages as their users drive them."""

import io
import subprocess
import zipfile
from decimal import Decimal

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OrganizationMembership
from accounts.services import organization_member_add
from audit.models import AuditEvent
from signing import services as signing_services
from tests.audit.helpers import denials
from tests.factories import UserFactory
from workflows.service import pdfs
from workflows.service.models import ServiceRecord, ServiceSummary

from .helpers import completed_activity, records_of


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def _admin_of(organization):
    admin = UserFactory()
    organization_member_add(
        organization=organization, user=admin, role=OrganizationMembership.Role.ADMIN, actor=None
    )
    return admin


def test_my_service_shows_totals_by_year_and_organization_and_the_certificates(client, approver):
    activity, _staff, (person,) = completed_activity(approver, attendees=1, no_shows=0)
    other, _staff2, _people = completed_activity(approver, attendees=1, no_shows=0)
    # The same person attended the other activity too: a record of their own there.
    (theirs,) = records_of(other)
    ServiceRecord.objects.filter(pk=theirs.pk).update(person=person)
    client.force_login(person)

    text = client.get(reverse("service:mine")).content.decode()

    assert 'id="total-credit">6.00<' in text
    assert 'id="total-points">20<' in text
    assert activity.organization.name in text
    assert other.organization.name in text
    record = records_of(activity)[0]
    assert reverse("documents:file", args=[record.certificate_id]) in text


def test_the_certificate_pdf_is_for_its_holder_and_the_organization_only(client, approver):
    activity, staff, (person,) = completed_activity(approver, attendees=1, no_shows=0)
    url = reverse("documents:file", args=[records_of(activity)[0].certificate_id])
    for user, status in ((person, 200), (staff, 200), (UserFactory(), 404)):
        client.force_login(user)
        assert client.get(url).status_code == status


def test_staff_follow_the_progress_as_a_page_and_as_figures(client, approver):
    activity, staff, _people = completed_activity(approver, attendees=2, no_shows=0)
    client.force_login(staff)
    url = reverse("service:certificates", args=[activity.pk])

    page = client.get(url).content.decode()
    figures = client.get(url, HTTP_ACCEPT="application/json").json()

    assert figures == {"total": 2, "done": 2, "failed": 0, "percent": 100, "finished": True}
    assert '<progress max="2" value="2"' in page
    assert "http-equiv" not in page  # finished: no reload
    detail = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert 'id="certificates"' in detail
    assert url in detail


def test_an_unfinished_issue_reloads_itself_without_javascript(client, approver):
    activity, staff, _people = completed_activity(approver, attendees=2, no_shows=0)
    ServiceRecord.objects.filter(activity=activity).update(certificate=None)
    client.force_login(staff)

    page = client.get(reverse("service:certificates", args=[activity.pk])).content.decode()

    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert '<progress max="2" value="0"' in page


def test_outsiders_and_attendees_find_no_progress_page(client, approver):
    activity, _staff, (person,) = completed_activity(approver, attendees=1, no_shows=0)
    url = reverse("service:certificates", args=[activity.pk])
    for user in (person, UserFactory()):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert (
            client.get(reverse("service:certificates_zip", args=[activity.pk])).status_code == 404
        )
    assert denials().filter(actor=person).exists()
    detail = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert 'id="certificates"' not in detail


def test_failures_are_listed_and_retried(client, approver, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("the font is missing")

    with monkeypatch.context() as patched:
        patched.setattr(pdfs.signing_services, "document_render_sealed", broken)
        activity, staff, _people = completed_activity(approver, attendees=2, no_shows=0)
    client.force_login(staff)
    url = reverse("service:certificates", args=[activity.pk])
    page = client.get(url).content.decode()
    assert "RuntimeError: the font is missing" in page
    assert client.get(url, HTTP_ACCEPT="application/json").json()["failed"] == 2

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("service:certificates_retry", args=[activity.pk]), follow=True
        )

    assert "2 certificates are being issued again." in response.content.decode()
    for record in records_of(activity):
        assert record.certificate is not None
        assert record.certificate_error == ""
    assert AuditEvent.objects.filter(action="certificates.retried").count() == 1
    assert client.get(url, HTTP_ACCEPT="application/json").json()["done"] == 2


def test_all_certificates_download_as_one_zip(client, approver):
    activity, staff, _people = completed_activity(approver, attendees=3, no_shows=0)
    client.force_login(staff)

    response = client.get(reverse("service:certificates_zip", args=[activity.pk]))

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 3
    assert all(name.endswith(".pdf") for name in names)
    assert all(archive.read(name).startswith(b"%PDF") for name in names)
    assert AuditEvent.objects.filter(action="certificates.downloaded").count() == 1


def test_an_administrator_corrects_a_record_through_the_page(client, approver):
    activity, staff, _people = completed_activity(approver, attendees=1, no_shows=0)
    (record,) = records_of(activity)
    url = reverse("service:correct", args=[record.pk])
    client.force_login(staff)
    assert client.get(url).status_code == 404  # staff, not an administrator
    client.force_login(_admin_of(activity.organization))

    refused = client.post(url, {"hours": "3", "reason": "没有变化"})
    assert "These are the hours already recorded." in refused.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"hours": "1.5", "reason": "签退时间记录有误"})

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.superseded_by.hours == Decimal("1.50")


def test_bad_input_to_the_correction_is_a_message_not_an_error(client, approver):
    activity, _staff, _people = completed_activity(approver, attendees=1, no_shows=0)
    (record,) = records_of(activity)
    client.force_login(_admin_of(activity.organization))
    url = reverse("service:correct", args=[record.pk])

    for data in (
        {"hours": "99", "reason": "太多"},
        {"hours": "abc", "reason": "x"},
        {"hours": "1", "reason": "\x00"},
        {"hours": "1", "reason": "长" * 5000},
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert (
            'class="errorlist' in response.content.decode() or "error" in response.content.decode()
        )
    record.refresh_from_db()
    assert record.superseded_by_id is None


def test_my_service_costs_the_same_queries_at_1_and_50_records(client, approver):
    activity, _staff, (person,) = completed_activity(approver, attendees=1, no_shows=0)
    client.force_login(person)
    url = reverse("service:mine")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    (record,) = records_of(activity)
    ServiceRecord.objects.bulk_create(
        [
            ServiceRecord(
                person=person,
                organization_id=record.organization_id,
                kind=record.kind,
                title=f"{record.title} {n}",
                served_on=record.served_on,
                hours=Decimal("1"),
                points=1,
            )
            for n in range(49)
        ]
    )

    with CaptureQueriesContext(connection) as fifty:
        text = client.get(url).content.decode()

    assert text.count("<tr>") >= 50
    assert len(fifty.captured_queries) == len(one.captured_queries)


def test_a_person_downloads_a_signed_summary_of_a_year(client, approver):
    activity, _staff, (person,) = completed_activity(approver, attendees=1, no_shows=0)
    (record,) = records_of(activity)
    year = record.served_on.year
    client.force_login(person)
    assert (
        reverse("service:summary", args=[year])
        in client.get(reverse("service:mine")).content.decode()
    )

    first = client.get(reverse("service:summary", args=[year]))
    again = client.get(reverse("service:summary", args=[year]))

    assert first["Content-Type"] == "application/pdf"
    assert signing_services.validate_pdf(first.content).ok
    text = pdf_text(first.content)
    assert str(person) in text
    assert record.title in text
    assert record.certificate.document_code in text
    assert again.content == first.content  # nothing changed: the same version
    summary = ServiceSummary.objects.get(person=person, year=year)
    assert summary.document.version == 1
    ServiceRecord.objects.filter(pk=record.pk).update(points=99)
    changed = client.get(reverse("service:summary", args=[year]))
    assert changed.content != first.content
    summary.refresh_from_db()
    assert summary.document.version == 2
    assert client.get(reverse("service:summary", args=[1999])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("documents:file", args=[summary.document_id])).status_code == 404
