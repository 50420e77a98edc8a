"""Termination: a party asks to end an active agreement, an approver decides in the inbox."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts.models import User
from accounts.states import expect_state
from workflows.inbox.services import atomic_service, process_start

from .. import pdfs, permissions
from ..models import TerminationRequest
from .common import Status, locked, notify, parties, record
from .lifecycle import agreement_terminate


@atomic_service
def termination_request_create(
    *,
    agreement_id: int,
    actor: User,
    reason: str,
    effective_date: datetime.date,
    expected_status: str | None = None,
) -> TerminationRequest:
    """A party asks to terminate an active agreement; one open request at a time."""
    agreement = locked(agreement_id)
    expect_state(agreement, expected_status)
    if not permissions.can_request_termination(agreement, actor):
        raise PermissionDenied
    if agreement.status == Status.TERMINATION_REQUESTED:
        raise ValidationError(_("A termination request for this agreement is already open."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the termination.")})
    if effective_date < timezone.localdate():
        raise ValidationError({"effective_date": _("The effective date cannot be in the past.")})
    source = agreement.status
    agreement.request_termination()
    agreement.save()
    request = TerminationRequest.objects.create(
        agreement=agreement, requested_by=actor, reason=reason, effective_date=effective_date
    )
    record(
        agreement,
        action="agreement.termination_requested",
        actor=actor,
        source=source,
        request_id=request.pk,
        reason=reason,
        effective_date=effective_date,
    )
    process_start(request)
    notify(
        [u for u in parties(agreement) if u.pk != actor.pk],
        agreement,
        _("Termination requested: %(title)s"),
        _("%(who)s asked to terminate the aid agreement “%(title)s”. Reason: %(reason)s"),
        who=str(actor),
        reason=reason,
    )
    return request


def _locked_request(request_id: int) -> TerminationRequest:
    return (
        TerminationRequest.objects.select_for_update(of=("self",))
        .select_related("agreement__community", "agreement__organization")
        .get(pk=request_id)
    )


def _record_decision(request: TerminationRequest, *, action: str, actor: User, source: str):
    audit.record(
        action=action,
        actor=actor,
        target=request,
        from_state=source,
        to_state=request.status,
        payload={
            "agreement_id": request.agreement_id,
            "reason": request.decision_reason,
            "notice_id": request.notice_id,
        },
    )


@atomic_service
def termination_approve(*, request_id: int, actor: User, reason: str = "") -> TerminationRequest:
    """Approve: a platform-signed termination notice; the agreement ends on the effective date."""
    request = _locked_request(request_id)
    if not permissions.can_decide_termination(request, actor):
        raise PermissionDenied
    source = request.status
    request.approve(by=actor, reason=reason)
    request.notice = pdfs.termination_notice(request, actor=actor)
    request.save()
    _record_decision(request, action="termination.approved", actor=actor, source=source)
    agreement = request.agreement
    notify(
        parties(agreement),
        agreement,
        _("Termination approved: %(title)s"),
        _("The termination of “%(title)s” was approved; it ends on %(date)s."),
        date=request.effective_date.isoformat(),
    )
    if request.effective_date <= timezone.localdate():
        agreement_terminate(agreement_id=agreement.pk)
    return request


@atomic_service
def termination_reject(*, request_id: int, actor: User, reason: str) -> TerminationRequest:
    """Reject: the agreement stays active."""
    request = _locked_request(request_id)
    if not permissions.can_decide_termination(request, actor):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the parties a reason.")})
    source = request.status
    request.reject(by=actor, reason=reason)
    request.save()
    _record_decision(request, action="termination.rejected", actor=actor, source=source)
    agreement = locked(request.agreement_id)
    agreement_source = agreement.status
    agreement.keep_active()
    agreement.save()
    record(
        agreement,
        action="agreement.kept_active",
        actor=actor,
        source=agreement_source,
        request_id=request.pk,
    )
    notify(
        parties(agreement),
        agreement,
        _("Termination rejected: %(title)s"),
        _("The request to terminate “%(title)s” was rejected. Reason: %(reason)s"),
        reason=reason,
    )
    return request
