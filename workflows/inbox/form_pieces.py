"""Form pieces more than one process app uses: a cover image re-encoded from its upload, and
the questions an organization asks (of registrants, of donors) typed one per line."""

from io import BytesIO
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from documents.uploads import stored_file_name, validate_upload

COVER_MAX_WIDTH = 1600


def cover_clean(upload: Any, *, max_width: int = COVER_MAX_WIDTH) -> ContentFile | None:
    """The cover as a new JPEG at most `max_width` pixels wide: the upload's own bytes (and
    its EXIF, GPS position included) are never stored. None for no upload."""
    if not upload:
        return None
    validate_upload(upload, allowed={"image/png", "image/jpeg"})
    try:
        return _reencoded(upload, max_width)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise forms.ValidationError(
            _("This image cannot be read: it is damaged or too large."), code="unreadable"
        ) from None


def _reencoded(upload: Any, max_width: int) -> ContentFile:
    upload.seek(0)
    with Image.open(upload) as original:
        original.draft("RGB", (max_width, max_width * 4))  # JPEG: faster
        image = ImageOps.exif_transpose(original)  # a phone's photo stays upright
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        if image.width > max_width:
            height = max(1, round(image.height * max_width / image.width))
            image = image.resize((max_width, height), Image.Resampling.LANCZOS)
        out = BytesIO()
        # No exif=, icc_profile= or comment=: the new file carries the pixels only.
        image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(out.getvalue(), name=stored_file_name("image/jpeg"))


def parse_questions(text: str, *, max_count: int, max_length: int) -> list[dict[str, Any]]:
    """Question lines as the models keep them: [{"label", "required", "choices"}]. A line is
    the question, " *" when an answer is required, then ": option / option" for a choice."""
    questions: list[dict[str, Any]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        label, _colon, options = line.partition(":")
        label = label.strip()
        required = label.endswith("*")
        label = label.rstrip("*").strip()
        choices = [o.strip() for o in options.split("/") if o.strip()]
        if not label:
            raise ValidationError(_("Each question needs its text before the colon."))
        if len(label) > max_length or any(len(c) > max_length for c in choices):
            raise ValidationError(
                _("A question or an option has at most %(max)s characters.") % {"max": max_length}
            )
        if any(q["label"] == label for q in questions):
            raise ValidationError(
                _("The question “%(question)s” is there twice.") % {"question": label}
            )
        if options.strip() and len(choices) < 2:
            raise ValidationError(
                _("Give “%(question)s” at least two options.") % {"question": label}
            )
        questions.append({"label": label, "required": required, "choices": choices})
    if len(questions) > max_count:
        raise ValidationError(_("At most %(count)s questions.") % {"count": max_count})
    return questions


def format_questions(questions: list[dict[str, Any]]) -> str:
    return "\n".join(
        q["label"]
        + (" *" if q.get("required") else "")
        + (": " + " / ".join(q["choices"]) if q.get("choices") else "")
        for q in questions
    )
