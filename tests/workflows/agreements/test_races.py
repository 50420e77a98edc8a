"""Races between real concurrent requests, each thread on its own database connection.

Runs on both databases: PostgreSQL serializes on the flow's process row lock and the agreement
row lock (SELECT … FOR UPDATE), SQLite on its IMMEDIATE write transactions. Where the winner
of a race is left to chance the test checks the invariants of whichever outcome happened;
the "a moment earlier" tests hold one side inside its lock while the other arrives, so each
outcome is also checked for certain.
"""

import datetime
import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from viewflow.workflow.models import Task

from accounts.models import Notification
from audit.models import AuditEvent
from documents.models import Document, DocumentStage
from signing.models import SignatureRecord
from signing.services import validate_pdf
from tests.conftest import fresh
from tests.races import Outcome, run_at_once
from workflows.agreements import services
from workflows.agreements.flows import AgreementFlow
from workflows.agreements.models import AidAgreement, TerminationRequest
from workflows.inbox.services import TaskUnavailable, task_claim, task_complete

from .helpers import open_decision, open_task

pytestmark = pytest.mark.django_db(transaction=True)

Status = AidAgreement.Status
# How long a thread that holds a lock keeps it, so that the other one surely arrives meanwhile.
HOLD_SECONDS = 0.3


def evidence_stages(agreement) -> list[str]:
    """The evidence summaries made for `agreement`: its `agreement_evidence:<stage>` rows."""
    rows = DocumentStage.objects.filter(
        owner_type=ContentType.objects.get_for_model(agreement), owner_id=str(agreement.pk)
    ).values_list("stage", flat=True)
    return [stage.split(":", 1)[1] for stage in rows if stage.startswith("agreement_evidence:")]


def events(target, action) -> int:
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        action=action,
    ).count()


def agreement_versions(agreement) -> list[int]:
    return sorted(
        Document.objects.filter(owner_id=str(agreement.pk), kind="agreement").values_list(
            "version", flat=True
        )
    )


