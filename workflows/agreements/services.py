"""Every write to an aid agreement or a termination request.

Locking order, everywhere: the flow's process row first (when a flow is involved), then the
agreement row. Signing and withdrawing race on exactly these two locks.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Community, Organization, User
from documents.files import field_file_save
from documents.uploads import validate_upload
from signing.services import PasswordConfirmation

from . import documents as agreement_documents
from . import permissions, selectors
from .models import (
    AgreementAttachment,
    AgreementProcess,
    AgreementReminder,
    AidAgreement,
    TerminationRequest,
)
from .tasks import generate_agreement_evidence

Status = AidAgreement.Status
EDITABLE_FIELDS = ("title", "scope", "terms", "effective_date", "end_date", "amount", "language")


def _locked(agreement_id: int) -> AidAgreement:
    return (
        AidAgreement.objects.select_for_update(of=("self",))
        .select_related("community", "organization", "document")
        .get(pk=agreement_id)
    )


def _record(
    agreement: AidAgreement, *, action: str, actor: User | None, source: str, **payload: Any
):
    return audit.record(
        action=action,
        actor=actor,
        target=agreement,
        from_state=source,
        to_state=agreement.status,
        payload=payload,
    )


def _check_dates(effective_date: datetime.date, end_date: datetime.date) -> None:
    if end_date <= effective_date:
        raise ValidationError({"end_date": _("The end date must be after the effective date.")})


def _notify(users: Any, agreement: AidAgreement, subject: Any, body: Any, **params: Any) -> None:
    for user in users:
        accounts_services.notify(
            recipient=user,
            subject=subject,
            body=body,
            params={"title": agreement.title, **params},
            url=reverse("agreements:detail", args=[agreement.pk]),
        )


def _parties(agreement: AidAgreement) -> list[User]:
    return list(selectors.agreement_parties(agreement))


@transaction.atomic
def agreement_create(
    *,
    actor: User,
    community: Community,
    organization: Organization,
    attachments: tuple[UploadedFile, ...] = (),
    **fields: Any,
) -> AidAgreement:
    """A community manager drafts an agreement with an active organization."""
    if not permissions.can_draft(community, actor):
        raise PermissionDenied
    if organization.status != Organization.Status.ACTIVE:
        raise ValidationError({"organization": _("This organization is not active.")})
    _check_dates(fields["effective_date"], fields["end_date"])
    agreement = AidAgreement.objects.create(
        community=community,
        organization=organization,
        initiator=actor,
        **{k: fields[k] for k in EDITABLE_FIELDS if k in fields},
    )
    for upload in attachments:
        _attach(agreement, upload, actor)
    _record(agreement, action="agreement.created", actor=actor, source="")
    return agreement


def _attach(agreement: AidAgreement, upload: UploadedFile, actor: User) -> AgreementAttachment:
    content_type = validate_upload(upload)
    attachment = AgreementAttachment(
        agreement=agreement,
        name=(upload.name or "attachment")[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    field_file_save(attachment.file, upload.name or "attachment", upload)
    attachment.save()
    return attachment


@transaction.atomic
def agreement_update(
    *,
    agreement_id: int,
    actor: User,
    attachments: tuple[UploadedFile, ...] = (),
    **fields: Any,
) -> AidAgreement:
    agreement = _locked(agreement_id)
    if not permissions.can_edit(agreement, actor):
        raise PermissionDenied
    changed = [k for k in EDITABLE_FIELDS if k in fields and getattr(agreement, k) != fields[k]]
    for key in changed:
        setattr(agreement, key, fields[key])
    _check_dates(agreement.effective_date, agreement.end_date)
    agreement.save()
    for upload in attachments:
        _attach(agreement, upload, actor)
        changed.append("attachment")
    _record(
        agreement, action="agreement.updated", actor=actor, source=agreement.status, fields=changed
    )
    return agreement


@transaction.atomic
def agreement_send(*, agreement_id: int, actor: User) -> AidAgreement:
    """Render the agreement PDF once, and hand it to the organization's signers."""
    from .flows import AgreementFlow

    agreement = _locked(agreement_id)
    if not permissions.can_send(agreement, actor):
        raise PermissionDenied
    if agreement.end_date <= timezone.localdate():
        raise ValidationError({"end_date": _("The end date has already passed.")})
    source = agreement.status
    agreement.send()
    agreement.document = agreement_documents.render_agreement(agreement, actor=actor)
    agreement.save()
    _record(
        agreement,
        action="agreement.sent",
        actor=actor,
        source=source,
        document_id=agreement.document_id,
        sha256=agreement.document.sha256,
    )
    AgreementFlow.start.run(agreement=agreement)
    _notify(
        selectors.organization_signers(agreement.organization),
        agreement,
        _("Agreement to sign: %(title)s"),
        _("%(community)s sent you the aid agreement “%(title)s” to review and sign."),
        community=agreement.community.name,
    )
    return agreement


