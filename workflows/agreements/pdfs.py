"""The agreement's documents: the PDF both parties sign, the termination notice and the
evidence summary. Rendering goes through `documents`, signatures through `signing`."""

from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

import audit.services as audit
from accounts.models import User
from audit.labels import action_label, event_model_label, state_label
from audit.selectors import audit_checkpoint_latest
from documents import services as documents_services
from documents.kinds import kind_label
from documents.models import Document
from documents.rendering import render_pdf, render_stamp
from documents.selectors import document_list_for_owner
from signing import services as signing_services
from signing.services import PasswordConfirmation, SignatureBox, SignatureField

from .models import AidAgreement, TerminationRequest
from .selectors import agreement_timeline

AGREEMENT = "agreement"
AGREEMENT_EVIDENCE = "agreement_evidence"
TERMINATION_NOTICE = "termination_notice"

# Party B (the organization) signs first, then Party A (the community) countersigns. On the
# signature page each party has a column: its label (up to three lines, bottom-aligned just
# above the stamp) from LABEL_TOP_MM, then the stamp, which carries the signing time.
LABEL_TOP_MM = 9
LABEL_HEIGHT_MM = 14
# Three lines of label hold the party's title and this much of its name in either language.
LABEL_NAME_CHARS = 50
ORGANIZATION_BOX = SignatureBox(field="organization", left_mm=90, top_mm=25)
COMMUNITY_BOX = SignatureBox(field="community", left_mm=0, top_mm=25)


def agreement_number(agreement: AidAgreement) -> str:
    return f"ACC-{agreement.created_at:%Y}-{agreement.pk:06d}"


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


def _agreement_context(agreement: AidAgreement) -> dict[str, Any]:
    with translation.override(agreement.language):
        boxes = [
            {
                **box.__dict__,
                "label": label,
                "label_top_mm": LABEL_TOP_MM,
                "label_height_mm": LABEL_HEIGHT_MM,
            }
            for box, label in (
                (
                    COMMUNITY_BOX,
                    _("Party A (community): %(name)s")
                    % {"name": Truncator(agreement.community.name).chars(LABEL_NAME_CHARS)},
                ),
                (
                    ORGANIZATION_BOX,
                    _("Party B (aid organization): %(name)s")
                    % {"name": Truncator(agreement.organization.name).chars(LABEL_NAME_CHARS)},
                ),
            )
        ]
    return {
        "title": agreement.title,
        "community_name": agreement.community.name,
        "organization_name": agreement.organization.name,
        "organization_credit_code": agreement.organization.credit_code,
        "effective_date": agreement.effective_date,
        "end_date": agreement.end_date,
        "amount": agreement.amount,
        "agreement_number": agreement_number(agreement),
        "scope_paragraphs": _paragraphs(agreement.scope),
        "terms_paragraphs": _paragraphs(agreement.terms),
        "attachment_names": [a.name for a in agreement.attachments.all()],
        "signature_boxes": boxes,
    }


def render_agreement(agreement: AidAgreement, *, actor: User) -> Document:
    """Render the agreement once, when it is sent: the version both parties sign."""
    if agreement.document_id is None:
        code, known = documents_services.document_code_new(), 0
    else:
        code, known = agreement.document.document_code, None  # read under the versions' lock
    return documents_services.document_render(
        owner=agreement,
        kind=AGREEMENT,
        title=agreement.title,
        template_name="pdf/agreement.html",
        context=_agreement_context(agreement),
        language=agreement.language,
        created_by=actor,
        document_code=code,
        after_version=known,
    )


# What a preview prints where the document's verification code goes: it has none, and no
# code of a real document can look like it (codes have CODE_LENGTH characters).
PREVIEW_CODE = "PREVIEW"


def render_agreement_preview(agreement: AidAgreement) -> bytes:
    """The PDF `render_agreement` would produce now, stored nowhere and audited nowhere: the
    community manager reads it before sending."""
    context = {
        **_agreement_context(agreement),
        "verification_code": PREVIEW_CODE,
        "document_title": agreement.title,
    }
    return render_pdf("pdf/agreement.html", context, agreement.language).pdf


def _fields(page: int) -> tuple[SignatureField, ...]:
    return tuple(box.field_on(page) for box in (ORGANIZATION_BOX, COMMUNITY_BOX))


def _stamp(agreement: AidAgreement, party: str, signer: User, role: Any) -> bytes:
    with translation.override(agreement.language):
        lines = [party, f"{role} · {signer}"]
    return render_stamp(lines=lines, width_mm=ORGANIZATION_BOX.width_mm, height_mm=22)


def sign_for_organization(
    agreement: AidAgreement, *, actor: User, password: str | PasswordConfirmation
) -> Document:
    """The organization's signature certifies the PDF (DocMDP: fill forms) and creates both
    signature fields, so that the community's later signature keeps this one valid."""
    document = agreement.document
    with translation.override(agreement.language):
        role = _("Signer for the organization")
        reason = _("Signed for the organization")
    return signing_services.document_sign(
        document=document,
        owner=agreement,
        identity=agreement.organization,
        user=actor,
        password=password,
        field_name=ORGANIZATION_BOX.field,
        reason=str(reason),
        signer_label=str(role),
        certify=True,
        fields_to_create=_fields(document.page_count - 1),
        stamp_background=_stamp(agreement, agreement.organization.name, actor, role),
    )


