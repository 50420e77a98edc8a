"""The review loop's decision form bounds what a reviewer may type."""

from workflows.review.forms import Decision, DecisionForm


def test_a_comment_over_2000_characters_is_refused():
    form = DecisionForm({"decision": Decision.REJECT, "comment": "x" * 2001})

    assert not form.is_valid()
    assert "at most 2000 characters" in form.errors["comment"][0]


def test_a_comment_with_a_control_character_is_refused():
    form = DecisionForm({"decision": Decision.REJECT, "comment": "No\x07"})

    assert not form.is_valid()
    assert "U+0007" in form.errors["comment"][0]


def test_rejecting_or_asking_for_changes_needs_a_comment():
    assert not DecisionForm({"decision": Decision.REQUEST_CHANGES, "comment": " "}).is_valid()
    assert DecisionForm({"decision": Decision.APPROVE, "comment": ""}).is_valid()
