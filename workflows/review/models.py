"""The review loop every reviewed object shares (an organization application today; activities,
donation projects and usage reports next):

    draft → submitted → (changes_requested → submitted)* → <approved state> | rejected

`Reviewable` carries the loop's fields and transitions. A subclass declares its own
`status = FSMField(...)` whose choices include the four `ReviewState` codes and its approved
state (`REVIEW_APPROVED`: "approved", "published", "open"…), and its `review_policy`, built
from the policy functions of its app's permissions.py, which every transition carries as
`permission=`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, transition

from accounts.validators import REASON_VALIDATORS


class ReviewState:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ReviewPolicy:
    """Who submits (the author's side) and who reviews, as (subject, user) -> bool."""

    can_submit: Callable[[Any, Any], bool]
    can_review: Callable[[Any, Any], bool]


def _may_submit(instance: "Reviewable", user: Any) -> bool:
    return instance.review_policy.can_submit(instance, user)


def _may_review(instance: "Reviewable", user: Any) -> bool:
    return instance.review_policy.can_review(instance, user)


def _approved_state(instance: "Reviewable", *args: Any, **kwargs: Any) -> str:
    return instance.REVIEW_APPROVED


class Reviewable(ConcurrentTransitionMixin, models.Model):
    REVIEW_APPROVED: ClassVar[str] = "approved"
    # Editing happens in these states only (the author's draft, or when sent back).
    EDITABLE_STATES: ClassVar[tuple[str, ...]] = (ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED)
    review_policy: ClassVar[ReviewPolicy]

    review_comment = models.TextField(
        _("reviewer's comment"), blank=True, validators=REASON_VALIDATORS
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who sent it back: the resubmission returns to them while they can still review it.
    changes_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changes requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATES

    @transition(
        field="status",
        source=ReviewState.DRAFT,
        target=ReviewState.SUBMITTED,
        permission=_may_submit,
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field="status",
        source=ReviewState.CHANGES_REQUESTED,
        target=ReviewState.SUBMITTED,
        permission=_may_submit,
    )
    def resubmit(self) -> None:
        # The comment was answered by this resubmission: it stays on the timeline, not on the
        # subject, so that nobody reads it as the verdict on the new version.
        self.submitted_at = timezone.now()
        self.review_comment = ""

    @transition(
        field="status",
        source=ReviewState.SUBMITTED,
        target=ReviewState.CHANGES_REQUESTED,
        permission=_may_review,
    )
    def request_changes(self, *, by: models.Model, comment: str) -> None:
        self.reviewed_by = by
        self.changes_requested_by = by
        self.review_comment = comment

    @transition(
        field="status",
        source=ReviewState.SUBMITTED,
        target=GET_STATE(_approved_state),
        permission=_may_review,
    )
    def approve(self, *, by: models.Model, comment: str = "") -> None:
        self.reviewed_by = by
        self.review_comment = comment
        self.decided_at = timezone.now()

    @transition(
        field="status",
        source=ReviewState.SUBMITTED,
        target=ReviewState.REJECTED,
        permission=_may_review,
    )
    def reject(self, *, by: models.Model, comment: str) -> None:
        self.reviewed_by = by
        self.review_comment = comment
        self.decided_at = timezone.now()