def countersign_for_community(
    agreement: AidAgreement, *, actor: User, password: str | PasswordConfirmation
) -> Document:
    with translation.override(agreement.language):
        role = _("Community manager")
        reason = _("Countersigned for the community")
    return signing_services.document_sign(
        document=agreement.document,
        owner=agreement,
        identity=agreement.community,
        user=actor,
        password=password,
        field_name=COMMUNITY_BOX.field,
        reason=str(reason),
        signer_label=str(role),
        stamp_background=_stamp(agreement, agreement.community.name, actor, role),
    )


def termination_notice(request: TerminationRequest, *, actor: User) -> Document:
    """Render the termination notice and have the platform sign it."""
    agreement = request.agreement
    with translation.override(agreement.language):
        reason, role = _("Termination approved by the platform"), _("Accord platform")
    return signing_services.document_render_sealed(
        owner=agreement,
        kind=TERMINATION_NOTICE,
        title=agreement.title,
        template_name="pdf/termination_notice.html",
        context={
            "title": agreement.title,
            "agreement_number": agreement_number(agreement),
            "community_name": agreement.community.name,
            "organization_name": agreement.organization.name,
            "requested_by": str(request.requested_by),
            "reason": request.reason,
            "decided_by": str(actor),
            "decided_at": request.decided_at or timezone.now(),
            "effective_date": request.effective_date,
            "decision_reason": request.decision_reason,
        },
        language=agreement.language,
        created_by=actor,
        field_name="platform",
        reason=str(reason),
        signer_label=str(role),
        stamp_background=render_stamp(lines=[str(role)], width_mm=60, height_mm=18),
        fields_to_create=lambda page_count: (
            SignatureBox("platform", 100, 200, 60, 24).field_on(page_count - 1),
        ),
    )


def evidence_summary(*, agreement_id: int, stage: str) -> Document | None:
    """Produce the signed evidence summary for `stage` ("active" or "ended"), once.

    Every audit event of the agreement (time, actor, action, states, IP, chain hash) and the
    SHA-256 of every document version, so the history can be checked offline. A second
    delivery of the same task finds the stage taken and does nothing.
    """
    with transaction.atomic(), audit.batched():
        agreement = AidAgreement.objects.select_related("community", "organization").get(
            pk=agreement_id
        )
        claim = documents_services.document_stage_claim(
            owner=agreement, stage=f"{AGREEMENT_EVIDENCE}:{stage}"
        )
        if claim is None:
            return None
        language = agreement.language
        with translation.override(language):
            # Labels in the summary's language, as registered by the apps that write them.
            events = [
                {
                    "created_at": e.created_at,
                    "actor": e.actor_repr,
                    "action": action_label(e.action),
                    "from_state": state_label(e.from_state, event_model_label(e)),
                    "to_state": state_label(e.to_state, event_model_label(e)),
                    "ip": e.ip_address or "",
                    "hash": e.hash,
                }
                for e in agreement_timeline(agreement=agreement)
            ]
            status_label = agreement.get_status_display()
            title = _("Evidence summary: %(title)s") % {"title": agreement.title}
            reason, role = _("Evidence summary sealed by the platform"), _("Accord platform")
            documents = list(document_list_for_owner(agreement))
            versions = [
                {
                    "kind": kind_label(d.kind),
                    "version": d.version,
                    "created_at": d.created_at,
                    "sha256": d.sha256,
                }
                for d in documents
                if d.kind != AGREEMENT_EVIDENCE
            ]
            # The summary of the other stage, if any, is an earlier version of this document.
            code, newest = max(
                ((d.document_code, d.version) for d in documents if d.kind == AGREEMENT_EVIDENCE),
                key=lambda code_version: code_version[1],
                default=(documents_services.document_code_new(), 0),
            )
        # An invisible signature: the summary is a sealed record, not a form to look at.
        sealed = signing_services.document_render_sealed(
            owner=agreement,
            kind=AGREEMENT_EVIDENCE,
            title=title,
            template_name="pdf/agreement_evidence.html",
            context={
                "title": agreement.title,
                "agreement_number": agreement_number(agreement),
                "community_name": agreement.community.name,
                "organization_name": agreement.organization.name,
                "status_label": status_label,
                "produced_at": timezone.now(),
                "documents": versions,
                "events": events,
                "checkpoint": audit_checkpoint_latest(),
            },
            language=language,
            document_code=code,
            after_version=newest,
            field_name="platform",
            reason=str(reason),
            signer_label=str(role),
            fields_to_create=lambda page_count: (
                SignatureField(name="platform", box=None, page=0),
            ),
        )
        return documents_services.document_stage_complete(claim=claim, document=sealed)
