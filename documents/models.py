"""Immutable document versions. A change is a new version; a stored file is never rewritten."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .kinds import kind_label

# Unambiguous characters only: codes are read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """A code as people type or copy it: any case, with spaces or dashes in it."""
    return "".join(char for char in text.upper() if char not in " -\t\n\r\u2010\u2013\u2014\u3000")


def is_code(text: str) -> bool:
    """Whether `text` (normalized) can be a code at all: no query for what cannot."""
    return len(text) == CODE_LENGTH and set(text) <= set(CODE_ALPHABET)


def verification_path(code: str) -> str:
    """Where the public verification page of a document is. PDFs print this path (under
    ACCORD_PUBLIC_URL) in their footer and QR code, so it must never change; the page itself
    belongs to `signing`, which validates the signatures."""
    return f"/verify/{code}/"


def document_upload_to(instance: "Document", filename: str) -> str:
    return f"documents/{instance.kind}/{instance.verification_code}.pdf"


class Document(models.Model):
    # A code registered by the producing app (documents.kinds); `kind_label` translates it.
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    owner_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    owner_id = models.CharField(max_length=64)
    owner = GenericForeignKey("owner_type", "owner_id")
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    file = models.FileField(_("file"), upload_to=document_upload_to)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size"))
    page_count = models.PositiveIntegerField(_("pages"))
    # Every version has its own code (its file is named after it); all versions of one
    # document (owner and kind) share `document_code`, the code their pages print, which
    # resolves to the newest version. It is the first version's own code.
    verification_code = models.CharField(
        _("verification code"), max_length=20, unique=True, default=new_verification_code
    )
    document_code = models.CharField(_("document code"), max_length=20, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["owner_type", "owner_id", "kind", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind", "version"],
                name="unique_document_version",
            )
        ]
        indexes = [models.Index(fields=["owner_type", "owner_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.document_code:
            self.document_code = self.verification_code
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return verification_path(self.document_code or self.verification_code)

    @property
    def page_numbers(self) -> range:
        return range(1, self.page_count + 1)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def file_name(self) -> str:
        """The name a downloaded or exported copy gets: `<kind>-<owner_id>-v<version>.pdf`."""
        return f"{self.kind}-{self.owner_id}-v{self.version}.pdf"


class DocumentStage(models.Model):
    """One generated document per owner and stage (an approval letter, the evidence summary
    of an agreement that became active…).

    The unique row is what makes generation idempotent: a task delivered twice, or two
    workers racing, find the stage taken and do nothing. See `document_stage_claim`.
    """

    owner_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    owner_id = models.CharField(max_length=64)
    stage = models.CharField(max_length=60)
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "stage"], name="unique_document_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_type_id}:{self.owner_id} {self.stage}"
