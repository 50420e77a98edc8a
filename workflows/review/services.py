"""The review decision, applied the same way to every reviewed object."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .forms import Decision

# The audit action suffix each decision writes (`<prefix>.approved`, …).
DECISION_ACTIONS = {
    Decision.APPROVE: "approved",
    Decision.REQUEST_CHANGES: "changes_requested",
    Decision.REJECT: "rejected",
}


def review_decide(subject: Any, *, decision: str, by: Any, comment: str) -> str:
    """Take the reviewer's `decision` on a locked, permission-checked `subject` (the caller
    saves, audits and notifies); returns the audit action suffix. A rejection or a request
    for changes needs a comment. TransitionNotAllowed unless the subject is submitted."""
    decision = Decision(decision)
    if decision != Decision.APPROVE and not comment.strip():
        raise ValidationError({"comment": _("Give the author a reason.")})
    if decision == Decision.APPROVE:
        subject.approve(by=by, comment=comment)
    elif decision == Decision.REQUEST_CHANGES:
        subject.request_changes(by=by, comment=comment)
    else:
        subject.reject(by=by, comment=comment)
    return DECISION_ACTIONS[decision]
