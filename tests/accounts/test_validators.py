"""The unified social credit code of GB 32100-2015: 18 characters, check character last."""

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import CREDIT_CODE_ALPHABET, validate_credit_code
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
