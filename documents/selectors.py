"""Reads of documents. Every version is its own row; the latest is the highest version."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Document, is_code, normalize_code


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
    """The newest version of the document that `code` names: the code its pages print (shared
    by all its versions) or one version's own code. 404 when there is none.

    `code` is normalized first (any case, spaces and dashes ignored). Anything that cannot be
    a code is answered without a query: PostgreSQL refuses a text parameter with a NUL byte,
    and a long string is not worth a lookup.
    """
    code = normalize_code(code)
    if not is_code(code):
        raise Http404
    named = (
        Document.objects.filter(Q(document_code=code) | Q(verification_code=code))
        .order_by("-version")
        .values_list("owner_type_id", "owner_id", "kind")
        .first()
    )
    if named is None:
        raise Http404
    owner_type_id, owner_id, kind = named
    return (
        Document.objects.select_related("owner_type")
        .filter(owner_type_id=owner_type_id, owner_id=owner_id, kind=kind)
        .order_by("-version")
        .first()
    )


def document_list_versions(document: Document) -> QuerySet[Document]:
    """Every version of `document` (same owner and kind), newest first."""
    return Document.objects.filter(
        owner_type_id=document.owner_type_id, owner_id=document.owner_id, kind=document.kind
    ).order_by("-version")


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
