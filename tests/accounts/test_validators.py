"""Validators of what people type: plain text, phone numbers, the unified social credit code."""

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    CREDIT_CODE_ALPHABET,
    validate_credit_code,
    validate_phone,
    validate_plain_multiline_text,
    validate_plain_text,
)
from tests.factories import valid_credit_code

# A code from outside the project, not produced by our own check-character routine.
KNOWN_GOOD = "91350100M000100Y43"


def refusal(code: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    return caught.value


@pytest.mark.parametrize(
    "code",
    [KNOWN_GOOD, KNOWN_GOOD.lower(), f" {KNOWN_GOOD} "]
    + [valid_credit_code(n) for n in (0, 1, 12_345, 31**8, 31**9 - 1)],
)
def test_valid_codes_pass(code):
    assert validate_credit_code(code) is None


@pytest.mark.parametrize("position", [17, 3, 10])
def test_a_changed_character_fails_the_check(position):
    replacement = next(c for c in "0123" if c != KNOWN_GOOD[position])
    code = KNOWN_GOOD[:position] + replacement + KNOWN_GOOD[position + 1 :]

    error = refusal(code)

    assert error.code == "check_digit"
    assert "check character does not match" in error.messages[0]


@pytest.mark.parametrize("code", ["", KNOWN_GOOD[:17], KNOWN_GOOD + "0"])
def test_a_code_of_the_wrong_length_fails(code):
    error = refusal(code)

    assert error.code == "length"
    assert error.messages == ["A unified social credit code has exactly 18 characters."]


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_outside_the_alphabet_fail_and_are_named(letter):
    assert letter not in CREDIT_CODE_ALPHABET
    code = KNOWN_GOOD[:8] + letter + KNOWN_GOOD[9:]

    error = refusal(code)

    assert error.code == "alphabet"
    assert error.messages == [f"A unified social credit code cannot contain: {letter}."]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("\ue000", "U+E000"),
        ("name\x07", "U+0007"),
        ("\x00", "U+0000"),
        ("\ud800", "U+D800"),
        ("\uffff", "U+FFFF"),
        ("\ufdd0", "U+FDD0"),
        ("two\nlines", "U+000A"),
        ("tab\there", "U+0009"),
    ],
)
def test_plain_text_refuses_what_cannot_be_shown_or_printed(text, named):
    with pytest.raises(ValidationError) as caught:
        validate_plain_text(text)

    assert caught.value.code == "unprintable"
    assert named in caught.value.messages[0]


@pytest.mark.parametrize("text", ["阳光社区援助中心", "Aid · Ω é 😀", "A\u200dB", "N° 3 (east)"])
def test_plain_text_accepts_what_people_write(text):
    assert validate_plain_text(text) is None


def test_multiline_text_keeps_line_breaks_and_tabs_but_not_private_use():
    assert validate_plain_multiline_text("第一条\r\n\t第二条\n") is None
    with pytest.raises(ValidationError):
        validate_plain_multiline_text("第一条\ue000")


@pytest.mark.parametrize(
    "phone", ["13800000000", "+86 138-0000-0000", "(010) 1234 5678", "010-12345678", "12345"]
)
def test_phone_numbers_as_people_write_them_pass(phone):
    assert validate_phone(phone) is None


@pytest.mark.parametrize(
    "phone",
    ["abc", "1234", "+", "", "12+345678", "1" * 21, "138 0000 0000 ext 5", "１３８００００００"],
)
def test_phone_numbers_that_are_not_one_are_refused(phone):
    with pytest.raises(ValidationError) as caught:
        validate_phone(phone)

    assert caught.value.code == "phone"
