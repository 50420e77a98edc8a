"""HTML → PDF. The only module in Accord that imports WeasyPrint.

Three rules hold for every PDF:

- Resources come only from `data:` URLs and the project's own static files, read from disk.
  The document is passed as a string with the public site URL as its base, so a relative URL
  never turns into `file://`; anything else (`file://`, `http(s)://` on any host, redirects)
  is refused by the fetcher and the document renders without it.
- A variable the template needs and the context lacks is an error, not an empty string.
- A character no installed font can draw is an error: WeasyPrint only logs that it drew a
  `.notdef` box, so the log is watched during rendering.
"""

import functools
import logging
import mimetypes
import posixpath
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.backends.django import DjangoTemplates
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .models import verification_path

PDF_TEMPLATE_PREFIX = "pdf/"

_weasyprint_logger = logging.getLogger("weasyprint")


class RenderError(Exception):
    """A PDF could not be rendered as its template describes."""


class MissingContextError(RenderError):
    """The template uses a variable that the context does not provide."""


class MissingGlyphError(RenderError):
    """Some text has no glyph in any installed font and would print as empty boxes."""


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    page_count: int


def public_url(path: str = "/") -> str:
    """An absolute URL on the public site (settings.ACCORD_PUBLIC_URL)."""
    return settings.ACCORD_PUBLIC_URL.rstrip("/") + "/" + path.lstrip("/")


def verification_url(code: str) -> str:
    return public_url(verification_path(code))


class StaticOnlyURLFetcher(URLFetcher):
    """Fetches `data:` URLs and the project's static files; refuses everything else.

    Static files are addressed by their public URL (`<ACCORD_PUBLIC_URL><STATIC_URL>path`, which
    is what `{% static %}` resolves to against the document's base URL) and are read from disk
    through the staticfiles finders: no request ever leaves the process.
    """

    def __init__(self) -> None:
        # No redirects, and only data: reaches urllib; the static prefix is answered below.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
        self._static_base = urlsplit(urljoin(public_url(), settings.STATIC_URL))

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        static_path = self._static_path(url)
        if static_path is not None:
            return self._fetch_static(url, static_path)
        # Raises ValueError for every scheme but data:; WeasyPrint then skips the resource.
        return super().fetch(url, headers)

    def _static_path(self, url: str) -> str | None:
        """The static file path `url` names, or None when it is not one of our static URLs."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        base = self._static_base
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            return None
        if not parts.path.startswith(base.path):
            return None
        path = unquote(parts.path[len(base.path) :])
        normalized = posixpath.normpath(path)
        if not path or normalized.startswith(("../", "/")) or normalized in {".", ".."}:
            raise ValueError(f"Refused static path outside the static files: {url}")
        return normalized

    def _fetch_static(self, url: str, path: str) -> URLFetcherResponse:
        found = finders.find(path)
        if not found:
            raise ValueError(f"No such static file: {url}")
        with open(found, "rb") as file:
            body = file.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


class _UndefinedVariable(str):
    """`string_if_invalid` that turns an unresolvable template variable into an error.

    Django formats `string_if_invalid % variable` when it contains "%s"; `{% if %}` and
    `{% for %}` ignore failures as usual, so optional parts can still be tested for.
    """

    def __mod__(self, variable: object) -> str:
        raise MissingContextError(str(variable))


@functools.cache
def _template_engine() -> DjangoTemplates:
    dirs = [
        directory
        for config in settings.TEMPLATES
        if config["BACKEND"] == "django.template.backends.django.DjangoTemplates"
        for directory in config.get("DIRS", [])
    ]
    return DjangoTemplates(
        {
            "NAME": "accord-pdf",
            "DIRS": dirs,
            "APP_DIRS": False,
            "OPTIONS": {"string_if_invalid": _UndefinedVariable("%s")},
        }
    )


@receiver(setting_changed)
def _reset_template_engine(*, setting: str, **kwargs: Any) -> None:
    if setting == "TEMPLATES":
        _template_engine.cache_clear()


class _MissingGlyphRecorder(logging.Handler):
    """Collects WeasyPrint's `.notdef glyph` warnings emitted by this thread."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and ".notdef glyph" in str(record.msg):
            self.messages.append(record.getMessage())


