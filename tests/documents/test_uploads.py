"""Uploads are judged by their content, never by their name, and by their size."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from PIL import Image

from documents.uploads import (
    OversizedUpload,
    SizeLimitUploadHandler,
    stored_file_name,
    validate_upload,
)
from tests.factories import PDF_BYTES

MB = 1024 * 1024


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


# A complete 1 by 1 grey PNG: signature, IHDR, IDAT and IEND with correct CRCs.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    + _png_chunk(b"IEND", b"")
)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "grey").save(buffer, format="JPEG")
    return buffer.getvalue()


JPEG_BYTES = _jpeg()
GIF_BYTES = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    # The browser-declared content type is deliberately ignored by validate_upload.
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(file) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_upload(file)
    return caught.value


@pytest.mark.parametrize(
    ("name", "content", "detected"),
    [
        ("certificate.pdf", PDF_BYTES, "application/pdf"),
        ("scan.png", PNG_BYTES, "image/png"),
        ("photo.jpg", JPEG_BYTES, "image/jpeg"),
        # The name does not matter, only the content.
        ("photo.pdf", JPEG_BYTES, "image/jpeg"),
    ],
)
def test_pdf_png_and_jpeg_content_is_accepted(name, content, detected):
    file = upload(name, content)

    assert validate_upload(file) == detected
    # The file can still be saved from the start after sniffing.
    assert file.read() == content


def test_a_text_file_renamed_pdf_is_refused():
    error = refusal(upload("certificate.pdf", b"This is not a PDF at all.\n" * 20))

    assert error.code == "content_type"
    assert error.messages == [
        "This file's content is not an accepted type (PDF, PNG, JPG), whatever its name says."
    ]


def test_a_gif_is_refused():
    error = refusal(upload("scan.gif", GIF_BYTES, "image/gif"))

    assert error.code == "content_type"


def test_an_11_mb_file_is_refused_naming_the_limit():
    error = refusal(upload("big.pdf", PDF_BYTES + b"\0" * (11 * MB)))

    assert error.code == "too_large"
    assert error.messages[0].replace("\xa0", " ") == (
        "The file is too large: at most 10.0 MB is accepted."
    )


def test_a_file_of_exactly_the_limit_is_accepted(settings):
    settings.ACCORD_MAX_UPLOAD_BYTES = 10 * MB

    assert validate_upload(upload("max.pdf", PDF_BYTES.ljust(10 * MB, b"\0"))) == "application/pdf"


def test_an_empty_file_is_refused():
    error = refusal(upload("empty.pdf", b""))

    assert error.code == "empty"
    assert error.messages == ["The file is empty."]


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        # A polyglot: PDF magic bytes, an HTML body.
        ("page.html", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n" * 20, "PDF"),
        ("certificate.pdf", PDF_BYTES[: len(PDF_BYTES) // 2], "PDF"),
        ("scan.png", PNG_BYTES[:40], "PNG"),
        ("photo.jpg", JPEG_BYTES[:12] + b"<html></html>" * 20, "JPG"),
    ],
)
def test_a_file_that_only_starts_like_an_accepted_type_is_refused(name, content, named):
    error = refusal(upload(name, content))

    assert error.code == "unreadable"
    assert error.messages == [
        f"This file cannot be read as a {named}: it is damaged or not what it seems."
    ]


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [("application/pdf", ".pdf"), ("image/png", ".png"), ("image/jpeg", ".jpg"), ("", ".bin")],
)
def test_a_stored_name_takes_its_extension_from_the_detected_type(content_type, extension):
    name = stored_file_name(content_type)

    assert name.endswith(extension)
    assert len(name) == 32 + len(extension)


class RecordingHandler(MemoryFileUploadHandler):
    """Stands in for the handlers that write: keeps whatever it is handed, and counts it."""

    received = 0

    def handle_raw_input(self, *args, **kwargs) -> None:
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


def parse(rf, files: list[SimpleUploadedFile], *later_handlers):
    request = rf.post("/", {"file": files, "name": "kept"})
    request.upload_handlers = [
        SizeLimitUploadHandler(request),
        *(handler(request) for handler in later_handlers),
    ]
    return request, request.FILES.getlist("file")


def test_a_file_over_the_limit_reaches_the_writing_handlers_only_up_to_the_limit(rf, settings):
    settings.ACCORD_MAX_UPLOAD_BYTES = 100 * 1024

    request, (received,) = parse(rf, [upload("big.pdf", PDF_BYTES + b"\0" * MB)], RecordingHandler)

    recorder = request.upload_handlers[1]
    assert 0 < recorder.received <= settings.ACCORD_MAX_UPLOAD_BYTES
    assert isinstance(received, OversizedUpload)
    assert received.size == len(PDF_BYTES) + MB
    assert request.POST["name"] == "kept"
    assert refusal(received).code == "too_large"


def test_a_refused_files_temporary_file_is_removed_at_once(rf, settings, tmp_path):
    settings.ACCORD_MAX_UPLOAD_BYTES = 100 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    big = upload("big.pdf", PDF_BYTES + b"\0" * MB)

    _request, (received,) = parse(rf, [big], TemporaryFileUploadHandler)

    assert isinstance(received, OversizedUpload)
    assert list(tmp_path.iterdir()) == []


def test_files_before_a_refused_one_in_the_same_request_stay_readable(rf, settings, tmp_path):
    settings.ACCORD_MAX_UPLOAD_BYTES = 100 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    small, big = upload("small.pdf", PDF_BYTES), upload("big.pdf", PDF_BYTES + b"\0" * MB)

    _request, (first, second) = parse(rf, [small, big], TemporaryFileUploadHandler)

    assert first.read() == PDF_BYTES
    assert validate_upload(first) == "application/pdf"
    assert isinstance(second, OversizedUpload)


def test_a_file_of_exactly_the_limit_arrives_whole(rf, settings):
    settings.ACCORD_MAX_UPLOAD_BYTES = 100 * 1024
    content = PDF_BYTES.ljust(100 * 1024, b"\0")

    _request, (received,) = parse(rf, [upload("max.pdf", content)], RecordingHandler)

    assert received.read() == content
