from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import TransitionNotAllowed
from viewflow.workflow.models import Task

from accounts.models import Notification, Organization, OrganizationMembership
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import OrganizationFactory, UserFactory, application_fields, pdf_upload
from workflows.onboarding import services
from workflows.onboarding.models import OnboardingProcess, OrganizationApplication

from .helpers import decide, open_task, resubmit

Status = OrganizationApplication.Status


def last_event(action):
    return AuditEvent.objects.filter(action=action).latest("pk")


def test_create_saves_a_draft_and_audits_it(applicant):
    application = services.application_create(
        applicant=applicant, certificate=pdf_upload(), **application_fields(1)
    )
    assert application.status == Status.DRAFT
    assert application.certificate_content_type == "application/pdf"
    event = last_event("application.created")
    assert (event.actor, event.target_id, event.to_state) == (
        applicant,
        str(application.pk),
        "draft",
    )


class AuditDownError(Exception):
    pass


def test_a_create_that_fails_after_saving_the_certificate_leaves_no_file(
    applicant, settings, monkeypatch
):
    def fail(*args, **kwargs):
        raise AuditDownError

    monkeypatch.setattr(services, "_record", fail)

    with pytest.raises(AuditDownError):
        services.application_create(
            applicant=applicant, certificate=pdf_upload(), **application_fields(1)
        )

    assert not OrganizationApplication.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


