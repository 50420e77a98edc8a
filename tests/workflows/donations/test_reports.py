"""Usage reports, driven as their users do: the organization's staff write a report and its
expenditures with their evidence on the pages, an approver claims the review task in the
inbox and decides; publication reconciles with the money received and seals a PDF; a new
version supersedes the published one."""

import hashlib
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Notification
from audit.models import AuditEvent
from documents.models import Document
from signing import services as signing_services
from tests.audit.helpers import denials
from tests.factories import PDF_BYTES, UserFactory
from workflows.donations import services
from workflows.donations.flows import UsageReportFlow
from workflows.donations.models import (
    Channel,
    Donation,
    DonationProject,
    Evidence,
    Expenditure,
    UsageReport,
)
from workflows.donations.pdfs.reports import report_render

from .helpers import member, org_with_people, project_in

pytestmark = pytest.mark.django_db

Status = UsageReport.Status


# --- helpers ---------------------------------------------------------------------------------


def receive(project: DonationProject, amount: str) -> Donation:
    """Money that arrived (the donation services are tested elsewhere)."""
    return Donation.objects.create(
        project=project,
        organization=project.organization,
        donor_name="李女士",
        amount=Decimal(amount),
        channel=Channel.BANK_TRANSFER,
        status=Donation.Status.CONFIRMED,
        received_on=timezone.localdate(),
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def line_data(category="冬衣", amount="1000.00", **overrides) -> dict:
    data = {
        "spent_on": timezone.localdate().isoformat(),
        "category": category,
        "amount": amount,
        "payee": "幸福服装店",
        "description": "为 12 名儿童购买冬衣。",
    }
    data.update(overrides)
    return data


def write_report(client, staff, project, lines=(("冬衣", "1000.00"),), title="一月份使用报告"):
    """The staff create a report and add its lines on the pages; returns the report."""
    client.force_login(staff)
    response = client.post(
        reverse("donations:report_create", args=[project.pk]),
        {"title": title, "narrative": "冬衣已发放到每个孩子手中。"},
    )
    assert response.status_code == 302
    report = UsageReport.objects.filter(project=project).latest("pk")
    for category, amount in lines:
        response = client.post(
            reverse("donations:line_add", args=[report.pk]), line_data(category, amount)
        )
        assert response.status_code == 302
    return report


def upload_evidence(client, report, line, name, content, content_type="application/pdf"):
    return client.post(
        reverse("donations:evidence_add", args=[report.pk, line.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def submit(client, staff, report):
    client.force_login(staff)
    response = client.post(
        reverse("donations:report_submit", args=[report.pk]), {"expected_status": report.status}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    return report


def open_task(report, node="review") -> Task:
    return Task.objects.get(
        process__usagereportprocess__report=report,
        flow_task=getattr(UsageReportFlow, node),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def execute_url(task) -> str:
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def decide(client, approver, report, decision="approve", comment=""):
    """The approver claims the review task in the inbox (unless it is theirs already) and
    records the decision on its page; returns the response."""
    client.force_login(approver)
    task = open_task(report)
    if task.owner_id is None:
        response = client.post(reverse("inbox:claim", args=[task.pk]))
        assert response.status_code == 302
        assert response["Location"] == execute_url(task)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(execute_url(task), {"decision": decision, "comment": comment})
    report.refresh_from_db()
    return response


def published(client, staff, approver, project, lines=(("冬衣", "1000.00"),), **kwargs):
    report = write_report(client, staff, project, lines, **kwargs)
    submit(client, staff, report)
    decide(client, approver, report)
    assert report.status == Status.PUBLISHED
    return report


def pdf_text(document: Document) -> str:
    with document.file.open("rb") as stored:
        data = stored.read()
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def transitions(report) -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(target_id=str(report.pk), action__startswith="usage_report.")
        .order_by("pk")
        .values_list("action", "from_state", "to_state")
    )


def code_of(document: Document) -> str:
    return document.document_code or document.verification_code


@pytest.fixture
def project():
    return project_in(DonationProject.Status.OPEN)


@pytest.fixture
def staff(project):
    return project.created_by


# --- the whole way ---------------------------------------------------------------------------


def test_a_published_report_is_public_with_its_totals_evidence_hashes_and_a_signed_pdf(
    client, project, staff, approver
):
    receive(project, "5000.00")
    report = write_report(client, staff, project, [("冬衣", "1200.50"), ("学习用品", "300.00")])
    first, second = report.expenditures.order_by("position")
    assert upload_evidence(client, report, first, "发票.pdf", PDF_BYTES).status_code == 302
    photo = png_bytes()
    response = upload_evidence(client, report, second, "收据照片.png", photo, "image/png")
    assert response.status_code == 302
    pdf_hash = hashlib.sha256(PDF_BYTES).hexdigest()
    evidence = Evidence.objects.get(expenditure=first)
    assert (evidence.name, evidence.sha256, evidence.size) == ("发票.pdf", pdf_hash, len(PDF_BYTES))
    assert evidence.content_type == "application/pdf"
    assert "发票" not in evidence.file.name  # stored under a name of its own

    submit(client, staff, report)
    assert report.status == Status.SUBMITTED
    client.force_login(approver)
    inbox = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert report.title in inbox
    task = open_task(report)
    client.post(reverse("inbox:claim", args=[task.pk]))
    page = client.get(execute_url(task)).content.decode()
    # The approver judges the lines, the totals and the balance on the task's page.
    assert 'id="received">¥5,000.00<' in page
    assert 'id="spent">¥1,500.50<' in page
    assert 'id="remaining">¥3,499.50<' in page
    assert pdf_hash in page
    assert reverse("donations:evidence", args=[evidence.pk]) in page

    response = decide(client, approver, report)
    assert response.status_code == 302
    assert report.status == Status.PUBLISHED
    assert report.published_at is not None
    assert report.reviewed_by == approver
    document = report.document
    assert document is not None
    assert document.kind == "usage_report"
    with document.file.open("rb") as stored:
        assert signing_services.validate_pdf(stored.read()).ok
    text = pdf_text(document)
    flat = "".join(text.split())
    assert project.title.replace(" ", "") in flat
    assert project.organization.name.replace(" ", "") in flat
    assert "Donation usage report" in text
    assert "1500.50" in flat  # the report's total
    assert "1200.50" in flat  # the actual of a category…
    assert "6000.00" in flat  # …against its budget
    assert "¥5000.00" in flat  # received
    assert "¥3499.50" in flat  # remaining
    assert pdf_hash in flat
    assert hashlib.sha256(photo).hexdigest() in flat
    assert code_of(document) in flat
    assert transitions(report) == [
        ("usage_report.created", "", Status.DRAFT),
        ("usage_report.line_added", Status.DRAFT, Status.DRAFT),
        ("usage_report.line_added", Status.DRAFT, Status.DRAFT),
        ("usage_report.evidence_added", Status.DRAFT, Status.DRAFT),
        ("usage_report.evidence_added", Status.DRAFT, Status.DRAFT),
        ("usage_report.submitted", Status.DRAFT, Status.SUBMITTED),
        ("usage_report.approved", Status.SUBMITTED, Status.PUBLISHED),
    ]
    assert Notification.objects.filter(
        recipient=staff, subject__contains=report.title, url=report.get_absolute_url()
    ).exists()
    assert not Task.objects.filter(
        process__usagereportprocess__report=report, finished__isnull=True
    ).exists()

    # Anyone reads it: lines, totals, evidence names and hashes, the PDF and its check.
    client.logout()
    page = client.get(report.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "幸福服装店" in html
    assert "发票.pdf" in html
    assert pdf_hash in html
    assert 'id="report-total">1,500.50<' in html
    assert reverse("donations:report_pdf", args=[report.pk]) in html
    assert reverse("signing:verify_document", args=[code_of(document)]) in html
    # …but not the evidence files themselves (invoices may hold private data).
    assert reverse("donations:evidence", args=[evidence.pk]) not in html
    pdf = client.get(reverse("donations:report_pdf", args=[report.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    verify = client.get(reverse("signing:verify_document", args=[code_of(document)]))
    assert 'id="owner-status">Valid' in verify.content.decode()

    # The organization downloads its evidence, as uploaded.
    client.force_login(staff)
    download = client.get(reverse("donations:evidence", args=[evidence.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]


def test_publication_that_spends_more_than_was_received_is_refused_naming_the_shortfall(
    client, project, staff, approver
):
    receive(project, "3000.00")
    receive(project, "2000.00")
    Donation.objects.create(  # a pledge is not money received
        project=project,
        organization=project.organization,
        amount=Decimal("9000.00"),
        channel=Channel.ONLINE,
    )
    published(client, staff, approver, project, [("冬衣", "4000.00")])
    report = write_report(client, staff, project, [("冬衣", "1900.00"), ("学习用品", "300.00")])
    submit(client, staff, report)
    client.force_login(approver)
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'id="shortfall"' in page

    response = decide(client, approver, report)

    message = (
        "This report spends ¥1,200.00 more than the project has received "
        "(received ¥5,000.00, spent ¥6,200.00)."
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert report.status == Status.SUBMITTED
    assert report.document is None
    assert report.published_at is None
    assert open_task(report).owner == approver  # still theirs, to decide otherwise
    assert ("usage_report.approved", Status.SUBMITTED, Status.PUBLISHED) not in transitions(report)
    with pytest.raises(ValidationError) as refused:
        services.report_review(report_id=report.pk, actor=approver, decision="approve")
    assert message in refused.value.messages
    # Once the money has arrived, it publishes.
    receive(project, "1200.00")
    decide(client, approver, report)
    assert report.status == Status.PUBLISHED
    assert report.document is not None


def test_a_new_version_supersedes_the_published_one_whose_verification_page_says_so(
    client, project, staff, approver
):
    receive(project, "3500.00")
    old = published(
        client, staff, approver, project, [("冬衣", "2000.00"), ("学习用品", "1000.00")]
    )
    line = old.expenditures.order_by("position").first()
    client.force_login(staff)
    # The published report is no longer edited: its lines stay as published.
    response = client.post(reverse("donations:line_add", args=[old.pk]), line_data())
    assert old.expenditures.count() == 2
    assert "start a new version instead" in client.get(response["Location"]).content.decode()
    Evidence.objects.create(
        expenditure=line,
        file="donations/evidence/x.pdf",
        name="发票.pdf",
        content_type="application/pdf",
        size=10,
        sha256="a" * 64,
    )

    response = client.post(reverse("donations:report_new_version", args=[old.pk]))
    new = UsageReport.objects.get(replaces=old)
    assert response["Location"] == new.get_absolute_url()
    assert (new.status, new.version, new.title) == (Status.DRAFT, 2, old.title)
    assert sorted(new.expenditures.values_list("category", "amount")) == sorted(
        old.expenditures.values_list("category", "amount")
    )
    assert Evidence.objects.get(expenditure__report=new).sha256 == "a" * 64
    # One new version at a time.
    client.post(reverse("donations:report_new_version", args=[old.pk]))
    assert UsageReport.objects.filter(replaces=old).count() == 1
    with pytest.raises(ValidationError):
        services.report_new_version(report_id=old.pk, actor=staff)

    # Correct it: the study supplies cost more (3000 + 400 > 3500 received unless the old
    # version's lines stop counting).
    removed = new.expenditures.get(category="学习用品")
    client.post(reverse("donations:line_remove", args=[new.pk, removed.pk]))
    client.post(reverse("donations:line_add", args=[new.pk]), line_data("学习用品", "1400.00"))
    submit(client, staff, new)
    old.refresh_from_db()
    assert old.status == Status.PUBLISHED  # public until the new one is published
    decide(client, approver, new)

    old.refresh_from_db()
    assert (old.status, new.status) == (Status.SUPERSEDED, Status.PUBLISHED)
    assert new.document is not None
    assert old.document is not None
    assert transitions(old)[-1] == ("usage_report.superseded", Status.PUBLISHED, old.status)
    assert "¥3400.00" in "".join(pdf_text(new.document).split())
    client.logout()
    verify = client.get(reverse("signing:verify_document", args=[code_of(old.document)]))
    html = verify.content.decode()
    assert "Superseded by a new version" in html
    assert reverse("signing:verify_document", args=[code_of(new.document)]) in html
    page = client.get(old.get_absolute_url()).content.decode()
    assert "Superseded by version 2" in page
    assert new.get_absolute_url() in page
    assert (
        "Valid"
        in client.get(
            reverse("signing:verify_document", args=[code_of(new.document)])
        ).content.decode()
    )


def test_changes_requested_lines_are_corrected_and_the_report_resubmitted(
    client, project, staff, approver
):
    receive(project, "5000.00")
    report = write_report(client, staff, project)
    submit(client, staff, report)
    decide(client, approver, report, "request_changes", "请补充学习用品的支出")
    assert report.status == Status.CHANGES_REQUESTED

    client.force_login(staff)
    revise = open_task(report, "revise")
    assert revise.owner == staff
    page = client.get(execute_url(revise)).content.decode()
    assert "请补充学习用品的支出" in page
    assert report.get_absolute_url() in page
    response = client.post(reverse("donations:line_add", args=[report.pk]), line_data("学习用品"))
    assert response.status_code == 302
    response = client.post(
        execute_url(revise), {"title": "一月份使用报告（修订）", "narrative": "已补充。"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.title, report.review_comment) == (
        Status.SUBMITTED,
        "一月份使用报告（修订）",
        "",
    )
    assert open_task(report).owner == approver  # back to who asked
    decide(client, approver, report)
    assert report.status == Status.PUBLISHED
    assert transitions(report)[-4:] == [
        ("usage_report.line_added", Status.CHANGES_REQUESTED, Status.CHANGES_REQUESTED),
        ("usage_report.updated", Status.CHANGES_REQUESTED, Status.CHANGES_REQUESTED),
        ("usage_report.resubmitted", Status.CHANGES_REQUESTED, Status.SUBMITTED),
        ("usage_report.approved", Status.SUBMITTED, Status.PUBLISHED),
    ]


# --- evidence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("发票.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF"),  # starts like a PDF, is none
        ("收据.png", b"<html><script>alert(1)</script></html>"),
        ("invoice.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
        ("empty.pdf", b""),
    ],
)
def test_evidence_that_is_not_really_a_pdf_or_an_image_is_refused(
    client, project, staff, name, content
):
    report = write_report(client, staff, project)
    line = report.expenditures.get()
    response = upload_evidence(client, report, line, name, content)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.filter(action="usage_report.evidence_added").exists()


def test_an_evidence_file_name_is_kept_safely_and_the_file_stored_under_its_own(
    client, project, staff, settings
):
    report = write_report(client, staff, project)
    line = report.expenditures.get()
    name = "../../etc/发票\u202e\u0000gpj.pdf"
    response = upload_evidence(client, report, line, name, PDF_BYTES)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert "/" not in evidence.name
    assert "\u202e" not in evidence.name
    assert "\x00" not in evidence.name
    assert evidence.name.endswith(".pdf")
    assert evidence.file.name.startswith("donations/evidence/")
    assert len(services.reports.safe_file_name("发" * 500 + ".pdf", "application/pdf")) == 200
    assert services.reports.safe_file_name("\u200b", "image/png") == "evidence.png"


def test_an_evidence_file_over_the_limit_is_refused(client, project, staff, settings):
    settings.ACCORD_MAX_UPLOAD_BYTES = 100
    report = write_report(client, staff, project)
    response = upload_evidence(client, report, report.expenditures.get(), "a.pdf", PDF_BYTES)
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not Evidence.objects.exists()


# --- who may see and do what -----------------------------------------------------------------


def test_outsiders_get_404_for_unpublished_reports_and_evidence_and_it_is_audited(
    client, project, staff, approver
):
    receive(project, "5000.00")
    report = write_report(client, staff, project)
    line = report.expenditures.get()
    upload_evidence(client, report, line, "发票.pdf", PDF_BYTES)
    evidence = Evidence.objects.get()
    _other_org, other_staff, _admin = org_with_people()
    outsider = UserFactory(username="outsider")
    for user in (outsider, other_staff):
        client.force_login(user)
        for url in (
            report.get_absolute_url(),
            reverse("donations:report_edit", args=[report.pk]),
            reverse("donations:report_pdf", args=[report.pk]),
            reverse("donations:evidence", args=[evidence.pk]),
            reverse("donations:report_create", args=[project.pk]),
        ):
            assert client.get(url).status_code == 404, url
        for url, data in (
            (reverse("donations:line_add", args=[report.pk]), line_data()),
            (reverse("donations:line_remove", args=[report.pk, line.pk]), {}),
            (reverse("donations:report_submit", args=[report.pk]), {}),
            (reverse("donations:report_create", args=[project.pk]), {"title": "x"}),
        ):
            assert client.post(url, data).status_code == 404, url
    assert denials().filter(target_id=str(report.pk), actor=outsider).exists()
    assert denials().filter(target_id=str(evidence.pk), actor=other_staff).exists()
    assert denials().filter(target_id=str(project.pk), actor=outsider).exists()
    assert report.expenditures.count() == 1
    report.refresh_from_db()
    assert report.status == Status.DRAFT

    # Published, the report is public; its evidence files and its editing stay private.
    submit(client, staff, report)
    decide(client, approver, report)
    client.force_login(outsider)
    assert client.get(report.get_absolute_url()).status_code == 200
    assert client.get(reverse("donations:report_pdf", args=[report.pk])).status_code == 200
    assert client.get(reverse("donations:evidence", args=[evidence.pk])).status_code == 404
    assert client.post(reverse("donations:report_new_version", args=[report.pk])).status_code == 404
    assert not UsageReport.objects.filter(replaces=report).exists()
    client.logout()
    response = client.get(reverse("donations:evidence", args=[evidence.pk]))
    assert response.status_code == 302  # to the login page
    assert client.get(report.get_absolute_url()).status_code == 200


def test_only_the_organization_writes_and_only_outside_approvers_review(project, staff, approver):
    receive(project, "5000.00")
    outsider = UserFactory(username="outsider")
    with pytest.raises(PermissionDenied):
        services.report_create(actor=outsider, project_id=project.pk, title="x", narrative="y")
    report = services.report_create(
        actor=staff, project_id=project.pk, title="报告", narrative="说明"
    )
    with pytest.raises(PermissionDenied):
        services.report_line_add(report_id=report.pk, actor=approver, **_line())
    with pytest.raises(ValidationError):  # nothing to review yet
        services.report_submit(report_id=report.pk, actor=staff)
    services.report_line_add(report_id=report.pk, actor=staff, **_line())
    services.report_submit(report_id=report.pk, actor=staff)
    # An approver who is a member of the organization does not review its reports.
    colleague = member(project.organization)
    colleague.groups.add(*approver.groups.all())
    for user in (staff, outsider, colleague):
        with pytest.raises(PermissionDenied):
            services.report_review(report_id=report.pk, actor=user, decision="approve")
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED


def _line(**overrides) -> dict:
    return {
        "spent_on": timezone.localdate(),
        "category": "冬衣",
        "amount": Decimal("100.00"),
        "payee": "商店",
        "description": "冬衣",
        **overrides,
    }


def test_reports_are_written_for_open_or_closed_projects_only(staff):
    draft = project_in(DonationProject.Status.DRAFT)
    with pytest.raises(ValidationError):
        services.report_create(
            actor=draft.created_by, project_id=draft.pk, title="报告", narrative="说明"
        )
    closed = project_in(DonationProject.Status.CLOSED)
    report = services.report_create(
        actor=closed.created_by, project_id=closed.pk, title="报告", narrative="说明"
    )
    assert report.status == Status.DRAFT


def test_a_stale_submit_is_refused_and_a_published_report_is_not_edited(
    client, project, staff, approver
):
    receive(project, "5000.00")
    report = write_report(client, staff, project)
    response = client.post(
        reverse("donations:report_submit", args=[report.pk]), {"expected_status": "submitted"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.DRAFT
    submit(client, staff, report)
    decide(client, approver, report)
    client.force_login(staff)
    response = client.post(
        reverse("donations:report_edit", args=[report.pk]), {"title": "改", "narrative": "改"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.title == "一月份使用报告"
    line = report.expenditures.get()
    client.post(reverse("donations:line_remove", args=[report.pk, line.pk]))
    assert report.expenditures.count() == 1
    with pytest.raises(ValidationError):
        services.report_line_remove(report_id=report.pk, line_id=line.pk, actor=staff)


def test_rendering_twice_stores_one_document(client, project, staff, approver):
    receive(project, "5000.00")
    report = published(client, staff, approver, project)
    assert report_render(report.pk) is None
    assert Document.objects.filter(kind="usage_report").count() == 1


def test_a_refused_publication_enqueues_no_rendering(project, staff, approver):
    report = services.report_create(
        actor=staff, project_id=project.pk, title="报告", narrative="说明"
    )
    services.report_line_add(report_id=report.pk, actor=staff, **_line())
    services.report_submit(report_id=report.pk, actor=staff)
    with TestCase.captureOnCommitCallbacks() as callbacks, pytest.raises(ValidationError):
        services.report_review(report_id=report.pk, actor=approver, decision="approve")
    assert callbacks == []


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"payee": "商店\x00"},
        {"payee": "x" * 201},
        {"description": "很长" * 1001},
        {"payee": "商店\uffff"},
        {"description": "\ue000私用区"},
        {"amount": "-5"},
        {"amount": "0"},
        {"amount": "NaN"},
        {"amount": "Infinity"},
        {"amount": "1e400"},
        {"amount": "1.234"},
        {"amount": "99999999999"},
        {"amount": "一百"},
        {"category": "不存在的类别"},
        {"category": ""},
        {"spent_on": "2024-02-30"},
        {"spent_on": "2999-01-01"},
    ],
)
def test_bad_expenditure_input_is_a_form_error_never_a_500(client, project, staff, overrides):
    report = write_report(client, staff, project, lines=())
    response = client.post(reverse("donations:line_add", args=[report.pk]), line_data(**overrides))
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not Expenditure.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"title": "报告\x00", "narrative": "说明"},
        {"title": "报" * 201, "narrative": "说明"},
        {"title": "报告", "narrative": "说" * 20_001},
        {"title": "报告\u0007", "narrative": "说明"},
        {"title": "", "narrative": "说明"},
        {"title": "报告 👍", "narrative": "说明"},
        {"title": "报告", "narrative": "说明\U000e0001\ufffe"},
    ],
)
def test_bad_report_input_is_a_form_error_never_a_500(client, project, staff, data):
    client.force_login(staff)
    response = client.post(reverse("donations:report_create", args=[project.pk]), data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not UsageReport.objects.exists()


def test_odd_but_printable_unicode_is_kept_and_printed(client, project, staff, approver):
    receive(project, "5000.00")
    report = write_report(client, staff, project, lines=(), title="报告 Ünïcödé\u202e é")
    # An emoji passes as text, but the signed report's fonts cannot draw it.
    response = client.post(
        reverse("donations:line_add", args=[report.pk]), line_data(payee="Ω 商店 🎁")
    )
    assert response.status_code == 400
    assert "cannot print" in response.content.decode()
    response = client.post(
        reverse("donations:line_add", args=[report.pk]),
        line_data(payee="Ω 商店 ©", description="第一行\r\n第二行\tⅫ"),
    )
    assert response.status_code == 302
    assert Expenditure.objects.get().payee == "Ω 商店 ©"
    upload_evidence(client, report, Expenditure.objects.get(), "发票👍.pdf", PDF_BYTES)
    assert Evidence.objects.get().name == "evidence.pdf"
    submit(client, staff, report)
    decide(client, approver, report)
    assert report.status == Status.PUBLISHED
    assert "Ω商店©" in "".join(pdf_text(report.document).split())


# --- query counts ----------------------------------------------------------------------------


def _report_with_lines(project, staff, count: int) -> UsageReport:
    report = services.report_create(
        actor=staff, project_id=project.pk, title="报告", narrative="说明"
    )
    for n in range(count):
        line = Expenditure.objects.create(
            report=report,
            spent_on=timezone.localdate(),
            category="冬衣" if n % 2 else "学习用品",
            amount=Decimal("10.00"),
            payee=f"商店 {n}",
            description="冬衣",
            position=n,
        )
        Evidence.objects.create(
            expenditure=line,
            file=f"donations/evidence/{n}.pdf",
            name=f"发票 {n}.pdf",
            content_type="application/pdf",
            size=10,
            sha256=f"{n:064x}",
        )
    return report


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_report_page_costs_the_same_queries_with_1_and_50_lines(client, project, staff):
    receive(project, "5000.00")
    small = _report_with_lines(project, staff, 1)
    large = _report_with_lines(project, staff, 50)
    client.force_login(staff)
    _queries(client, small.get_absolute_url())  # warm the caches (content types, session)
    few = _queries(client, small.get_absolute_url())
    many = _queries(client, large.get_absolute_url())
    assert few == many
    page = client.get(large.get_absolute_url()).content.decode()
    assert "发票 49.pdf" in page
    assert 'id="report-total">500.00<' in page
