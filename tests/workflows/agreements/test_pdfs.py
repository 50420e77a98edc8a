"""What the agreement's PDFs look like: the signature page's layout."""

import io
import subprocess
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

from accounts.models import Organization
from documents.models import Document

from .helpers import countersign, send, sign


def stored_bytes(document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


def label_boxes(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, x1, y1, x2, y2) of each line on `page` (1-based), in points from the bottom
    left, as poppler reads them."""
    result = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    root = ET.fromstring(result.stdout)  # noqa: S314 - our own pdftotext output
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    height = float(root.find(".//x:page", namespace).get("height"))
    lines = []
    for line in root.iterfind(".//x:line", namespace):
        words = [word.text or "" for word in line.iterfind("x:word", namespace)]
        x1, y1 = float(line.get("xMin")), height - float(line.get("yMax"))
        x2, y2 = float(line.get("xMax")), height - float(line.get("yMin"))
        lines.append((" ".join(words), x1, y1, x2, y2))
    return lines


def signature_rects(pdf: bytes) -> dict[str, tuple[float, ...]]:
    reader = PdfReader(io.BytesIO(pdf))
    rects = {}
    for annotation in reader.pages[-1].get("/Annots", []):
        widget = annotation.get_object()
        if widget.get("/FT") == "/Sig" or widget.get("/Parent", {}).get("/FT") == "/Sig":
            rects[str(widget.get("/T"))] = tuple(float(value) for value in widget["/Rect"])
    return rects


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_signature_page_labels_sit_above_their_stamps_without_overlapping(
    draft, manager, signer, password, language, django_capture_on_commit_callbacks
):
    # A long name wraps the label over several lines: they must still end above the stamp.
    Organization.objects.filter(pk=draft.organization_id).update(
        name="阳光社区援助中心" * 3 + " Sunshine Community Aid Centre of the Qinghe District"
    )
    draft.language = language
    draft.save(update_fields=["language"])
    draft.refresh_from_db()
    signed = sign(send(draft, manager), signer, password)
    with django_capture_on_commit_callbacks(execute=True):
        active = countersign(signed, manager, password)
    unsigned = Document.objects.get(document_code=active.document.document_code, version=1)
    rects = signature_rects(stored_bytes(active.document))
    # The version both parties signed has the same page without stamps: its text is the
    # heading, the party labels and the footer (below the bottom margin).
    labels = [
        line
        for line in label_boxes(stored_bytes(unsigned), unsigned.page_count)
        if line[0] not in ("Signatures", "签章") and line[2] > 34 * 72 / 25.4
    ]

    assert set(rects) == {"organization", "community"}
    assert any(line[0].startswith(("Party A", "甲方")) for line in labels)
    assert any(line[0].startswith(("Party B", "乙方")) for line in labels)
    assert not [line for line in labels for rect in rects.values() if overlaps(line[1:], rect)]
    above = {
        field: [line for line in labels if line[1] < rect[2] and rect[0] < line[3]]
        for field, rect in rects.items()
    }
    assert len(above["organization"]) >= 2  # the long name wraps
    assert len(above["community"]) == 1
    # Each label ends just above its own stamp.
    gaps = [min(line[2] for line in above[field]) - rect[3] for field, rect in rects.items()]
    assert all(0 <= gap < 12 for gap in gaps)
