"""Checks for every uploaded file: the type is decided by the content, never by the name."""

from collections.abc import Iterable

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

DOCUMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def sniff_content_type(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def validate_upload(
    upload: UploadedFile,
    *,
    allowed: Iterable[str] = tuple(DOCUMENT_TYPES),
    max_bytes: int | None = None,
) -> str:
    """Refuse files that are too large or whose content is not an allowed type.

    Returns the detected content type.
    """
    limit = max_bytes if max_bytes is not None else settings.ACCORD_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("The file is too large: at most %(limit)s is accepted."),
            code="too_large",
            params={"limit": filesizeformat(limit)},
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    content_type = sniff_content_type(upload)
    allowed = tuple(allowed)
    if content_type not in allowed:
        names = ", ".join(DOCUMENT_TYPES.get(t, t).upper() for t in allowed)
        raise ValidationError(
            _("This file's content is not an accepted type (%(types)s), whatever its name says."),
            code="content_type",
            params={"types": names},
        )
    return content_type
