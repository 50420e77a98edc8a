"""Checks of what people type: plain text, phone numbers, and the unified social credit code
(统一社会信用代码) of GB 32100-2015."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Upper bounds of what a person types, so that a pasted megabyte is refused with a message.
SEARCH_MAX_LENGTH = 100
REASON_MAX_LENGTH = 2_000
LONG_TEXT_MAX_LENGTH = 20_000

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first_17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * weight
        for ch, weight in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has exactly 18 characters."), code="length"
        )
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("A unified social credit code cannot contain: %(chars)s."),
            code="alphabet",
            params={"chars": " ".join(bad)},
        )
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("This unified social credit code is not valid: its check character does not match."),
            code="check_digit",
        )


# Unicode categories no person types on purpose and no PDF font draws: control characters,
# private-use characters, lone surrogates and unassigned code points (U+FFFF and the other
# non-characters among them).
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Co", "Cs", "Cn"})
_LINE_BREAKS_AND_TABS = frozenset("\n\r\t")


@deconstructible
class PlainTextValidator:
    """Refuse characters that cannot be shown or printed; `multiline` allows line breaks and
    tabs (a textarea sends its line breaks as \\r\\n).

    Refusing them where they are typed keeps them out of every rendered PDF, where they
    would fail the rendering (MissingGlyphError) long after the person has gone.
    """

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: str) -> None:
        allowed = _LINE_BREAKS_AND_TABS if self.multiline else frozenset()
        bad = sorted(
            {
                ch
                for ch in str(value)
                if ch not in allowed and unicodedata.category(ch) in _UNPRINTABLE_CATEGORIES
            }
        )
        if bad:
            raise ValidationError(
                _("Remove the characters that cannot be shown or printed: %(chars)s."),
                code="unprintable",
                params={"chars": " ".join(f"U+{ord(ch):04X}" for ch in bad)},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((type(self), self.multiline))


validate_plain_text = PlainTextValidator()
validate_plain_multiline_text = PlainTextValidator(multiline=True)


_PHONE_SHAPE = re.compile(r"\+?[0-9 ()\-]+", re.ASCII)


def validate_phone(value: str) -> None:
    """A phone number as people write it: 5 to 20 digits, an optional leading +, and spaces,
    dashes or parentheses between the digits."""
    text = (value or "").strip()
    digits = sum(ch.isascii() and ch.isdigit() for ch in text)
    if not _PHONE_SHAPE.fullmatch(text) or not 5 <= digits <= 20:
        raise ValidationError(
            _(
                "Enter a phone number: 5 to 20 digits, optionally starting with +, "
                "with spaces, dashes or parentheses between them."
            ),
            code="phone",
        )


# Model-level checks of what people type into a TextField (which the database does not bound).
REASON_VALIDATORS = [MaxLengthValidator(REASON_MAX_LENGTH), validate_plain_multiline_text]
LONG_TEXT_VALIDATORS = [MaxLengthValidator(LONG_TEXT_MAX_LENGTH), validate_plain_multiline_text]
