"""PAdES signing with pyHanko: bytes and loaded key material in, signed bytes out. No database
here (see `signing.services`).

Every synchronous pyHanko call runs `asyncio.run`: call these functions from sync code only.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils import content, generic, layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields as pdf_fields
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import TextStampStyle

from .signer import LoadedKeySigner
from .validation import TrustAnchors

STAMP_FONT_SIZE = 7


class _NoFetchingNotice(logging.Filter):
    """pyHanko warns on every signature that revocation info is embedded without fetching:
    that is the design here (we hand it our own CRL), so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_NoFetchingNotice())


class StampTextError(ValueError):
    """pyHanko's built-in stamp font draws Latin-1 only: anything else needs a background."""


@dataclass(frozen=True)
class SignatureField:
    """An empty signature field to create: `box` is (x1, y1, x2, y2) in PDF points, or None
    for an invisible signature."""

    name: str
    box: tuple[int, int, int, int] | None
    page: int = 0


MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT_MM = 297
PAGE_MARGIN_TOP_MM = 22  # static/pdf/accord-pdf.css @page margin
PAGE_MARGIN_LEFT_MM = 20


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature's stamp goes on an A4 page, in millimetres from the top-left corner
    of the page's content area (inside the @page margins of accord-pdf.css), so that a
    template can reserve the same place for it."""

    field: str
    left_mm: float
    top_mm: float
    width_mm: float = 80
    height_mm: float = 32

    def pdf_box(self) -> tuple[int, int, int, int]:
        """(x1, y1, x2, y2) in PDF points, origin bottom-left, on the signature page."""
        x1 = (PAGE_MARGIN_LEFT_MM + self.left_mm) * MM
        top = (PAGE_MARGIN_TOP_MM + self.top_mm) * MM
        y2 = A4_HEIGHT_MM * MM - top
        return (
            round(x1),
            round(y2 - self.height_mm * MM),
            round(x1 + self.width_mm * MM),
            round(y2),
        )

    def field_on(self, page: int) -> SignatureField:
        return SignatureField(name=self.field, box=self.pdf_box(), page=page)


class _BytesPdfPage(content.PdfContent):
    """The first page of an in-memory PDF, as a form XObject (pyHanko's ImportedPdfPage
    only reads files)."""

    def __init__(self, data: bytes):
        self.data = data
        super().__init__()

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(PdfFileReader(BytesIO(self.data)))
        name = "/StampBackground"
        self.resources.xobject[name] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return name.encode("ascii") + b" Do"


def _background(data: bytes) -> content.PdfContent:
    if data.startswith(b"%PDF"):
        return _BytesPdfPage(data)
    from PIL import Image

    return PdfImage(Image.open(BytesIO(data)), writer=None)


def _latin1(text: str) -> bool:
    return all(" " <= char <= "~" or "\xa0" <= char <= "\xff" for char in text)


def stamp_style(
    *, signer: str, role: str, signed_at: str, background: bytes | None, visible: bool = True
) -> tuple[TextStampStyle, dict]:
    """With a background (which carries the signer and role, in any script), the stamp adds
    the exact signing time underneath; without one it writes all three lines itself. An
    invisible signature is never drawn, so its text may be in any script."""
    text_style = TextBoxStyle(font_size=STAMP_FONT_SIZE)
    if not visible:
        return TextStampStyle(stamp_text="", text_box_style=text_style), {}
    if background is not None:
        style = TextStampStyle(
            stamp_text="%(signed_at)s",
            text_box_style=text_style,
            background=_background(background),
            background_opacity=1.0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MAX,
                margins=layout.Margins(left=3, right=3, top=3, bottom=STAMP_FONT_SIZE + 6),
            ),
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins(bottom=3),
            ),
            border_width=1,
        )
        return style, {"signed_at": signed_at}
    for text in (signer, role):
        if not _latin1(text):
            raise StampTextError(
                "This stamp text needs a stamp background image: the built-in stamp font "
                "only draws Latin characters."
            )
    style = TextStampStyle(
        stamp_text="%(signer_name)s\n%(role)s\n%(signed_at)s",
        text_box_style=text_style,
        border_width=1,
    )
    return style, {"signer_name": signer, "role": role, "signed_at": signed_at}


def apply_signature(
    *,
    pdf_bytes: bytes,
    signer: LoadedKeySigner,
    timestamper: TimeStamper,
    anchors: TrustAnchors,
    field_name: str,
    reason: str,
    location: str,
    signer_name: str,
    role: str,
    signed_at: str,
    certify: bool,
    fields_to_create: Iterable[SignatureField],
    stamp_background: bytes | None,
    password_confirmed: bool,
) -> bytes:
    """One incremental PAdES B-LT update: the new fields (if any), the signature with its
    timestamp, and the certificates and CRLs needed to validate it offline (in the DSS,
    covered by the signature itself)."""
    fields_to_create = tuple(fields_to_create)
    # A field created here without a box is invisible: pyHanko draws no stamp for it.
    invisible = any(spec.name == field_name and spec.box is None for spec in fields_to_create)
    style, text_params = stamp_style(
        signer=signer_name,
        role=role,
        signed_at=signed_at,
        background=stamp_background,
        visible=not invisible,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
    for spec in fields_to_create:
        pdf_fields.append_signature_field(
            writer,
            pdf_fields.SigFieldSpec(sig_field_name=spec.name, on_page=spec.page, box=spec.box),
        )
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
        certify=certify,
        docmdp_permissions=pdf_fields.MDPPerm.FILL_FORMS,
        subfilter=pdf_fields.SigSeedSubFilter.PADES,
        embed_validation_info=True,
        validation_context=anchors.context(),
        signer_key_usage={"non_repudiation"},
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
        ),
        prop_auth_type=pdf_fields.SigAuthType.PASSWORD if password_confirmed else None,
    )
    pdf_signer = PdfSigner(metadata, signer, timestamper=timestamper, stamp_style=style)
    output = pdf_signer.sign_pdf(
        writer, existing_fields_only=True, appearance_text_params=text_params
    )
    return output.getvalue()


def blank_pdf(*, pages: int = 1) -> bytes:
    """An empty A4 PDF, for tests and for checking the signing set-up."""
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    writer = PdfFileWriter()
    for _ in range(pages):
        contents = writer.add_object(generic.StreamObject(stream_data=b""))
        writer.insert_page(PageObject(contents=contents, media_box=(0, 0, 595, 842)))
    output = BytesIO()
    writer.write(output)
    return output.getvalue()
