import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from documents.models import Document
from signing import services
from signing.pdf import SignatureField, blank_pdf
from tests.factories import OrganizationFactory

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FIELDS = (
    SignatureField("organization", (50, 50, 250, 130)),
    SignatureField("community", (320, 50, 520, 130)),
)


@pytest.fixture
def pki(db):
    return services.pki_init()


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="阳光助老服务中心")


@pytest.fixture
def org_identity(pki, organization):
    return services.identity_for_owner(organization)


def store_document(owner, pdf_bytes: bytes, *, version: int = 1, title: str = "Aid agreement"):
    """A stored Document row, as documents' services leave one."""
    document = Document(
        kind="agreement",
        title=title,
        owner=owner,
        version=version,
        language="zh-hans",
        sha256=hashlib.sha256(pdf_bytes).hexdigest(),
        size=len(pdf_bytes),
        page_count=1,
    )
    document.file.save(f"{document.verification_code}.pdf", ContentFile(pdf_bytes), save=False)
    document.save()
    return document


@pytest.fixture
def unsigned_document(organization):
    return store_document(organization, blank_pdf())


def sign_twice(*, first_identity, second_identity) -> tuple[bytes, bytes]:
    """The multi-party pattern: the first signer creates every field and certifies."""
    once = services.sign_pdf(
        pdf_bytes=blank_pdf(),
        identity=first_identity,
        field_name="organization",
        reason="Agree",
        signer_label="Organization",
        certify=True,
        fields_to_create=FIELDS,
        stamp_background=chinese_label_png(),
    )
    twice = services.sign_pdf(
        pdf_bytes=once,
        identity=second_identity,
        field_name="community",
        reason="Countersign",
        signer_label="Community",
        stamp_background=chinese_label_png("清河社区 · 社区签章"),
    )
    return once, twice


def chinese_label_png(text: str = "阳光助老服务中心 · 机构签章") -> bytes:
    """A stamp label in Chinese, drawn the way documents' renderer would hand it over."""
    image = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(image).text((10, 40), text, fill="red", font=ImageFont.truetype(CJK_FONT, 28))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def first_revision_comment_offset(pdf_bytes: bytes) -> int:
    """A byte inside the binary comment on the file's second line: changing it leaves the PDF
    readable but alters the bytes the first signature covers."""
    return pdf_bytes.index(b"\n") + 2
