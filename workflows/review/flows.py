"""Pieces of the review loop's flow: submit → review ─┬─ decided → end
└─ changes requested → revise → review"""

from typing import Any

from .models import ReviewState


def back_to_reviewer(activation: Any) -> Any:
    """`.Assign(...)` of a review node: a resubmission goes back to the reviewer who asked for
    the changes, while that person is active and may still review it; otherwise the task
    waits in the queue for any reviewer."""
    node = activation.flow_task
    subject = node.flow_class.instance.subject_of(activation.process)
    reviewer = subject.changes_requested_by
    if reviewer is not None and reviewer.is_active and node.policy(subject, reviewer):
        return reviewer
    return None


def changes_requested(subject_model: type, subject_id: Any) -> bool:
    """The gateway after a review, read afresh: the decision was saved by a service on
    another instance of the row."""
    return subject_model._default_manager.filter(
        pk=subject_id, status=ReviewState.CHANGES_REQUESTED
    ).exists()
