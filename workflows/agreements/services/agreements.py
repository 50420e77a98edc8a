"""Drafting, sending, signing, declining, countersigning and withdrawing an agreement.

Locking order, everywhere: the flow's process row first (when a flow is involved), then the
agreement row. Signing and withdrawing race on exactly these two locks.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Organization, User
from accounts.selectors import community_managers, organization_signers
from accounts.states import expect_state
from documents.files import field_file_save
from documents.uploads import validate_upload
from signing.services import PasswordConfirmation
from workflows.inbox.services import atomic_service, process_cancel, process_locked, process_start

from .. import pdfs, permissions
from ..models import AgreementAttachment, AidAgreement
from ..tasks import generate_agreement_evidence
from .common import Status, locked, notify, parties, record

EDITABLE_FIELDS = ("title", "scope", "terms", "effective_date", "end_date", "amount", "language")


def _check_dates(effective_date: datetime.date, end_date: datetime.date) -> None:
    if end_date <= effective_date:
        raise ValidationError({"end_date": _("The end date must be after the effective date.")})


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


@atomic_service
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
    record(agreement, action="agreement.created", actor=actor, source="")
    return agreement


@atomic_service
def agreement_update(
    *,
    agreement_id: int,
    actor: User,
    attachments: tuple[UploadedFile, ...] = (),
    **fields: Any,
) -> AidAgreement:
    agreement = locked(agreement_id)
    if not permissions.can_edit(agreement, actor):
        raise PermissionDenied
    if not agreement.is_editable:
        raise ValidationError(_("Only a draft can be edited."))
    changed = [k for k in EDITABLE_FIELDS if k in fields and getattr(agreement, k) != fields[k]]
    for key in changed:
        setattr(agreement, key, fields[key])
    _check_dates(agreement.effective_date, agreement.end_date)
    agreement.save()
    for upload in attachments:
        _attach(agreement, upload, actor)
        changed.append("attachment")
    record(
        agreement, action="agreement.updated", actor=actor, source=agreement.status, fields=changed
    )
    return agreement


@atomic_service
def agreement_send(
    *, agreement_id: int, actor: User, expected_status: str | None = None
) -> AidAgreement:
    """Render the agreement PDF once, and hand it to the organization's signers."""
    agreement = locked(agreement_id)
    expect_state(agreement, expected_status)
    if not permissions.can_send(agreement, actor):
        raise PermissionDenied
    if agreement.organization.status != Organization.Status.ACTIVE:
        raise ValidationError({"organization": _("This organization is not active.")})
    if agreement.end_date <= timezone.localdate():
        raise ValidationError({"end_date": _("The end date has already passed.")})
    source = agreement.status
    agreement.send()
    agreement.document = pdfs.render_agreement(agreement, actor=actor)
    agreement.save()
    record(
        agreement,
        action="agreement.sent",
        actor=actor,
        source=source,
        document_id=agreement.document_id,
        sha256=agreement.document.sha256,
    )
    process_start(agreement)
    notify(
        organization_signers(organization=agreement.organization),
        agreement,
        _("Agreement to sign: %(title)s"),
        _("%(community)s sent you the aid agreement “%(title)s” to review and sign."),
        community=agreement.community.name,
    )
    return agreement


@atomic_service
def agreement_sign(
    *, agreement_id: int, actor: User, password: str | PasswordConfirmation
) -> AidAgreement:
    """The organization signs (PAdES, certifying): called inside the sign task's completion.
    `password` is the signer's, or the confirmation `signer_password_check` gave for it."""
    agreement = locked(agreement_id)
    if not permissions.can_sign(agreement, actor):
        raise PermissionDenied
    source = agreement.status
    agreement.sign_for_organization(by=actor)
    agreement.document = pdfs.sign_for_organization(agreement, actor=actor, password=password)
    agreement.save()
    record(
        agreement,
        action="agreement.signed",
        actor=actor,
        source=source,
        document_id=agreement.document_id,
        sha256=agreement.document.sha256,
    )
    notify(
        community_managers(community=agreement.community),
        agreement,
        _("Agreement to countersign: %(title)s"),
        _(
            "%(organization)s signed the aid agreement “%(title)s”; "
            "it waits for your countersignature."
        ),
        organization=agreement.organization.name,
    )
    return agreement


@atomic_service
def agreement_decline(*, agreement_id: int, actor: User, reason: str) -> AidAgreement:
    agreement = locked(agreement_id)
    if not permissions.can_decline(agreement, actor):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the community a reason.")})
    source = agreement.status
    agreement.decline(reason=reason)
    agreement.save()
    record(agreement, action="agreement.declined", actor=actor, source=source, reason=reason)
    notify(
        community_managers(community=agreement.community),
        agreement,
        _("Agreement declined: %(title)s"),
        _("%(organization)s declined the aid agreement “%(title)s”. Reason: %(reason)s"),
        organization=agreement.organization.name,
        reason=reason,
    )
    return agreement


@atomic_service
def agreement_countersign(
    *, agreement_id: int, actor: User, password: str | PasswordConfirmation
) -> AidAgreement:
    """The community countersigns (incremental signature); the agreement becomes active."""
    agreement = locked(agreement_id)
    if not permissions.can_countersign(agreement, actor):
        raise PermissionDenied
    source = agreement.status
    agreement.countersign(by=actor)
    agreement.document = pdfs.countersign_for_community(agreement, actor=actor, password=password)
    agreement.save()
    record(
        agreement,
        action="agreement.countersigned",
        actor=actor,
        source=source,
        document_id=agreement.document_id,
        sha256=agreement.document.sha256,
    )
    generate_agreement_evidence.delay_on_commit(agreement.pk, "active")
    notify(
        parties(agreement),
        agreement,
        _("Agreement active: %(title)s"),
        _("The aid agreement “%(title)s” is signed by both parties and active."),
    )
    return agreement


@atomic_service
def agreement_withdraw(
    *, agreement_id: int, actor: User, expected_status: str | None = None
) -> AidAgreement:
    """The initiator withdraws before the agreement is active; its open signing process is
    cancelled.

    `expected_status` is the state the initiator saw: if someone acted in between (say the
    organization signed a moment ago), nothing is withdrawn and the caller shows the new state.
    """
    with process_locked(AidAgreement, agreement_id):
        agreement = locked(agreement_id)
        expect_state(agreement, expected_status)
        if not permissions.can_withdraw(agreement, actor):
            raise PermissionDenied
        source = agreement.status
        agreement.withdraw()
        agreement.save()
        process_cancel(agreement)
        record(agreement, action="agreement.withdrawn", actor=actor, source=source)
        if source != Status.DRAFT:
            notify(
                organization_signers(organization=agreement.organization),
                agreement,
                _("Agreement withdrawn: %(title)s"),
                _("The community withdrew the aid agreement “%(title)s”."),
            )
        return agreement
