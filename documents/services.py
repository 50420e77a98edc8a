"""Writes of documents. A version, once stored, is never rewritten: a change is a new version."""

import hashlib
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit

from .files import field_file_save
from .models import Document, DocumentStage, new_verification_code
from .rendering import render_pdf


def _fresh_verification_code() -> str:
    # 32**12 codes make a clash practically impossible (not worth a query per document); the
    # unique constraint has the last word.
    return new_verification_code()


def document_code_new() -> str:
    """A code for a document its owner does not have yet (see `document_render`)."""
    return _fresh_verification_code()


def _last_version(*, owner_type: ContentType, owner_id: str, kind: str) -> tuple[int, str]:
    """The highest stored version and the document's code, (0, "") when none; locks the
    existing versions.

    A concurrent writer of the same (owner, kind) waits here for this transaction. For a first
    version there is nothing to lock: the unique constraint refuses the second writer.
    """
    last = (
        Document.objects.select_for_update()
        .filter(owner_type=owner_type, owner_id=owner_id, kind=kind)
        .order_by("-version")
        .values_list("version", "document_code")
        .first()
    )
    return last or (0, "")


def _document_code(owner: models.Model, kind: str) -> str:
    """The code every version of `owner`'s `kind` document prints (and shares), or a fresh
    one for a first version. Read without a lock, before rendering: `_store_version` checks
    it again with the versions locked."""
    existing = (
        Document.objects.filter(
            owner_type=ContentType.objects.get_for_model(owner),
            owner_id=str(owner.pk),
            kind=kind,
        )
        .order_by("-version")
        .values_list("document_code", flat=True)
        .first()
    )
    return existing or _fresh_verification_code()


# No savepoint: a failure fails the caller's transaction as a whole. Its file is deleted here
# at once, and by field_file_save if the caller's transaction rolls back later.
@transaction.atomic(savepoint=False)
def _store_version(
    *,
    owner: models.Model,
    kind: str,
    title: str,
    language: str,
    pdf: bytes,
    page_count: int,
    document_code: str,
    created_by: Any,
    action: str,
    payload: dict[str, Any] | None = None,
    known_last: int | None = None,
) -> Document:
    owner_type = ContentType.objects.get_for_model(owner)
    if known_last is not None:
        # The caller knows the newest version (the one it derives from, or none for a new
        # code): nothing to read; the unique version refuses the row if another came first.
        last = known_last
    else:
        last, shared_code = _last_version(owner_type=owner_type, owner_id=str(owner.pk), kind=kind)
        if last and shared_code != document_code:
            # Another first version was stored while this one rendered: its pages print a
            # code that is not this document's.
            raise _stale()
    # The first version's own code is the document's code; later versions get their own.
    verification_code = document_code if not last else _fresh_verification_code()
    document = Document(
        kind=kind,
        title=title,
        owner_type=owner_type,
        owner_id=str(owner.pk),
        version=last + 1,
        language=language,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        page_count=page_count,
        verification_code=verification_code,
        document_code=document_code,
        created_by=created_by,
    )
    field_file_save(document.file, f"{verification_code}.pdf", ContentFile(pdf))
    try:
        try:
            document.save(force_insert=True)
        except IntegrityError as clash:
            # Only the version can clash in practice (verification codes are random): a
            # version stored since the caller read the newest one.
            raise _stale() from clash
        audit.record(
            action=action,
            actor=created_by,
            target=owner,
            payload={
                "document_id": document.pk,
                "kind": kind,
                "version": document.version,
                "sha256": document.sha256,
                "verification_code": verification_code,
                "document_code": document_code,
                **(payload or {}),
            },
        )
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


def _stale() -> ValidationError:
    return ValidationError(
        _("A newer version of this document exists: sign that one."), code="stale"
    )