@transaction.atomic
def agreement_sign(
    *, agreement_id: int, actor: User, password: str | PasswordConfirmation
) -> AidAgreement:
    """The organization signs (PAdES, certifying): called inside the sign task's completion.
    `password` is the signer's, or the confirmation `signer_password_check` gave for it."""
    agreement = _locked(agreement_id)
    if not permissions.can_sign(agreement, actor):
        raise PermissionDenied
    source = agreement.status
    agreement.sign_for_organization(by=actor)
    agreement.document = agreement_documents.sign_for_organization(
        agreement, actor=actor, password=password
    )
    agreement.save()
    _record(
        agreement,
        action="agreement.signed",
        actor=actor,
        source=source,
        document_id=agreement.document_id,
        sha256=agreement.document.sha256,
    )
    _notify(
        selectors.community_managers(agreement.community),
        agreement,
        _("Agreement to countersign: %(title)s"),
        _(
            "%(organization)s signed the aid agreement “%(title)s”; "
            "it waits for your countersignature."
        ),
        organization=agreement.organization.name,
    )
    return agreement


@transaction.atomic
def agreement_decline(*, agreement_id: int, actor: User, reason: str) -> AidAgreement:
    agreement = _locked(agreement_id)
    if not permissions.can_decline(agreement, actor):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the community a reason.")})
    source = agreement.status
    agreement.decline(reason=reason)
    agreement.save()
    _record(agreement, action="agreement.declined", actor=actor, source=source, reason=reason)
    _notify(
        selectors.community_managers(agreement.community),
        agreement,
        _("Agreement declined: %(title)s"),
        _("%(organization)s declined the aid agreement “%(title)s”. Reason: %(reason)s"),
        organization=agreement.organization.name,
        reason=reason,
    )
    return agreement


@transaction.atomic
def agreement_countersign(
    *, agreement_id: int, actor: User, password: str | PasswordConfirmation
) -> AidAgreement:
    """The community countersigns (incremental signature); the agreement becomes active."""
    agreement = _locked(agreement_id)
    if not permissions.can_countersign(agreement, actor):
        raise PermissionDenied
    source = agreement.status
    agreement.countersign(by=actor)
    agreement.document = agreement_documents.countersign_for_community(
        agreement, actor=actor, password=password
    )
    agreement.save()
    _record(
        agreement,
        action="agreement.countersigned",
        actor=actor,
        source=source,
        document_id=agreement.document_id,
        sha256=agreement.document.sha256,
    )
    generate_agreement_evidence.delay_on_commit(agreement.pk, "active")
    _notify(
        _parties(agreement),
        agreement,
        _("Agreement active: %(title)s"),
        _("The aid agreement “%(title)s” is signed by both parties and active."),
    )
    return agreement


@transaction.atomic
def agreement_withdraw(
    *, agreement_id: int, actor: User, expected_status: str | None = None
) -> AidAgreement:
    """The initiator withdraws before the agreement is active.

    `expected_status` is the state the initiator saw: if someone acted in between (say the
    organization signed a moment ago), nothing is withdrawn and the caller shows the new state.
    """
    from .flows import AgreementFlow

    process = AgreementProcess.objects.filter(agreement_id=agreement_id).order_by("-pk").first()
    if process is not None:
        with AgreementFlow.lock(process.pk):
            return _withdraw(agreement_id, actor, expected_status, process)
    return _withdraw(agreement_id, actor, expected_status, None)


def _withdraw(agreement_id: int, actor: User, expected_status: str | None, process: Any):
    from django_fsm import TransitionNotAllowed

    from .flows import AgreementFlow

    agreement = _locked(agreement_id)
    if expected_status is not None and agreement.status != expected_status:
        raise TransitionNotAllowed("The agreement changed state in the meantime.")
    if not permissions.can_withdraw(agreement, actor):
        raise PermissionDenied
    source = agreement.status
    agreement.withdraw()
    agreement.save()
    if process is not None and process.finished is None:
        AgreementFlow.instance.cancel(process)
    _record(agreement, action="agreement.withdrawn", actor=actor, source=source)
    if source != Status.DRAFT:
        _notify(
            [*selectors.organization_signers(agreement.organization)],
            agreement,
            _("Agreement withdrawn: %(title)s"),
            _("The community withdrew the aid agreement “%(title)s”."),
        )
    return agreement


@transaction.atomic
def agreement_expire(*, agreement_id: int, today: datetime.date | None = None) -> AidAgreement:
    """Expire an active agreement whose end date has passed. Running it twice does nothing."""
    return _expire_if_due(agreement_id, today or timezone.localdate())[0]


def _expire_if_due(agreement_id: int, today: datetime.date) -> tuple[AidAgreement, bool]:
    agreement = _locked(agreement_id)
    if agreement.status != Status.ACTIVE or agreement.end_date >= today:
        return agreement, False
    _end(
        agreement,
        agreement.expire,
        action="agreement.expired",
        subject=_("Agreement expired: %(title)s"),
        body=_("The aid agreement “%(title)s” reached its end date and has expired."),
    )
    return agreement, True


def _end(agreement: AidAgreement, transition: Any, *, action: str, subject: Any, body: Any) -> None:
    """What every end of an agreement does: the transition, its audit row, the closing
    evidence summary (after commit) and both parties told."""
    source = agreement.status
    transition()
    agreement.save()
    _record(agreement, action=action, actor=None, source=source)
    generate_agreement_evidence.delay_on_commit(agreement.pk, "ended")
    _notify(_parties(agreement), agreement, subject, body)


