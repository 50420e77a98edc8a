"""Pieces of the review loop's flow: submit → review ─┬─ decided → end
└─ changes requested → revise → review

A flow that reviews its subject this way takes its three nodes from `review_loop(...)` and
the gateway's condition from `ReviewLoopFlow`:

    class OnboardingFlow(ReviewLoopFlow, AccordFlow):
        start = start_node().Next(this.review)
        review, route_decision, revise = review_loop(...)
        end = End()
"""

from collections.abc import Callable
from typing import Any

from viewflow import this

from accounts.selectors import user_list_approvers
from workflows.inbox.base import If, TaskNode
from workflows.inbox.deadlines import Due

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


def review_loop(
    *,
    review_view: Any,
    revise_view: Any,
    review_title: Any,
    revise_title: Any,
    can_review: Callable[[Any, Any], bool],
    can_submit: Callable[[Any, Any], bool],
    due: Due,
    author: Callable[[Any], Any],
) -> tuple[Any, Any, Any]:
    """The `review`, `route_decision` and `revise` nodes: approvers review (back to the one
    who asked for changes when a resubmission comes), the gateway routes on the state the
    decision left, and `author(activation)` revises."""
    review = (
        TaskNode(
            review_view,
            policy=can_review,
            approver_task=True,
            due=due,
            candidates=lambda subject: user_list_approvers(),
        )
        .Annotation(title=review_title)
        .Assign(back_to_reviewer)
        .Next(this.route_decision)
    )
    route_decision = If(this.changes_were_requested).Then(this.revise).Else(this.end)
    revise = (
        TaskNode(revise_view, policy=can_submit)
        .Annotation(title=revise_title)
        .Assign(author)
        .Next(this.review)
    )
    return review, route_decision, revise


class ReviewLoopFlow:
    """The gateway's condition of `review_loop`, for any flow whose subject is `Reviewable`."""

    def changes_were_requested(self, activation: Any) -> bool:
        flow = type(self)
        subject_id = getattr(activation.process, f"{flow.subject_field}_id")
        return changes_requested(flow.subject_model(), subject_id)