def test_create_refuses_a_text_file_named_pdf(applicant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("certificate.pdf", b"just some text, not a PDF at all")
    with pytest.raises(ValidationError):
        services.application_create(applicant=applicant, certificate=fake, **application_fields(2))
    assert not OrganizationApplication.objects.exists()


def test_submit_starts_the_flow_with_a_review_task(draft_application, applicant):
    application = services.application_submit(application_id=draft_application.pk, actor=applicant)
    assert application.status == Status.SUBMITTED
    assert application.submitted_at is not None
    task = open_task(application)
    assert task.owner is None
    assert last_event("application.submitted").from_state == "draft"
    assert AuditEvent.objects.filter(action="task.created", payload__task="review").count() == 1


def test_submitting_twice_is_refused_and_starts_one_flow(submitted_application, applicant):
    with pytest.raises(TransitionNotAllowed):
        services.application_submit(application_id=submitted_application.pk, actor=applicant)
    assert OnboardingProcess.objects.filter(application=submitted_application).count() == 1
    assert AuditEvent.objects.filter(action="application.submitted").count() == 1


def test_only_the_applicant_can_submit(draft_application, outsider):
    with pytest.raises(PermissionDenied):
        services.application_submit(application_id=draft_application.pk, actor=outsider)
    draft_application.refresh_from_db()
    assert draft_application.status == Status.DRAFT


def test_submit_requires_a_certificate(applicant):
    application = services.application_create(applicant=applicant, **application_fields(3))
    with pytest.raises(ValidationError) as error:
        services.application_submit(application_id=application.pk, actor=applicant)
    assert "certificate" in error.value.message_dict
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert not OnboardingProcess.objects.exists()


def test_submit_refuses_a_credit_code_already_registered(applicant):
    organization = OrganizationFactory()
    application = services.application_create(
        applicant=applicant,
        certificate=pdf_upload(),
        **application_fields(4, credit_code=organization.credit_code),
    )
    with pytest.raises(ValidationError) as error:
        services.application_submit(application_id=application.pk, actor=applicant)
    assert "credit_code" in error.value.message_dict
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_approve_creates_the_organization_and_makes_the_applicant_its_admin(
    submitted_application, applicant, approver, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        application = decide(submitted_application, approver, "approve")
    assert application.status == Status.APPROVED
    organization = application.organization
    assert organization.credit_code == application.credit_code
    assert OrganizationMembership.objects.filter(
        organization=organization, user=applicant, role="admin"
    ).exists()
    applicant = fresh(applicant)
    assert applicant.has_perm("accounts.change_organization", organization)
    assert not applicant.has_perm("accounts.change_organization", OrganizationFactory())
    event = last_event("application.approved")
    assert (event.actor, event.from_state, event.to_state) == (approver, "submitted", "approved")
    notification = Notification.objects.get(recipient=applicant)
    assert application.name in notification.subject
    assert [m.to for m in mailoutbox] == [[applicant.email]]


def test_approval_email_is_not_sent_when_the_transaction_rolls_back(
    submitted_application, approver, django_capture_on_commit_callbacks, mailoutbox
):
    def approve_then_fail():
        with transaction.atomic():
            decide(submitted_application, approver, "approve")
            raise RuntimeError("boom")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        approve_then_fail()
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED
    assert mailoutbox == []
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.filter(action="application.approved").exists()


def test_nobody_reviews_an_application_they_submitted(db):
    approver_applicant = UserFactory(username="selfish", approver=True)
    application = services.application_create(
        applicant=approver_applicant, certificate=pdf_upload(), **application_fields(5)
    )
    services.application_submit(application_id=application.pk, actor=approver_applicant)
    with pytest.raises(PermissionDenied):
        services.application_review(
            application_id=application.pk, actor=approver_applicant, decision="approve"
        )
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_a_non_approver_cannot_approve(submitted_application, outsider):
    with pytest.raises(PermissionDenied):
        services.application_review(
            application_id=submitted_application.pk, actor=outsider, decision="approve"
        )


def test_reject_needs_a_reason_and_ends_the_flow(submitted_application, approver):
    with pytest.raises(ValidationError):
        decide(submitted_application, approver, "reject", comment="  ")
    application = decide(submitted_application, approver, "reject", comment="Not an aid group")
    assert application.status == Status.REJECTED
    assert application.review_comment == "Not an aid group"
    process = OnboardingProcess.objects.get(application=application)
    assert process.status == "DONE"
    assert last_event("application.rejected").payload["comment"] == "Not an aid group"


def test_approving_an_already_rejected_application_is_refused(submitted_application, approver):
    decide(submitted_application, approver, "reject", comment="No")
    with pytest.raises(TransitionNotAllowed):
        services.application_review(
            application_id=submitted_application.pk, actor=approver, decision="approve"
        )
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.REJECTED
    assert not Organization.objects.exists()


def test_requested_changes_go_back_to_the_applicant_and_loop_to_review(
    submitted_application, applicant, approver, other_approver
):
    application = decide(submitted_application, approver, "request_changes", comment="Fix area")
    assert application.status == Status.CHANGES_REQUESTED
    revise = open_task(application, "revise")
    assert revise.owner == applicant
    assert Notification.objects.filter(recipient=applicant, body__contains="Fix area").exists()

    application = resubmit(application, applicant)
    assert application.status == Status.SUBMITTED
    # The resubmission goes back to the reviewer who asked for the changes.
    assert open_task(application).owner == approver
    application = decide(application, approver, "approve")
    assert application.status == Status.APPROVED
    actions = list(
        AuditEvent.objects.filter(target_id=str(application.pk), action__startswith="application")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "application.created",
        "application.submitted",
        "application.changes_requested",
        "application.resubmitted",
        "application.approved",
    ]


def test_request_changes_needs_a_comment(submitted_application, approver):
    with pytest.raises(ValidationError):
        decide(submitted_application, approver, "request_changes", comment="")
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED
    # The failed completion rolled back: the task is still waiting, claimed by the approver.
    assert open_task(submitted_application).status == "ASSIGNED"


def test_a_resubmission_waits_in_the_queue_when_its_reviewer_is_gone(
    submitted_application, applicant, approver, other_approver
):
    application = decide(submitted_application, approver, "request_changes", comment="Fix area")
    approver.is_active = False
    approver.save(update_fields=["is_active"])
    application = resubmit(application, applicant)
    task = open_task(application)
    assert task.owner is None
    application = decide(application, other_approver, "approve")
    assert application.status == Status.APPROVED


def test_the_review_loop_buttons_come_from_the_state_machine(
    draft_application, applicant, approver
):
    names = {t.name for t in draft_application.get_available_user_status_transitions(applicant)}
    assert names == {"submit"}
    assert not list(draft_application.get_available_user_status_transitions(approver))


def test_the_flow_does_not_duplicate_nodes_on_a_completed_task(submitted_application, approver):
    decide(submitted_application, approver, "approve")
    process = OnboardingProcess.objects.get(application=submitted_application)
    names = sorted(str(t.flow_task.name) for t in Task.objects.filter(process=process))
    assert names == ["end", "review", "route_decision", "start"]