def _run_due(agreement_ids: list[int], step: Any, today: datetime.date) -> int:
    """Run `step` on each agreement in its own transaction; count what this run changed
    (a concurrent run may have done it a moment ago)."""
    changed = 0
    for pk in agreement_ids:
        with transaction.atomic():
            changed += step(pk, today)[1]
    return changed


def agreements_expire_due(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return _run_due(selectors.agreement_ids_due_to_expire(today=today), _expire_if_due, today)


def agreements_send_reminders(
    *, today: datetime.date | None = None, days: tuple[int, ...] = (30, 7)
) -> int:
    """Remind both parties `days` before the end date; each reminder is sent once."""
    today = today or timezone.localdate()
    sent = 0
    for days_before in days:
        for agreement in selectors.agreements_ending_on(today + datetime.timedelta(days_before)):
            try:
                with transaction.atomic():
                    AgreementReminder.objects.create(agreement=agreement, days_before=days_before)
                    _notify(
                        _parties(agreement),
                        agreement,
                        _("Agreement ends soon: %(title)s"),
                        _("The aid agreement “%(title)s” ends on %(end_date)s, in %(days)s days."),
                        end_date=agreement.end_date.isoformat(),
                        days=days_before,
                    )
                    audit.record(
                        action="agreement.reminder_sent",
                        target=agreement,
                        payload={"days_before": days_before},
                    )
                    sent += 1
            except IntegrityError:
                continue
    return sent


@transaction.atomic
def termination_request_create(
    *, agreement_id: int, actor: User, reason: str, effective_date: datetime.date
) -> TerminationRequest:
    """A party asks to terminate an active agreement; one open request at a time."""
    from .flows import TerminationFlow

    agreement = _locked(agreement_id)
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
    _record(
        agreement,
        action="agreement.termination_requested",
        actor=actor,
        source=source,
        request_id=request.pk,
        reason=reason,
        effective_date=effective_date,
    )
    TerminationFlow.start.run(termination_request=request)
    _notify(
        [u for u in _parties(agreement) if u.pk != actor.pk],
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
        .select_related("agreement")
        .get(pk=request_id)
    )


@transaction.atomic
def termination_approve(*, request_id: int, actor: User, reason: str = "") -> TerminationRequest:
    """Approve: a platform-signed termination notice; the agreement ends on the effective date."""
    request = _locked_request(request_id)
    if not permissions.can_decide_termination(request, actor):
        raise PermissionDenied
    request.approve(by=actor, reason=reason)
    request.notice = agreement_documents.termination_notice(request, actor=actor)
    request.save()
    audit.record(
        action="termination.approved",
        actor=actor,
        target=request.agreement,
        payload={"request_id": request.pk, "reason": reason, "notice_id": request.notice_id},
    )
    agreement = request.agreement
    _notify(
        _parties(agreement),
        agreement,
        _("Termination approved: %(title)s"),
        _("The termination of “%(title)s” was approved; it ends on %(date)s."),
        date=request.effective_date.isoformat(),
    )
    if request.effective_date <= timezone.localdate():
        agreement_terminate(agreement_id=agreement.pk)
    return request


@transaction.atomic
def termination_reject(*, request_id: int, actor: User, reason: str) -> TerminationRequest:
    request = _locked_request(request_id)
    if not permissions.can_decide_termination(request, actor):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the parties a reason.")})
    request.reject(by=actor, reason=reason)
    request.save()
    agreement = _locked(request.agreement_id)
    source = agreement.status
    agreement.keep_active()
    agreement.save()
    _record(
        agreement,
        action="termination.rejected",
        actor=actor,
        source=source,
        request_id=request.pk,
        reason=reason,
    )
    _notify(
        _parties(agreement),
        agreement,
        _("Termination rejected: %(title)s"),
        _("The request to terminate “%(title)s” was rejected. Reason: %(reason)s"),
        reason=reason,
    )
    return request


@transaction.atomic
def agreement_terminate(*, agreement_id: int, today: datetime.date | None = None) -> AidAgreement:
    """End an agreement whose approved termination has reached its effective date."""
    return _terminate_if_due(agreement_id, today or timezone.localdate())[0]


def _terminate_if_due(agreement_id: int, today: datetime.date) -> tuple[AidAgreement, bool]:
    agreement = _locked(agreement_id)
    approved = agreement.termination_requests.filter(
        status=TerminationRequest.Status.APPROVED, effective_date__lte=today
    ).exists()
    if agreement.status != Status.TERMINATION_REQUESTED or not approved:
        return agreement, False
    _end(
        agreement,
        agreement.terminate,
        action="agreement.terminated",
        subject=_("Agreement terminated: %(title)s"),
        body=_("The aid agreement “%(title)s” is terminated."),
    )
    return agreement, True


def agreements_terminate_due(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return _run_due(selectors.agreement_ids_due_to_terminate(today=today), _terminate_if_due, today)