def pdf_bytes(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


# --- The organization signs while the initiator withdraws ----------------------------------------


def signing(agreement, signer, password, *, inside=None, hold=0.0):
    """What the sign page does: complete the claimed task around the signature. With `inside`,
    signal it once the process lock is held and keep holding it `hold` seconds."""
    task = open_task(agreement, "sign")

    def call():
        with task_complete(task_id=task.pk, user=signer, flow_task=task.flow_task):
            if inside is not None:
                inside.set()
                time.sleep(hold)
            services.agreement_sign(agreement_id=agreement.pk, actor=signer, password=password)

    return call


def withdrawing(agreement, manager):
    """What the withdraw button does, with the state the initiator saw on the page."""
    return lambda: services.agreement_withdraw(
        agreement_id=agreement.pk,
        actor=manager,
        expected_status=Status.PENDING_ORG_SIGNATURE,
    )


def after(event, call):
    def wait_then_call():
        assert event.wait(timeout=30), "the other side never took its lock"
        return call()

    return wait_then_call


def assert_signing_won(agreement, sign: Outcome, withdraw: Outcome) -> None:
    assert sign.ok, sign.error
    assert isinstance(withdraw.error, TransitionNotAllowed), withdraw.error
    agreement.refresh_from_db()
    assert agreement.status == Status.PENDING_COMMUNITY_SIGNATURE
    assert agreement.document.version == 2
    assert agreement_versions(agreement) == [1, 2]
    record = SignatureRecord.objects.get()
    assert record.document == agreement.document
    report = validate_pdf(pdf_bytes(agreement.document))
    assert report.ok
    assert [s.field_name for s in report.signatures] == ["organization"]
    assert (events(agreement, "agreement.signed"), events(agreement, "agreement.withdrawn")) == (
        1,
        0,
    )
    assert open_task(agreement, "countersign").owner_id is None


def assert_withdrawal_won(agreement, sign: Outcome, withdraw: Outcome) -> None:
    assert withdraw.ok, withdraw.error
    assert isinstance(sign.error, TaskUnavailable), sign.error
    agreement.refresh_from_db()
    assert agreement.status == Status.WITHDRAWN
    assert agreement.document.version == 1
    assert agreement_versions(agreement) == [1]
    assert not SignatureRecord.objects.exists()
    assert (events(agreement, "agreement.signed"), events(agreement, "agreement.withdrawn")) == (
        0,
        1,
    )
    sign_task = Task.objects.get(
        process__agreementprocess__agreement=agreement, flow_task=AgreementFlow.sign
    )
    assert sign_task.status == "CANCELED"


@pytest.fixture
def claimed(sent, signer):
    """Sent, and the sign task claimed by the organization's signer (the page is open)."""
    task_claim(task_id=open_task(sent, "sign").pk, user=signer)
    return sent


@pytest.mark.parametrize("attempt", range(3))
def test_signing_and_withdrawing_at_the_same_moment_exactly_one_wins(
    claimed, signer, manager, password, attempt
):
    sign, withdraw = run_at_once(
        signing(claimed, fresh(signer), password), withdrawing(claimed, fresh(manager))
    )

    assert sign.ok != withdraw.ok, (sign.error, withdraw.error)
    if sign.ok:
        assert_signing_won(claimed, sign, withdraw)
    else:
        assert_withdrawal_won(claimed, sign, withdraw)


def test_a_withdrawal_arriving_while_the_organization_signs_is_refused(
    claimed, signer, manager, password
):
    signing_started = threading.Event()
    sign, withdraw = run_at_once(
        signing(claimed, fresh(signer), password, inside=signing_started, hold=HOLD_SECONDS),
        after(signing_started, withdrawing(claimed, fresh(manager))),
    )

    assert_signing_won(claimed, sign, withdraw)


def test_a_signature_arriving_while_the_initiator_withdraws_signs_nothing(
    claimed, signer, manager, password, monkeypatch
):
    from workflows.agreements.services import agreements as agreement_services

    withdrawn = threading.Event()
    original = agreement_services.process_cancel

    def cancel_and_hold(*args, **kwargs):
        # Still inside the withdrawal's transaction, holding the process and agreement locks.
        result = original(*args, **kwargs)
        withdrawn.set()
        time.sleep(HOLD_SECONDS)
        return result

    monkeypatch.setattr(agreement_services, "process_cancel", cancel_and_hold)
    sign, withdraw = run_at_once(
        after(withdrawn, signing(claimed, fresh(signer), password)),
        withdrawing(claimed, fresh(manager)),
    )

    assert_withdrawal_won(claimed, sign, withdraw)


# --- Two decisions on one termination request -------------------------------------------------


@pytest.fixture
def termination(active, signer):
    return services.termination_request_create(
        agreement_id=active.pk,
        actor=signer,
        reason="机构搬迁，无法继续服务",
        effective_date=timezone.localdate() + datetime.timedelta(days=30),
    )


def deciding(request, approver, decision, *, claim: bool):
    service = services.termination_approve if decision == "approve" else services.termination_reject
    task = open_decision(request)

    def call():
        if claim:
            task_claim(task_id=task.pk, user=approver)
        with task_complete(task_id=task.pk, user=approver, flow_task=task.flow_task):
            service(request_id=request.pk, actor=approver, reason=f"{decision}: 已核实")
        return decision

    return call


def decision_notifications(agreement) -> dict[int, int]:
    """Per recipient, how many "approved"/"rejected" notices about the decision they got."""
    counts: dict[int, int] = {}
    for notification in Notification.objects.filter(
        subject__regex=r"^Termination (approved|rejected)"
    ):
        counts[notification.recipient_id] = counts.get(notification.recipient_id, 0) + 1
    return counts


def test_two_approvers_claiming_and_approving_at_once_record_one_decision(
    termination, approver, other_approver, manager, signer
):
    first, second = fresh(approver), fresh(other_approver)
    outcomes = run_at_once(
        deciding(termination, first, "approve", claim=True),
        deciding(termination, second, "approve", claim=True),
    )

    assert [o.ok for o in outcomes].count(True) == 1, [o.error for o in outcomes]
    loser = next(o for o in outcomes if not o.ok)
    assert isinstance(loser.error, TaskUnavailable), loser.error
    winner = first if outcomes[0].ok else second
    termination.refresh_from_db()
    assert termination.status == TerminationRequest.Status.APPROVED
    assert termination.decided_by == winner
    agreement = termination.agreement
    assert events(termination, "termination.approved") == 1
    assert events(termination, "task.assigned") == 1
    notices = Document.objects.filter(owner_id=str(agreement.pk), kind="termination_notice")
    # One notice, stored once, signed by the platform as it was stored.
    assert list(notices.values_list("version", flat=True)) == [1]
    assert termination.notice.version == 1
    assert SignatureRecord.objects.filter(document__in=notices).count() == 1
    assert decision_notifications(agreement) == {manager.pk: 1, signer.pk: 1}


def test_approving_and_rejecting_at_once_from_two_tabs_records_one_decision(
    termination, approver, manager, signer
):
    task_claim(task_id=open_decision(termination).pk, user=approver)
    outcomes = run_at_once(
        deciding(termination, fresh(approver), "approve", claim=False),
        deciding(termination, fresh(approver), "reject", claim=False),
    )

    assert [o.ok for o in outcomes].count(True) == 1, [o.error for o in outcomes]
    loser = next(o for o in outcomes if not o.ok)
    assert isinstance(loser.error, TaskUnavailable), loser.error
    decision = next(o.value for o in outcomes if o.ok)
    termination.refresh_from_db()
    agreement = termination.agreement
    agreement.refresh_from_db()
    notices = Document.objects.filter(owner_id=str(agreement.pk), kind="termination_notice")
    if decision == "approve":
        assert termination.status == TerminationRequest.Status.APPROVED
        assert agreement.status == Status.TERMINATION_REQUESTED  # ends on the effective date
        assert termination.notice is not None
        assert notices.count() == 1  # stored once, signed
    else:
        assert termination.status == TerminationRequest.Status.REJECTED
        assert agreement.status == Status.ACTIVE
        assert termination.notice is None
        assert not notices.exists()
    decided = events(termination, "termination.approved") + events(
        termination, "termination.rejected"
    )
    assert decided == 1
    assert decision_notifications(agreement) == {manager.pk: 1, signer.pk: 1}


# --- Expiry run twice at once --------------------------------------------------------------------


def test_expiry_run_twice_at_once_expires_once(active, manager, signer):
    day_after_end = active.end_date + datetime.timedelta(days=1)
    outcomes = run_at_once(
        lambda: services.agreements_expire_due(today=day_after_end),
        lambda: services.agreements_expire_due(today=day_after_end),
    )

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    # Each run reports what it changed itself.
    assert sorted(o.value for o in outcomes) == [0, 1]
    active.refresh_from_db()
    assert active.status == Status.EXPIRED
    assert events(active, "agreement.expired") == 1
    assert evidence_stages(active).count("ended") == 1
    expired_notices = Notification.objects.filter(subject__startswith="Agreement expired")
    assert sorted(expired_notices.values_list("recipient_id", flat=True)) == sorted(
        [manager.pk, signer.pk]
    )
