"""render_pdf: Chinese as glyphs, a footer on every page, only data: and our own static files
fetched, and loud failures for missing context and missing glyphs."""

import copy
import datetime
import hashlib
import io
import logging
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import segno
from django.conf import settings as django_settings
from PIL import Image

from documents import rendering
from documents.rendering import (
    MissingContextError,
    MissingGlyphError,
    RenderError,
    StaticOnlyURLFetcher,
    render_pdf,
)

CODE = "ABCDEFGHJKLM"

SAMPLE_CONTEXT = {
    "verification_code": CODE,
    "document_title": "社区援助服务协议",
    "agreement_number": "AG-2025-0001",
    "community_name": "海淀区学院路社区",
    "organization_name": "阳光志愿服务中心",
    "start_date": "2025-01-01",
    "end_date": "2025-12-31",
}


def pdf_text(pdf: bytes, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *pages, "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def pdf_images(pdf: bytes, tmp_path: Path) -> dict[int, list[Image.Image]]:
    """The images drawn on each page, as pdfimages extracts them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "images.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdfimages", "-p", "-png", source, tmp_path / "img"], check=True)
    images: dict[int, list[Image.Image]] = {}
    for path in sorted(tmp_path.glob("img-*.png")):
        page = int(path.name.split("-")[1])
        images.setdefault(page, []).append(Image.open(path).convert("L"))
    return images


def qr_matrix_of(image: Image.Image, modules: int) -> list[list[bool]]:
    """Read a border-less QR bitmap back into its dark/light modules."""
    scale = image.width // modules
    return [
        [
            image.getpixel((x * scale + scale // 2, y * scale + scale // 2)) < 128
            for x in range(modules)
        ]
        for y in range(modules)
    ]


@pytest.fixture
def pdf_templates(settings, tmp_path) -> Path:
    """A template folder for test-only PDF templates; write files under the returned pdf/."""
    root = tmp_path / "templates"
    (root / "pdf").mkdir(parents=True)
    templates = copy.deepcopy(django_settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], root]
    settings.TEMPLATES = templates
    return root / "pdf"


class _CountingServer(ThreadingHTTPServer):
    """An HTTP server on loopback that counts every connection it accepts."""

    def __init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                # Were it ever asked, it would redirect to a local file.
                server.requests.append(self.path)
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        self.requests: list[str] = []

    def verify_request(self, request, client_address) -> bool:
        self.connections += 1
        return True


@pytest.fixture
def loopback_server():
    server = _CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_chinese_text_is_drawn_as_glyphs_that_read_back_from_the_pdf():
    rendered = render_pdf("pdf/sample_agreement.html", SAMPLE_CONTEXT, "zh-hans")

    text = pdf_text(rendered.pdf)
    assert "社区援助服务协议" in text
    assert "乙方（援助组织）" in text
    assert "阳光志愿服务中心" in text
    assert rendered.page_count == 2
    assert rendered.pdf.startswith(b"%PDF-")


def test_the_pdf_stylesheet_comes_from_the_static_files_and_sets_the_cjk_font(
    pdf_templates, tmp_path
):
    (pdf_templates / "latin.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}<p>Latin text only</p>{% endblock %}',
        encoding="utf-8",
    )
    rendered = render_pdf("pdf/latin.html", {"verification_code": CODE}, "en")

    source = tmp_path / "fonts.pdf"
    source.write_bytes(rendered.pdf)
    fonts = subprocess.run(["pdffonts", source], capture_output=True, check=True, text=True)
    names = [line.split()[0] for line in fonts.stdout.splitlines()[2:]]
    # Only the stylesheet names this font: Latin text alone would otherwise use another one.
    assert names
    assert all("+WenQuanYi-Micro-Hei" in name for name in names)


def test_every_page_has_the_verification_code_link_and_page_x_of_y():
    rendered = render_pdf("pdf/sample_agreement.html", SAMPLE_CONTEXT, "en")

    for page in (1, 2):
        text = pdf_text(rendered.pdf, page)
        assert f"Verification code: {CODE}" in text
        assert f"http://localhost:8000/verify/{CODE}/" in text
        assert f"Page {page} of 2" in text


@pytest.mark.parametrize("code", ["TACKBRWBTCLV", "FAAAAAAAAAAA"])
def test_a_code_with_a_kerning_pair_is_copied_out_of_the_pdf_without_a_space(code):
    # "TA" and "FA" are kerned in the footer font; kerned, the code read "T ACKBRWBTCLV".
    context = {**SAMPLE_CONTEXT, "verification_code": code}
    rendered = render_pdf("pdf/sample_agreement.html", context, "en")

    text = pdf_text(rendered.pdf)
    assert f"Verification code: {code}" in text
    assert f"http://localhost:8000/verify/{code}/" in text


def test_no_hash_of_a_long_evidence_summary_is_split_over_two_pages():
    moment = datetime.datetime(2026, 1, 1, 9, 30, tzinfo=datetime.UTC)
    documents = [
        SimpleNamespace(
            kind="agreement",
            version=n,
            created_at=moment,
            sha256=hashlib.sha256(b"d%d" % n).hexdigest(),
        )
        for n in range(60)
    ]
    events = [
        SimpleNamespace(
            created_at=moment,
            actor="Signer Li",
            action="agreement.signed",
            from_state="sent",
            to_state="signed",
            ip="192.0.2.1",
            hash=hashlib.sha256(b"e%d" % n).hexdigest(),
        )
        for n in range(60)
    ]
    context = {
        "verification_code": CODE,
        "title": "Aid",
        "agreement_number": "AG-2026-0001",
        "community_name": "Community",
        "organization_name": "Organization",
        "status_label": "Active",
        "produced_at": moment,
        "documents": documents,
        "events": events,
    }
    rendered = render_pdf("pdf/agreement_evidence.html", context, "en")

    # Wrapped lines are joined; a row broken by a page break has the footer inside its hash.
    text = pdf_text(rendered.pdf).replace("\n", "")
    assert "Page 3 of" in text
    assert [d.sha256 for d in documents if d.sha256 not in text] == []
    assert [e.hash for e in events if e.hash not in text] == []


def test_every_page_has_a_qr_code_of_the_verification_url(tmp_path, settings):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.org"
    rendered = render_pdf("pdf/sample_agreement.html", SAMPLE_CONTEXT, "en")

    expected = segno.make(f"https://accord.example.org/verify/{CODE}/", error="m")
    modules = expected.symbol_size(border=0)[0]
    expected_matrix = [[bool(bit) for bit in row] for row in expected.matrix]
    images = pdf_images(rendered.pdf, tmp_path)
    assert sorted(images) == [1, 2]
    for page_images in images.values():
        assert len(page_images) == 1
        assert qr_matrix_of(page_images[0], modules) == expected_matrix


def test_the_page_counter_follows_the_translation_and_its_word_order(monkeypatch):
    # A translation that moves the counters and needs CSS escaping (the quotes).
    translated = '第 %(page)s 页 / 共 %(pages)s 页 "终"'
    monkeypatch.setattr(
        rendering,
        "gettext",
        lambda message: translated if message == "Page %(page)s of %(pages)s" else message,
    )

    assert rendering.page_counter_css() == (
        '"第 " counter(page) " 页 / 共 " counter(pages) " 页 \\"终\\""'
    )
    rendered = render_pdf("pdf/sample_agreement.html", SAMPLE_CONTEXT, "zh-hans")
    assert '第 2 页 / 共 2 页 "终"' in pdf_text(rendered.pdf, 2)


def test_remote_file_and_redirecting_resources_are_skipped_without_any_request(
    pdf_templates, loopback_server
):
    port = loopback_server.server_address[1]
    (pdf_templates / "hostile.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}'
        f'<style>@import url("http://127.0.0.1:{port}/imported.css");</style>'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/linked.css">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
        f'<img src="http://127.0.0.1:{port}/x.png">'
        f'<img src="https://127.0.0.1:{port}/y.png">'
        f'<img src="http://localhost:{port}/redirect">'
        '<img src="file:///usr/share/pixmaps/debian-logo.png">'
        '<img src="../../../../etc/passwd">'
        "<p>Still rendered</p>{% endblock %}",
        encoding="utf-8",
    )

    rendered = render_pdf("pdf/hostile.html", {"verification_code": CODE}, "en")

    assert "Still rendered" in pdf_text(rendered.pdf)
    assert loopback_server.connections == 0
    assert loopback_server.requests == []


def test_the_fetcher_refuses_other_schemes_hosts_and_paths_outside_the_static_files(
    loopback_server,
):
    fetcher = StaticOnlyURLFetcher()
    port = loopback_server.server_address[1]
    refused = [
        "file:///etc/passwd",
        f"http://127.0.0.1:{port}/static/pdf/accord-pdf.css",
        f"http://localhost:{port}/",
        "https://localhost:8000/static/pdf/accord-pdf.css",
        "http://localhost:8000/admin/",
        "http://localhost:8000/static/../../../etc/passwd",
        "http://localhost:8000/static/%2e%2e/%2e%2e/etc/passwd",
        "http://localhost:8000/static/pdf/no-such-file.css",
        "ftp://localhost/static/pdf/accord-pdf.css",
    ]
    for url in refused:
        with pytest.raises(ValueError):  # noqa: PT011 - the fetcher's refusal type
            fetcher.fetch(url)
    assert loopback_server.connections == 0


def test_the_fetcher_reads_static_files_from_disk_and_data_urls():
    fetcher = StaticOnlyURLFetcher()

    stylesheet = fetcher.fetch("http://localhost:8000/static/pdf/accord-pdf.css")
    data = fetcher.fetch("data:text/plain;base64,5Lit5paH")

    on_disk = Path(django_settings.BASE_DIR, "static/pdf/accord-pdf.css").read_bytes()
    assert stylesheet.read() == on_disk
    assert stylesheet.content_type == "text/css"
    assert data.read().decode() == "中文"


def test_static_images_are_embedded_by_relative_and_static_tag_urls(
    pdf_templates, settings, tmp_path
):
    static_dir = tmp_path / "static"
    static_dir.mkdir()
    buffer = io.BytesIO()
    Image.new("L", (7, 3), color=0).save(buffer, format="PNG")
    (static_dir / "pixel.png").write_bytes(buffer.getvalue())
    settings.STATICFILES_DIRS = [*django_settings.STATICFILES_DIRS, static_dir]
    (pdf_templates / "pictures.html").write_text(
        '{% extends "pdf/base.html" %}{% load static %}{% block content %}'
        '<img src="{% static "pixel.png" %}"><img src="static/pixel.png">'
        "{% endblock %}",
        encoding="utf-8",
    )

    rendered = render_pdf("pdf/pictures.html", {"verification_code": CODE}, "en")

    sizes = [image.size for image in pdf_images(rendered.pdf, tmp_path / "out")[1]]
    assert sizes.count((7, 3)) == 2


def test_a_character_no_font_can_draw_fails_the_render(pdf_templates):
    (pdf_templates / "glyph.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}<p>中文 \U000f0000</p>{% endblock %}',
        encoding="utf-8",
    )
    handlers_before = list(logging.getLogger("weasyprint").handlers)

    with pytest.raises(MissingGlyphError, match="U\\+F0000"):
        render_pdf("pdf/glyph.html", {"verification_code": CODE}, "zh-hans")
    assert logging.getLogger("weasyprint").handlers == handlers_before


def test_a_variable_missing_from_the_context_is_an_error_naming_it():
    context = {**SAMPLE_CONTEXT}
    del context["organization_name"]

    with pytest.raises(MissingContextError, match="organization_name"):
        render_pdf("pdf/sample_agreement.html", context, "zh-hans")


def test_a_missing_attribute_inside_a_translated_block_is_an_error(pdf_templates):
    (pdf_templates / "blocktrans.html").write_text(
        '{% extends "pdf/base.html" %}{% load i18n %}{% block content %}'
        "{% blocktranslate with name=organization.name %}Hello {{ name }}{% endblocktranslate %}"
        "{% endblock %}",
        encoding="utf-8",
    )

    with pytest.raises(MissingContextError, match=r"organization\.name"):
        render_pdf("pdf/blocktrans.html", {"verification_code": CODE, "organization": {}}, "en")


def test_the_verification_code_is_required_for_the_footer():
    context = {**SAMPLE_CONTEXT}
    del context["verification_code"]

    with pytest.raises(MissingContextError, match="verification_code"):
        render_pdf("pdf/sample_agreement.html", context, "en")


def test_only_templates_under_pdf_are_rendered():
    with pytest.raises(RenderError, match="pdf/"):
        render_pdf("home.html", {"verification_code": CODE}, "en")
