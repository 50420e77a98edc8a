"""The suspension form bounds what a person may type."""

from workflows.onboarding.forms import SuspendForm


def test_a_suspension_reason_keeps_its_line_breaks_but_not_control_characters():
    assert SuspendForm({"reason": "第一\r\n第二"}).is_valid()
    assert not SuspendForm({"reason": "第一\x1b"}).is_valid()
