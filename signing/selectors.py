"""Reads for the verification pages."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from documents.models import Document

from .models import SignatureRecord


def document_latest_version(document: Document) -> Document:
    """The newest version of the same (owner, kind); `document` itself when it is the newest."""
    return (
        Document.objects.filter(
            owner_type_id=document.owner_type_id,
            owner_id=document.owner_id,
            kind=document.kind,
        )
        .order_by("-version")
        .first()
    ) or document


def signature_record_list_for_version(document: Document) -> QuerySet[SignatureRecord]:
    """The records of every signature a version carries: its own and its predecessors'."""
    return (
        SignatureRecord.objects.filter(
            document__owner_type_id=document.owner_type_id,
            document__owner_id=document.owner_id,
            document__kind=document.kind,
            document__version__lte=document.version,
        )
        .select_related("identity", "user")
        .order_by("signed_at")
    )


def document_version_list_with_signatures(document: Document) -> QuerySet[Document]:
    """Every version of `document` (same owner and kind), newest first, each with the records
    of the signatures it added: the document's history on the verification page."""
    return (
        Document.objects.filter(
            owner_type_id=document.owner_type_id,
            owner_id=document.owner_id,
            kind=document.kind,
        )
        .prefetch_related(
            Prefetch(
                "signature_records",
                queryset=SignatureRecord.objects.select_related("identity", "user").order_by(
                    "signed_at"
                ),
            )
        )
        .order_by("-version")
    )


@dataclass(frozen=True)
class OwnerStatus:
    name: str
    status: str
    # The code of the document that replaces this one (a corrected certificate), if any.
    successor_code: str = ""


def owner_status(document: Document) -> OwnerStatus | None:
    """The owner's name and its current status for the public: the owner's
    `verification_status_label` (attribute or method) when it defines one, else its str();
    and `verification_successor_code()`, when the owner defines it, names what replaced it."""
    owner = document.owner
    if owner is None:
        return None
    label = getattr(owner, "verification_status_label", None)
    if callable(label):
        label = label()
    successor = getattr(owner, "verification_successor_code", None)
    successor = successor() if callable(successor) else ""
    return OwnerStatus(
        name=str(owner),
        status=str(label) if label is not None else "",
        successor_code=successor or "",
    )