@contextmanager
def _watch_missing_glyphs() -> Iterator[_MissingGlyphRecorder]:
    recorder = _MissingGlyphRecorder()
    # The warning must reach the handler even where logging is configured quieter.
    if not _weasyprint_logger.isEnabledFor(logging.WARNING):
        _weasyprint_logger.setLevel(logging.WARNING)
    _weasyprint_logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        _weasyprint_logger.removeHandler(recorder)


_COUNTER_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


def _css_string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    )
    return f'"{escaped}"'


def page_counter_css() -> str:
    """CSS `content` value for "Page x of y" in the active language.

    Built from one message with two placeholders, so a translation can put the counters in
    its own order and wording.
    """
    message = gettext("Page %(page)s of %(pages)s")
    parts = []
    for index, piece in enumerate(_COUNTER_PLACEHOLDER.split(message)):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts) or '""'


def _pdf_context(verification_code: str) -> dict[str, str]:
    """What base.html needs besides the caller's context: footer, page counter, language."""
    url = verification_url(verification_code)
    qr = segno.make(url, error="m")
    return {
        "language": translation.get_language(),
        "verification_code": verification_code,
        "verification_url": url,
        "qr_data_url": qr.png_data_uri(scale=4, border=0),
        "page_counter_css": page_counter_css(),
        # For a part of a document in another language (on its own named @page).
        "page_counter_css_by_language": _page_counters(),
    }


def _page_counters() -> dict[str, str]:
    counters = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            counters[code.replace("-", "_")] = page_counter_css()
    return counters


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """This thread's WeasyPrint font configuration, made once: building one (fontconfig and
    Pango's font map) costs milliseconds per render. Accord's stylesheets declare no
    @font-face, so nothing accumulates in it; Pango's objects are not shared across threads."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def render_pdf(template_name: str, context: dict[str, Any], language: str) -> RenderedPdf:
    """Render `templates/<template_name>` (a template under `pdf/`) to a PDF in `language`.

    The context must hold `verification_code`, which the footer of every page prints with its
    QR code. Raises MissingContextError when the template needs a variable the context lacks
    and MissingGlyphError when some text cannot be drawn in any installed font.
    """
    if not template_name.startswith(PDF_TEMPLATE_PREFIX):
        raise RenderError(f"PDF templates live under {PDF_TEMPLATE_PREFIX}: {template_name}")
    if "verification_code" not in context:
        raise MissingContextError(f"{template_name} needs 'verification_code' for its footer")
    template = _template_engine().get_template(template_name)
    with translation.override(language):
        full_context = {**context, "pdf": _pdf_context(context["verification_code"])}
        try:
            html = template.render(full_context)
        except MissingContextError as error:
            raise MissingContextError(
                f"{template_name} uses {error}, which its context does not provide"
            ) from None
        with _watch_missing_glyphs() as recorder:
            document = HTML(
                string=html, base_url=public_url(), url_fetcher=StaticOnlyURLFetcher()
            ).render(font_config=_font_config())
            pdf = document.write_pdf()
    if recorder.messages:
        raise MissingGlyphError(f"{template_name}: {recorder.messages[0]}")
    return RenderedPdf(pdf=pdf, page_count=len(document.pages))


def render_stamp(*, lines: list[str], width_mm: float, height_mm: float) -> bytes:
    """A one-page PDF the size of a signature stamp, carrying `lines` (any script).

    pyHanko's stamp font draws Latin only, so signing uses this as the stamp's background
    to show the signer and role in Chinese.
    """
    body = "".join(f"<div>{escape(line)}</div>" for line in lines)
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        f"@page {{ size: {width_mm}mm {height_mm}mm; margin: 0; }}"
        "html { font-family: 'WenQuanYi Micro Hei', sans-serif; font-size: 8pt; "
        "line-height: 1.3; color: #8b0000; text-align: center; }"
        "body { margin: 1.5mm 2mm; }"
        "</style></head><body>" + body + "</body></html>"
    )
    with _watch_missing_glyphs() as recorder:
        pdf = HTML(
            string=html, base_url=public_url(), url_fetcher=StaticOnlyURLFetcher()
        ).write_pdf(font_config=_font_config())
    if recorder.messages:
        raise MissingGlyphError(f"stamp: {recorder.messages[0]}")
    return pdf