def document_render(
    *,
    owner: models.Model,
    kind: str,
    title: str,
    template_name: str,
    context: dict[str, Any],
    language: str,
    created_by: Any = None,
    document_code: str = "",
    after_version: int | None = None,
    seal: Callable[[bytes, int], tuple[bytes, dict[str, Any]]] | None = None,
) -> Document:
    """Render `template_name` and store it as the next version of `owner`'s `kind` document.

    The template gets `verification_code` (the document's code, shared by all its versions,
    which the verification page resolves to the newest) and `document_title` besides
    `context`. Rendering happens before any database write or lock, so a render error
    (MissingContextError, MissingGlyphError…) leaves neither a row nor a file. Audited as
    `document.generated` on the owner.

    `document_code`: the code of `owner`'s `kind` document when the caller has it at hand
    (`document_code_new()` for a document the owner does not have yet); otherwise it is read.
    Either way it is checked again with the versions locked: a wrong one is refused as stale.

    `after_version`: the newest stored version the caller knows of (0 with a new code); the
    stored versions are then not read, and should another have been stored meanwhile, the
    unique version refuses this one as stale (failing the caller's transaction).

    `seal(pdf, page_count)`: applied to the rendered PDF before it is stored, returning the
    bytes to store and what to add to the event's payload (the platform's signature, which
    `signing` applies): a document issued sealed is stored once, sealed.
    """
    code = document_code or _document_code(owner, kind)
    rendered = render_pdf(
        template_name,
        {**context, "verification_code": code, "document_title": title},
        language,
    )
    pdf, payload = rendered.pdf, {}
    if seal is not None:
        pdf, payload = seal(pdf, rendered.page_count)
    return _store_version(
        owner=owner,
        kind=kind,
        title=title,
        language=language,
        pdf=pdf,
        page_count=rendered.page_count,
        document_code=code,
        created_by=created_by,
        action="document.generated",
        payload=payload,
        known_last=after_version,
    )


def document_add_version(
    *,
    previous: Document,
    pdf_bytes: bytes,
    created_by: Any = None,
    action: str = "document.version_added",
    owner: models.Model | None = None,
    payload: dict[str, Any] | None = None,
) -> Document:
    """Store bytes derived from `previous` (a signed copy, say) as the next version.

    Title, language, page count and the document's code carry over (the pages print that
    code, which resolves to the newest version); the version gets its own verification code.
    Audited as `action` on the owner (`owner` when the caller has it at hand, else read),
    naming the version it derives from, with `payload` added. Refused (ValidationError, code
    "stale") when `previous` is no longer the newest version: the unique version refuses
    the row, which fails the caller's transaction (nothing is read first).
    """
    if owner is None:
        owner_type = ContentType.objects.get_for_id(previous.owner_type_id)  # cached
        owner = owner_type.get_object_for_this_type(pk=previous.owner_id)
    return _store_version(
        owner=owner,
        kind=previous.kind,
        title=previous.title,
        language=previous.language,
        pdf=pdf_bytes,
        page_count=previous.page_count,
        document_code=previous.document_code or previous.verification_code,
        created_by=created_by,
        action=action,
        payload={
            "previous_version": previous.version,
            "previous_document_id": previous.pk,
            **(payload or {}),
        },
        known_last=previous.version,
    )


def document_stage_claim(*, owner: models.Model, stage: str) -> DocumentStage | None:
    """Claim the generation of `owner`'s `stage` document for the current transaction.

    Returns the new row, or None when the stage was already claimed (by an earlier delivery
    of the same task, or by a concurrent one, which then waits for this transaction). Call it
    inside the transaction that generates the document and give the row its document with
    `document_stage_complete`; a rollback releases the claim.
    """
    claim = DocumentStage(
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=str(owner.pk),
        stage=stage,
        created_at=timezone.now(),
    )
    # One statement, no savepoint: INSERT … ON CONFLICT DO NOTHING (PostgreSQL and SQLite
    # alike) answers with the new id, or with nothing when the row exists.
    table = connection.ops.quote_name(DocumentStage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (owner_type_id, owner_id, stage, created_at) "  # noqa: S608 - the table name is ours
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [
                claim.owner_type_id,
                claim.owner_id,
                claim.stage,
                connection.ops.adapt_datetimefield_value(claim.created_at),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    claim.pk = row[0]
    claim._state.adding = False
    return claim


def document_stage_complete(*, claim: DocumentStage, document: Document) -> Document:
    claim.document = document
    claim.save(update_fields=["document"])
    return document
