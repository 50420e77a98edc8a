"""Reads of documents. Every version is its own row; the latest is the highest version."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import CODE_ALPHABET, CODE_LENGTH, Document


def _owned_by(owner: models.Model) -> QuerySet[Document]:
    return Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(owner), owner_id=str(owner.pk)
    )


def document_list_for_owner(owner: models.Model) -> QuerySet[Document]:
    """Every version of every document of `owner`, by kind then version."""
    return _owned_by(owner).select_related("created_by").order_by("kind", "version")


def document_latest(owner: models.Model, kind: str) -> Document | None:
    return _owned_by(owner).filter(kind=kind).order_by("-version").first()


def document_get_by_code(code: str) -> Document:
    """The version printed with `code`; 404 when there is none.

    Anything that cannot be a code is answered without a query: PostgreSQL refuses a text
    parameter with a NUL byte, and a long string is not worth a lookup.
    """
    if len(code) != CODE_LENGTH or not set(code) <= set(CODE_ALPHABET):
        raise Http404
    return get_object_or_404(Document.objects.select_related("owner_type"), verification_code=code)


def document_get_by_sha256(sha256: str) -> Document | None:
    """The stored version whose file has exactly this SHA-256, if any."""
    return (
        Document.objects.select_related("owner_type")
        .filter(sha256=sha256.lower())
        .order_by("pk")
        .first()
    )


def document_has_newer_version(document: Document) -> bool:
    return Document.objects.filter(
        owner_type_id=document.owner_type_id,
        owner_id=document.owner_id,
        kind=document.kind,
        version__gt=document.version,
    ).exists()
