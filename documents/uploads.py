"""Checks for every uploaded file: the type is decided by the content, never by the name."""

import uuid
from collections.abc import Iterable
from io import BytesIO

import filetype
import pypdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image

DOCUMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
_IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


def stored_file_name(content_type: str) -> str:
    """A random name with the extension of the detected type: the uploader's filename is
    never used, so a PDF named `.html` is stored as `.pdf`."""
    return f"{uuid.uuid4().hex}.{DOCUMENT_TYPES.get(content_type, 'bin')}"


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
    parse: bool = True,
) -> str:
    """Refuse files that are too large or whose content is not an allowed type.

    The type comes from the first bytes; with `parse`, the file must also read as that type
    (a PDF's objects and pages, an image's headers), so that a file which only starts like
    a PDF is refused. Returns the detected content type.
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
    if parse and not _parses_as(upload, content_type):
        raise ValidationError(
            _("This file cannot be read as a %(type)s: it is damaged or not what it seems."),
            code="unreadable",
            params={"type": DOCUMENT_TYPES[content_type].upper()},
        )
    return content_type


def _parses_as(upload: UploadedFile, content_type: str) -> bool:
    upload.seek(0)
    try:
        if content_type == "application/pdf":
            return _pdf_parses(upload)
        with Image.open(upload) as image:
            image.verify()
            return image.format == _IMAGE_FORMATS[content_type]
    except Exception:  # the parsers raise many kinds; any of them means "not readable"
        return False
    finally:
        upload.seek(0)


def _pdf_parses(upload: UploadedFile) -> bool:
    """The cross-reference table, the catalog and every page object can be read (pypdf, a
    structural parse without rendering: signing, the only pyHanko user, is not imported)."""
    reader = pypdf.PdfReader(upload, strict=False)
    return len(reader.pages) > 0 and all(page.mediabox is not None for page in reader.pages)


class OversizedUpload(UploadedFile):
    """What is left of a file that outgrew the limit while it arrived: its name and the
    size it reached, no content. `validate_upload` refuses it as too large."""

    def __init__(self, *, name: str, size: int, content_type: str | None, field_name: str):
        super().__init__(BytesIO(), name=name, content_type=content_type, size=size)
        self.field_name = field_name


class SizeLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes a file's chunks on to the handlers after it
    (memory, temporary file) until the file outgrows ACCORD_MAX_UPLOAD_BYTES, then keeps
    the rest from them and hands the form an `OversizedUpload`, so nothing past the limit
    reaches the disk and the person is told the file is too large.

    The rest of the request is still read (and dropped): the other fields arrive, and the
    form shows them again with the message.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.ACCORD_MAX_UPLOAD_BYTES:
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.oversized:
            return None  # the next handler's file
        self._discard_partial_files()
        return OversizedUpload(
            name=self.file_name,
            size=file_size,
            content_type=self.content_type,
            field_name=self.field_name,
        )

    def _discard_partial_files(self) -> None:
        # The later handlers hold the part that came before the limit (each handler that
        # writes started a new `file` for this upload); a temporary file is removed when it
        # is closed.
        handlers = list(getattr(self.request, "upload_handlers", ()))
        for handler in handlers[handlers.index(self) + 1 :] if self in handlers else ():
            if getattr(handler, "file", None) is not None:
                handler.file.close()
