"""Decision and suspension forms bound what a person may type."""

from workflows.onboarding.forms import DecisionForm, SuspendForm


def test_a_comment_over_2000_characters_is_refused():
    form = DecisionForm({"decision": DecisionForm.Decision.REJECT, "comment": "x" * 2001})

    assert not form.is_valid()
    assert "at most 2000 characters" in form.errors["comment"][0]


def test_a_suspension_reason_keeps_its_line_breaks_but_not_control_characters():
    assert SuspendForm({"reason": "第一\r\n第二"}).is_valid()
    assert not SuspendForm({"reason": "第一\x1b"}).is_valid()
