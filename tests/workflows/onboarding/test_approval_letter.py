"""Approving an organization issues its approval letter: Chinese and English, platform-signed."""

import subprocess

from documents.models import Document
from documents.rendering import verification_url
from signing.models import SignatureRecord
from signing.services import validate_pdf
from workflows.onboarding.pdfs import approval_letter_issue
from workflows.onboarding.tasks import issue_approval_letter

from .helpers import decide


def letters(organization):
    return Document.objects.filter(kind="approval_letter", owner_id=str(organization.pk)).order_by(
        "version"
    )


def read(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def test_approval_produces_a_bilingual_letter_signed_by_the_platform(
    submitted_application, approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = decide(submitted_application, approver, "approve")
    # Stored once, already signed: no unsigned copy exists.
    (signed,) = letters(application.organization)
    assert signed.version == 1
    data = read(signed)
    report = validate_pdf(data)
    assert report.ok
    assert [s.signer for s in report.signatures] == ["Accord Platform"]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert application.name in text
    assert application.credit_code in text
    assert "has been approved as an aid organization on Accord" in text
    # Each half has the footer of its own language.
    chinese, english = text.split("\f")[:2]
    assert "验证码" in chinese
    assert "第 1 页，共 2 页" in chinese
    assert "Verification code" not in chinese
    assert "Verification code" in english
    assert f"Check this document at {verification_url(signed.document_code)}" in english
    assert "Page 2 of 2" in english
    assert "验证码" not in english
    assert SignatureRecord.objects.get(document=signed).user is None
    from audit.models import AuditEvent

    actions = set(
        AuditEvent.objects.filter(target_id=str(application.organization.pk)).values_list(
            "action", flat=True
        )
    )
    assert "document.generated" in actions
    assert "document.signed" not in actions
    generated = AuditEvent.objects.get(action="document.generated", target_id=str(signed.owner_id))
    assert generated.payload["document_id"] == signed.pk
    assert generated.payload["field"] == "platform"
    assert (
        generated.payload["serial"] == SignatureRecord.objects.get(document=signed).identity.serial
    )


def test_the_letter_task_delivered_twice_makes_one_letter(submitted_application, approver):
    application = decide(submitted_application, approver, "approve")
    assert letters(application.organization).count() == 0
    first = issue_approval_letter(application.pk)
    second = issue_approval_letter(application.pk)
    assert first is not None
    assert second is None
    assert letters(application.organization).count() == 1
    assert approval_letter_issue(application_id=application.pk) is None


def test_the_letter_is_listed_on_the_organizations_page(
    client, submitted_application, approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = decide(submitted_application, approver, "approve")
    client.force_login(application.applicant)
    page = client.get(application.get_absolute_url()).content.decode()
    signed = letters(application.organization).last()
    assert f"/documents/{signed.pk}/file/" in page
    assert client.get(f"/documents/{signed.pk}/file/").status_code == 200


def test_a_letter_that_cannot_be_rendered_is_recorded_and_announced(
    applicant, approver, django_capture_on_commit_callbacks
):
    from accounts.models import Notification
    from audit.models import AuditEvent
    from tests.factories import application_fields, pdf_upload
    from workflows.onboarding import services

    # Typed before input was checked (or through the admin): a private-use character.
    draft = services.application_create(
        applicant=applicant,
        certificate=pdf_upload(),
        **application_fields(77, name="阳光\ue000援助"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application_id=draft.pk, actor=applicant)
    with django_capture_on_commit_callbacks(execute=True):
        application = decide(draft, approver, "approve")

    assert application.status == application.Status.APPROVED
    assert letters(application.organization).count() == 0
    failed = AuditEvent.objects.get(action="document.render_failed")
    assert failed.target_id == str(application.organization.pk)
    assert "U+E000" in failed.payload["error"]
    told = Notification.objects.filter(subject__startswith="Approval letter not issued")
    assert set(told.values_list("recipient__username", flat=True)) == {"applicant", "approver"}


def test_the_letter_task_tries_again_after_a_database_hiccup(
    submitted_application, approver, monkeypatch
):
    from django.db import OperationalError

    from workflows.onboarding import tasks

    application = decide(submitted_application, approver, "approve")
    calls = []
    original = tasks.approval_letter_issue

    def flaky(*, application_id):
        calls.append(application_id)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return original(application_id=application_id)

    monkeypatch.setattr(tasks, "approval_letter_issue", flaky)
    # As a worker runs it: a retry is a new run, not an exception thrown at the caller.
    monkeypatch.setitem(issue_approval_letter.app.conf, "task_eager_propagates", False)

    result = issue_approval_letter.apply(args=[application.pk]).get()

    assert len(calls) == 3
    assert result == letters(application.organization).last().pk
