import datetime
import subprocess
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from viewflow.workflow.models import Task

from accounts.models import Notification
from audit.models import AuditEvent
from documents.models import Document, DocumentStage
from signing.models import SignatureRecord
from signing.services import audit_checkpoint_create, validate_pdf
from tests.factories import UserFactory, pdf_upload
from workflows.agreements import services
from workflows.agreements.models import (
    AgreementProcess,
    AidAgreement,
    TerminationRequest,
)

from .helpers import decide_termination, decline, open_task, send, sign

Status = AidAgreement.Status


def evidence_stages(agreement) -> list[str]:
    """The evidence summaries made for `agreement`: its `agreement_evidence:<stage>` rows."""
    rows = DocumentStage.objects.filter(
        owner_type=ContentType.objects.get_for_model(agreement), owner_id=str(agreement.pk)
    ).values_list("stage", flat=True)
    return [stage.split(":", 1)[1] for stage in rows if stage.startswith("agreement_evidence:")]


def events(agreement, action):
    return AuditEvent.objects.filter(target_id=str(agreement.pk), action=action)


def pdf_text(document) -> str:
    with document.file.open("rb") as handle:
        data = handle.read()
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


def pdf_bytes(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def test_the_end_date_must_be_after_the_effective_date(manager, community, organization):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        services.agreement_create(
            actor=manager,
            community=community,
            organization=organization,
            title="x",
            scope="x",
            terms="x",
            effective_date=today,
            end_date=today,
        )
    assert "end_date" in error.value.message_dict
    assert not AidAgreement.objects.exists()


def test_an_update_refused_for_its_second_attachment_leaves_no_file_of_the_first(
    draft, manager, settings
):
    text = SimpleUploadedFile("minutes.pdf", b"only text, not a PDF", "application/pdf")

    with pytest.raises(ValidationError):
        services.agreement_update(
            agreement_id=draft.pk, actor=manager, attachments=(pdf_upload("plan.pdf"), text)
        )

    assert not draft.attachments.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


def test_only_a_manager_of_the_community_drafts(signer, community, organization):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.agreement_create(
            actor=signer,
            community=community,
            organization=organization,
            title="x",
            scope="x",
            terms="x",
            effective_date=today,
            end_date=today + datetime.timedelta(days=3),
        )


def test_sending_renders_the_chinese_pdf_and_waits_for_the_organizations_signers(
    draft, manager, signer, other_signer
):
    agreement = send(draft, manager)
    assert agreement.status == Status.PENDING_ORG_SIGNATURE
    text = pdf_text(agreement.document)
    assert "为社区留守儿童提供每周三次课后辅导" in text
    assert "阳光社区援助中心" in text
    assert agreement.document.verification_code in text
    task = open_task(agreement, "sign")
    assert task.flow_task.can_assign(signer, task)
    assert not task.flow_task.can_assign(other_signer, task)
    assert not task.flow_task.can_assign(manager, task)
    assert Notification.objects.filter(recipient=signer, subject__contains=agreement.title).exists()
    event = events(agreement, "agreement.sent").get()
    assert (event.actor, event.from_state, event.to_state) == (
        manager,
        "draft",
        "pending_org_signature",
    )


def test_sending_twice_is_refused(sent, manager):
    with pytest.raises(TransitionNotAllowed):
        services.agreement_send(agreement_id=sent.pk, actor=manager)
    assert AgreementProcess.objects.filter(agreement=sent).count() == 1


def test_the_organization_signs_with_its_own_identity(sent, signer, password):
    agreement = sign(sent, signer, password)
    assert agreement.status == Status.PENDING_COMMUNITY_SIGNATURE
    assert (agreement.org_signed_by, agreement.document.version) == (signer, 2)
    report = validate_pdf(pdf_bytes(agreement.document))
    assert report.ok
    assert [s.signer for s in report.signatures] == ["阳光社区援助中心"]
    record = SignatureRecord.objects.get(document=agreement.document)
    assert (record.user, record.field_name) == (signer, "organization")
    assert events(agreement, "agreement.signed").get().actor == signer
    assert open_task(agreement, "countersign").status == "NEW"


def test_a_wrong_password_signs_nothing(sent, signer):
    with pytest.raises((ValidationError, PermissionDenied)):
        sign(sent, signer, "not-my-password")
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_ORG_SIGNATURE
    assert sent.document.version == 1
    assert not SignatureRecord.objects.exists()


def test_a_community_manager_cannot_sign_for_the_organization(sent, manager, password):
    with pytest.raises(PermissionDenied):
        services.agreement_sign(agreement_id=sent.pk, actor=manager, password=password)
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_ORG_SIGNATURE


def test_a_signer_of_another_organization_cannot_sign(sent, other_signer, password):
    with pytest.raises(PermissionDenied):
        services.agreement_sign(agreement_id=sent.pk, actor=other_signer, password=password)


def test_countersigning_keeps_both_signatures_valid_and_activates(
    org_admin, active, manager, signer
):
    assert active.status == Status.ACTIVE
    assert active.document.version == 3
    report = validate_pdf(pdf_bytes(active.document))
    assert report.ok
    assert [s.signer for s in report.signatures] == ["阳光社区援助中心", "清河社区"]
    assert all(s.intact and s.valid and s.trusted for s in report.signatures)
    assert not report.changed_after_signing
    for user in (manager, signer, org_admin):
        assert Notification.objects.filter(recipient=user, subject__contains="active").exists()


def test_activation_produces_a_signed_evidence_summary(active):
    evidence = Document.objects.filter(owner_id=str(active.pk), kind="agreement_evidence")
    # Stored once, sealed as it was stored: no unsigned copy.
    (latest,) = evidence
    assert latest.version == 1
    report = validate_pdf(pdf_bytes(latest))
    assert report.ok
    text = pdf_text(latest)
    for document in Document.objects.filter(owner_id=str(active.pk), kind="agreement"):
        assert document.sha256 in text.replace("\n", "")
    joined = "".join(text.split())
    # The agreement is in Chinese, and so are the labels its summary prints: actions and
    # states by their registered labels, never their codes.
    assert "社区已会签" in joined
    assert "草稿→待机构签署" in joined
    assert "agreement." not in joined
    assert "pending_org_signature" not in joined
    assert "document.generated" not in joined
    assert "状态有效" in joined
    assert "帮扶协议v1" in joined
    assert "系统" in joined  # the flow's own events have no actor
    assert "system" not in joined


def test_the_evidence_summary_cites_the_newest_audit_checkpoint(active):
    from workflows.agreements.tasks import generate_agreement_evidence

    checkpoint = audit_checkpoint_create()

    generate_agreement_evidence(active.pk, "ended")

    summary = Document.objects.filter(owner_id=str(active.pk), kind="agreement_evidence")
    # The ended stage's summary is the next version of the same document (one code).
    assert sorted(summary.values_list("version", flat=True)) == [1, 2]
    assert len(set(summary.values_list("document_code", flat=True))) == 1
    joined = "".join(pdf_text(summary.latest("version")).split())
    assert f"#{checkpoint.number}" in joined
    assert checkpoint.head_hash in joined
    assert f"{timezone.localtime(checkpoint.created_at):%Y-%m-%d%H:%M:%S}" in joined
    assert "审计日志检查点" in joined


def test_evidence_is_made_once_per_stage(active):
    from workflows.agreements.tasks import generate_agreement_evidence

    before = Document.objects.filter(kind="agreement_evidence").count()
    assert generate_agreement_evidence(active.pk, "active") is None
    assert Document.objects.filter(kind="agreement_evidence").count() == before


def test_declining_needs_a_reason_and_ends_the_flow(sent, signer, manager):
    with pytest.raises(ValidationError):
        decline(sent, signer, " ")
    agreement = decline(sent, signer, "资金不足")
    assert agreement.status == Status.DECLINED
    assert AgreementProcess.objects.get(agreement=agreement).status == "DONE"
    assert Notification.objects.filter(recipient=manager, body__contains="资金不足").exists()


def test_the_initiator_withdraws_and_the_open_task_is_cancelled(sent, manager, signer):
    services.agreement_withdraw(agreement_id=sent.pk, actor=manager)
    sent.refresh_from_db()
    assert sent.status == Status.WITHDRAWN
    assert (
        Task.objects.get(process__agreementprocess__agreement=sent, flow_task_type="HUMAN").status
        == "CANCELED"
    )
    assert events(sent, "agreement.withdrawn").get().actor == manager


def test_signing_an_agreement_withdrawn_a_moment_ago_signs_nothing(sent, manager, signer, password):
    from workflows.inbox.services import TaskUnavailable, task_claim, task_complete

    task = open_task(sent, "sign")
    task_claim(task_id=task.pk, user=signer)
    services.agreement_withdraw(agreement_id=sent.pk, actor=manager)
    with (
        pytest.raises(TaskUnavailable),
        task_complete(task_id=task.pk, user=signer, flow_task=task.flow_task),
    ):
        services.agreement_sign(agreement_id=sent.pk, actor=signer, password=password)
    sent.refresh_from_db()
    assert (sent.status, sent.document.version) == (Status.WITHDRAWN, 1)
    assert not SignatureRecord.objects.exists()


def test_withdrawal_with_a_stale_view_of_the_state_is_refused(org_signed, manager):
    with pytest.raises(TransitionNotAllowed):
        services.agreement_withdraw(
            agreement_id=org_signed.pk, actor=manager, expected_status=Status.PENDING_ORG_SIGNATURE
        )
    org_signed.refresh_from_db()
    assert org_signed.status == Status.PENDING_COMMUNITY_SIGNATURE


def test_an_active_agreement_cannot_be_withdrawn(active, manager):
    with pytest.raises(TransitionNotAllowed):
        services.agreement_withdraw(agreement_id=active.pk, actor=manager)


def test_expiry_runs_once(active):
    day_after_end = active.end_date + datetime.timedelta(days=1)
    assert services.agreements_expire_due(today=active.end_date) == 0
    assert services.agreements_expire_due(today=day_after_end) == 1
    assert services.agreements_expire_due(today=day_after_end) == 0
    active.refresh_from_db()
    assert active.status == Status.EXPIRED
    assert events(active, "agreement.expired").count() == 1


def test_reminders_go_30_and_7_days_before_the_end_once(active, manager, signer):
    thirty = active.end_date - datetime.timedelta(days=30)
    assert services.agreements_send_reminders(today=thirty) == 1
    assert services.agreements_send_reminders(today=thirty) == 0
    assert (
        services.agreements_send_reminders(today=active.end_date - datetime.timedelta(days=7)) == 1
    )
    assert (
        services.agreements_send_reminders(today=active.end_date - datetime.timedelta(days=8)) == 0
    )
    for user in (manager, signer):
        assert (
            Notification.objects.filter(recipient=user, subject__contains="ends soon").count() == 2
        )


@pytest.fixture
def approver(db):
    return UserFactory(username="decider", approver=True)


def request_termination(agreement, user, days=10):
    return services.termination_request_create(
        agreement_id=agreement.pk,
        actor=user,
        reason="机构搬迁，无法继续服务",
        effective_date=timezone.localdate() + datetime.timedelta(days=days),
    )


def test_a_party_requests_termination_and_only_one_request_is_open(active, signer, manager):
    request = request_termination(active, signer)
    active.refresh_from_db()
    assert active.status == Status.TERMINATION_REQUESTED
    with pytest.raises(ValidationError):
        request_termination(active, manager)
    assert TerminationRequest.objects.filter(agreement=active).count() == 1
    assert request.status == TerminationRequest.Status.OPEN


def test_an_outsider_cannot_request_termination(active, other_signer):
    with pytest.raises(PermissionDenied):
        request_termination(active, other_signer)


def test_approved_termination_issues_a_platform_signed_notice_and_ends_on_the_date(
    active, signer, approver, django_capture_on_commit_callbacks
):
    request = request_termination(active, signer, days=5)
    request = decide_termination(request, approver, "approve", "同意")
    assert request.status == TerminationRequest.Status.APPROVED
    report = validate_pdf(pdf_bytes(request.notice))
    assert report.ok
    assert len(report.signatures) == 1
    text = pdf_text(request.notice)
    assert active.title in text
    assert request.effective_date.isoformat() in text
    assert (
        services.agreements_terminate_due(today=request.effective_date - datetime.timedelta(days=1))
        == 0
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.agreements_terminate_due(today=request.effective_date) == 1
    active.refresh_from_db()
    assert active.status == Status.TERMINATED
    stages = evidence_stages(active)
    assert sorted(stages) == ["active", "ended"]


def test_rejected_termination_leaves_the_agreement_active(active, manager, approver):
    request = request_termination(active, manager)
    with pytest.raises(ValidationError):
        decide_termination(request, approver, "reject", "")
    request = decide_termination(request, approver, "reject", "理由不充分")
    active.refresh_from_db()
    assert (request.status, active.status) == (TerminationRequest.Status.REJECTED, Status.ACTIVE)


def test_an_approver_who_is_a_party_cannot_decide(active, signer, manager):
    from accounts.roles import approvers_group

    manager.groups.add(approvers_group())
    request = request_termination(active, signer)
    with pytest.raises(PermissionDenied):
        services.termination_approve(
            request_id=request.pk, actor=UserFactory._meta.model.objects.get(pk=manager.pk)
        )
    request.refresh_from_db()
    assert request.status == TerminationRequest.Status.OPEN


def test_a_signer_cannot_countersign_for_the_community(org_signed, signer, password):
    with pytest.raises(PermissionDenied):
        services.agreement_countersign(agreement_id=org_signed.pk, actor=signer, password=password)
    org_signed.refresh_from_db()
    assert org_signed.status == Status.PENDING_COMMUNITY_SIGNATURE


def test_countersigning_before_the_organization_signed_is_refused(sent, manager, password):
    with pytest.raises(TransitionNotAllowed):
        services.agreement_countersign(agreement_id=sent.pk, actor=manager, password=password)
    sent.refresh_from_db()
    assert (sent.status, sent.document.version) == (Status.PENDING_ORG_SIGNATURE, 1)


def test_another_organizations_signer_cannot_decline(sent, other_signer):
    with pytest.raises(PermissionDenied):
        services.agreement_decline(agreement_id=sent.pk, actor=other_signer, reason="no")


def test_only_the_initiator_withdraws(sent, community):
    from accounts import services as accounts_services
    from tests.conftest import fresh

    colleague = UserFactory(username="colleague")
    accounts_services.community_manager_add(community=community, user=colleague, actor=None)
    with pytest.raises(PermissionDenied):
        services.agreement_withdraw(agreement_id=sent.pk, actor=fresh(colleague))
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_ORG_SIGNATURE


def test_withdrawal_notifies_the_organizations_signers(sent, manager, signer):
    services.agreement_withdraw(agreement_id=sent.pk, actor=manager)
    assert Notification.objects.filter(recipient=signer, subject__contains="withdrawn").exists()


def test_expiry_notifies_both_parties(active, manager, signer):
    services.agreements_expire_due(today=active.end_date + datetime.timedelta(days=1))
    for user in (manager, signer):
        assert Notification.objects.filter(recipient=user, subject__contains="expired").exists()


def test_the_daily_beat_job_expires_what_is_due(active):
    from workflows.agreements.jobs import agreements_daily

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    AidAgreement.objects.filter(pk=active.pk).update(
        effective_date=yesterday - datetime.timedelta(days=30), end_date=yesterday
    )
    assert agreements_daily() == {"reminders": 0, "expired": 1, "terminated": 0}
    active.refresh_from_db()
    assert active.status == Status.EXPIRED
