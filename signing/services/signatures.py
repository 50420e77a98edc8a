"""Signing PDFs and stored Documents, and validating any PDF against the platform root.

These functions call pyHanko's synchronous API, which runs `asyncio.run`: call them from sync
code (views, Celery tasks, commands), never inside a running event loop.

Who may sign for an organization or community is the calling workflow's decision (its
`permissions.py`); this module checks that the identity is usable and that the person is who
they say they are.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents import services as documents_services
from documents.models import Document

from .. import pdf, validation
from ..models import SignatureRecord, SigningIdentity
from ..pdf import SignatureField
from ..validation import ValidationReport
from .passwords import PasswordConfirmation, _wrong_password, signer_password_check
from .pki import (
    Kind,
    Reason,
    loaded_signer,
    loaded_timestamper,
    require_identity,
    signing_identities,
    trust_anchors,
)
from .refusals import _refuse


def _ensure_usable(fresh: SigningIdentity, *, user, target=None) -> SigningIdentity:
    """Refuse, audited, an identity (as just read from the database) that is revoked, expired
    or not a signing identity."""
    if fresh.revoked_at is not None:
        raise _refuse(
            message=_("This signing identity has been revoked and can no longer sign."),
            code="revoked",
            identity=fresh,
            user=user,
            target=target,
        )
    if fresh.not_after <= timezone.now():
        raise _refuse(
            message=_("This signing identity has expired."),
            code="expired",
            identity=fresh,
            user=user,
            target=target,
        )
    if fresh.kind in (Kind.ROOT, Kind.TIMESTAMPING):
        raise _refuse(
            message=_("This identity does not sign documents."),
            code="not_a_signer",
            identity=fresh,
            user=user,
            target=target,
        )
    return fresh


def _stamp_time(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} UTC{offset[:3]}:{offset[3:]}"


def _sign(
    *,
    pdf_bytes: bytes,
    identity: SigningIdentity,
    root: SigningIdentity,
    unit: SigningIdentity,
    field_name: str,
    reason: str,
    location: str,
    signer_label: str,
    user,
    certify: bool,
    fields_to_create: Iterable[SignatureField],
    stamp_background: bytes | None,
    password_confirmed: bool = False,
) -> tuple[bytes, dt.datetime]:
    signed_at = timezone.now()
    signer_name = identity.common_name if user is None else f"{identity.common_name} · {user}"
    signed = pdf.apply_signature(
        pdf_bytes=pdf_bytes,
        signer=loaded_signer(identity, root),
        timestamper=loaded_timestamper(root, unit),
        anchors=trust_anchors(root),
        field_name=field_name,
        reason=reason,
        location=location,
        signer_name=signer_name,
        role=signer_label,
        signed_at=_stamp_time(signed_at),
        certify=certify,
        fields_to_create=tuple(fields_to_create),
        stamp_background=stamp_background,
        password_confirmed=password_confirmed,
    )
    return signed, signed_at


def sign_pdf(
    *,
    pdf_bytes: bytes,
    identity: SigningIdentity,
    field_name: str,
    reason: str,
    location: str = "",
    signer_label: str,
    user=None,
    certify: bool = False,
    fields_to_create: Iterable[SignatureField] = (),
    stamp_background: bytes | None = None,
) -> bytes:
    """Sign PDF bytes in `field_name`, as an incremental PAdES B-LT update with a timestamp.

    Multi-party documents: the first signer passes every party's field in `fields_to_create`
    and `certify=True` (DocMDP "fill forms"); later signers sign their existing field. The
    stamp shows signer, `signer_label` (the role) and time; text in other than Latin script
    needs `stamp_background` (a PNG or one-page PDF carrying the label), since pyHanko's
    stamp font cannot draw it. A revoked identity is refused (audited). Storing the result
    and auditing the signature is the caller's job (see `document_sign`).
    """
    identity, root, unit = signing_identities(identity)
    identity = _ensure_usable(identity, user=user)
    signed, _signed_at = _sign(
        pdf_bytes=pdf_bytes,
        identity=identity,
        root=root,
        unit=unit,
        field_name=field_name,
        reason=reason,
        location=location,
        signer_label=signer_label,
        user=user,
        certify=certify,
        fields_to_create=fields_to_create,
        stamp_background=stamp_background,
    )
    return signed


def _sign_document(
    *,
    document: Document,
    identities: tuple[SigningIdentity, SigningIdentity, SigningIdentity],
    user,
    field_name: str,
    reason: str,
    signer_label: str,
    location: str,
    certify: bool,
    fields_to_create: Iterable[SignatureField],
    stamp_background: bytes | None,
    owner=None,
) -> Document:
    # An outdated `document` is refused (stale) when the signed copy is stored: the unique
    # version refuses it; the callers' own state checks make that rare enough not to ask first.
    identity, root, unit = identities
    signature = {"field_name": field_name, "reason": reason, "signer_label": signer_label}
    identity = _ensure_usable(identity, user=user, target=document)
    with document.file.open("rb") as stored:
        original = stored.read()
    if hashlib.sha256(original).hexdigest() != document.sha256:
        raise _refuse(
            message=_("The stored file does not match its record: it was not signed."),
            code="file_mismatch",
            identity=identity,
            user=user,
            target=document,
        )
    # Sign outside the transaction: the database stays unlocked for the ~tens of ms it takes.
    signed, signed_at = _sign(
        pdf_bytes=original,
        identity=identity,
        root=root,
        unit=unit,
        location=location,
        user=user,
        certify=certify,
        fields_to_create=fields_to_create,
        stamp_background=stamp_background,
        password_confirmed=user is not None,
        **signature,
    )
    # No savepoint of its own: a failure here fails the caller's transaction as a whole.
    with transaction.atomic(savepoint=False):
        # Refused as stale if someone signed meanwhile. The new version's one audit event says
        # who signed it with which identity, in which field.
        new_version = documents_services.document_add_version(
            previous=document,
            pdf_bytes=signed,
            created_by=user,
            owner=owner,
            action="document.signed",
            payload=_signature_payload(identity, signature, certify=certify),
        )
        _signature_record(new_version, identity, user, signed_at, signature)
    return new_version


def document_sign(
    *,
    document: Document,
    identity: SigningIdentity | models.Model,
    user,
    password: str | PasswordConfirmation,
    field_name: str,
    reason: str,
    signer_label: str = "",
    location: str = "",
    certify: bool = False,
    fields_to_create: Iterable[SignatureField] = (),
    stamp_background: bytes | None = None,
    owner=None,
) -> Document:
    """A person signs `document` with `identity` (or with the current identity of the
    organization or community given instead), confirming with their password.

    Returns the new version (the same PDF plus the signature) with its SignatureRecord.
    A wrong password or an unusable identity raises SignatureRefusedError and writes a
    `signature.refused` event; nothing is signed. That event is part of the current
    transaction: a caller that signs inside its own transaction (a task completion, say)
    calls `signer_password_check` first, outside it, so that a refusal stays on record, and
    passes the PasswordConfirmation it returned as `password`. `owner` is the document's
    owner when the caller has it at hand (saves reading it again).
    """
    identities = signing_identities(identity)
    if isinstance(password, PasswordConfirmation):
        if not password.confirms(user):
            raise _wrong_password(user=user, identity=identities[0], target=document)
    else:
        signer_password_check(user=user, password=password, target=document, identity=identities[0])
    return _sign_document(
        document=document,
        identities=identities,
        user=user,
        field_name=field_name,
        reason=reason,
        signer_label=signer_label,
        location=location,
        certify=certify,
        fields_to_create=fields_to_create,
        stamp_background=stamp_background,
        owner=owner,
    )


def document_sign_as_platform(
    *,
    document: Document,
    field_name: str,
    reason: str,
    signer_label: str = "",
    location: str = "",
    certify: bool = False,
    fields_to_create: Iterable[SignatureField] = (),
    stamp_background: bytes | None = None,
    owner=None,
) -> Document:
    """The platform signs `document` (approval letters, notices, receipts): no person, no
    password. Returns the new version."""
    return _sign_document(
        document=document,
        identities=signing_identities(None),  # the platform's own
        user=None,
        field_name=field_name,
        reason=reason,
        signer_label=signer_label,
        location=location,
        certify=certify,
        fields_to_create=fields_to_create,
        stamp_background=stamp_background,
        owner=owner,
    )


def document_render_sealed(
    *,
    owner: models.Model,
    kind: str,
    title: str,
    template_name: str,
    context: dict,
    language: str,
    field_name: str,
    reason: str,
    signer_label: str = "",
    fields_to_create: Callable[[int], Iterable[SignatureField]] = lambda page_count: (),
    stamp_background: bytes | None = None,
    created_by=None,
    document_code: str = "",
    after_version: int | None = None,
    issuer: models.Model | None = None,
) -> Document:
    """Render a document the platform issues (an approval letter, a notice, an evidence
    summary) and store it already signed by the platform, as one version with one
    `document.generated` event naming the signature: no unsigned copy is ever stored.

    `issuer`: an organization or community whose own identity seals the document instead of
    the platform's (an organization's service certificates, issued in bulk when its activity
    completes: the organization's act was completing it, not a person's signature).

    `documents.services.document_render` does the rendering and storing (see it for
    `document_code` and `after_version`); `fields_to_create(page_count)` places the
    signature field once the pages are known. The version and its SignatureRecord are stored
    together, so rendering and signing happen inside the transaction: its callers hold one
    already (a stage claim, a decision), unlike a party's signature (`document_sign`), which
    signs before any lock.
    """
    identity, root, unit = signing_identities(issuer)  # None: the platform's own
    identity = _ensure_usable(identity, user=None)
    signature = {"field_name": field_name, "reason": reason, "signer_label": signer_label}
    signed_at: list[dt.datetime] = []

    def seal(pdf_bytes: bytes, page_count: int) -> tuple[bytes, dict]:
        signed, at = _sign(
            pdf_bytes=pdf_bytes,
            identity=identity,
            root=root,
            unit=unit,
            location="",
            user=None,
            certify=False,
            fields_to_create=fields_to_create(page_count),
            stamp_background=stamp_background,
            **signature,
        )
        signed_at.append(at)
        return signed, _signature_payload(identity, signature, certify=False)

    with transaction.atomic(savepoint=False):
        document = documents_services.document_render(
            owner=owner,
            kind=kind,
            title=title,
            template_name=template_name,
            context=context,
            language=language,
            created_by=created_by,
            document_code=document_code,
            after_version=after_version,
            seal=seal,
        )
        _signature_record(document, identity, None, signed_at[0], signature)
    return document


def _signature_record(
    document: Document, identity: SigningIdentity, user, signed_at: dt.datetime, signature: dict
) -> SignatureRecord:
    return SignatureRecord.objects.create(
        document=document,
        identity=identity,
        user=user,
        signed_at=signed_at,
        reason=signature["reason"],
        field_name=signature["field_name"],
        role_label=signature["signer_label"],
    )


def _signature_payload(identity: SigningIdentity, signature: dict, *, certify: bool) -> dict:
    """What a signature's audit event says of it."""
    return {
        "field": signature["field_name"],
        "identity": identity.pk,
        "serial": identity.serial,
        "role": signature["signer_label"],
        "certify": certify,
    }


def validate_pdf(pdf_bytes: bytes) -> ValidationReport:
    """Check every signature against the platform root and its newest CRL, without network.

    `report.ok` only when there is at least one signature, every one is intact, valid and
    trusted (pyHanko's bottom line, timestamp included), and nothing but signatures and
    validation data was added after any of them.
    """
    root = require_identity(Kind.ROOT)
    compromised = frozenset(
        SigningIdentity.objects.filter(revocation_reason=Reason.KEY_COMPROMISE).values_list(
            "serial", flat=True
        )
    )
    return validation.validate(
        pdf_bytes, anchors=trust_anchors(root), compromised_serials=compromised
    )
