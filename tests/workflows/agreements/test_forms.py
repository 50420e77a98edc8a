"""Agreement forms bound what a person may type."""

import pytest

from workflows.agreements.forms import (
    DeclineForm,
    StatusFilterForm,
    TerminationDecisionForm,
    TerminationRequestForm,
)


@pytest.mark.parametrize(
    ("form_class", "data"),
    [
        (DeclineForm, {"reason": "x" * 2001}),
        (TerminationRequestForm, {"reason": "x" * 2001, "effective_date": "2030-01-01"}),
        (TerminationDecisionForm, {"decision": "reject", "reason": "x" * 2001}),
    ],
)
def test_a_reason_over_2000_characters_is_refused(form_class, data):
    form = form_class(data)

    assert not form.is_valid()
    assert "at most 2000 characters" in form.errors["reason"][0]


def test_a_decline_reason_with_a_private_use_character_is_refused():
    form = DeclineForm({"reason": "不同意\ue000"})

    assert not form.is_valid()
    assert "U+E000" in form.errors["reason"][0]


def test_a_search_over_100_characters_is_refused():
    form = StatusFilterForm({"q": "x" * 101})

    assert not form.is_valid()
    assert "at most 100 characters" in form.errors["q"][0]
