"""A page of a stored PDF as a PNG image, for pages where people read a document: phones and
many browsers show no PDF inside a page, an image they all show.

Poppler's `pdftoppm` (a system package Accord already installs) draws the page. Only PDFs that
Accord rendered and stored are passed to it, and it runs with a time limit.
"""

import shutil
import subprocess

PAGE_WIDTH_PX = 900
_TIME_LIMIT_SECONDS = 20


class PreviewError(Exception):
    """The page could not be drawn (no such page, or poppler failed)."""


def page_png(pdf: bytes, *, page: int, width_px: int = PAGE_WIDTH_PX) -> bytes:
    """Page `page` (1-based) of `pdf`, `width_px` wide, as PNG bytes."""
    if page < 1:
        raise PreviewError(f"no page {page}")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise PreviewError("pdftoppm is not installed (Debian package poppler-utils)")
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, the PDF goes through stdin
            [
                pdftoppm,
                "-png",
                "-singlefile",
                "-f",
                str(page),
                "-l",
                str(page),
                "-scale-to-x",
                str(width_px),
                "-scale-to-y",
                "-1",
                "-",
            ],
            input=pdf,
            capture_output=True,
            timeout=_TIME_LIMIT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PreviewError(f"pdftoppm did not run: {error}") from error
    if result.returncode != 0 or not result.stdout.startswith(b"\x89PNG"):
        raise PreviewError(result.stderr.decode(errors="replace")[:300] or "no image")
    return result.stdout
