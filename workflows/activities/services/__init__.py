"""Every write to an activity and its registrations. Views, task views, jobs and the demo
call these; the review decision itself is the shared review loop's (workflows.review)."""

from .activities import (
    activities_advance_due,
    activity_advance,
    activity_cancel,
    activity_create,
    activity_resubmit,
    activity_review,
    activity_submit,
    activity_update,
)
from .registrations import (
    CheckInRefusedError,
    activity_notice_send,
    blocked_person_add,
    blocked_person_remove,
    invitation_code_create,
    registration_approve,
    registration_check_in,
    registration_check_out,
    registration_create,
    registration_reject,
    registration_remove,
    registration_waitlist,
    registration_withdraw,
    registrations_exported,
)

__all__ = [
    "CheckInRefusedError",
    "activities_advance_due",
    "activity_advance",
    "activity_cancel",
    "activity_create",
    "activity_notice_send",
    "activity_resubmit",
    "activity_review",
    "activity_submit",
    "activity_update",
    "blocked_person_add",
    "blocked_person_remove",
    "invitation_code_create",
    "registration_approve",
    "registration_check_in",
    "registration_check_out",
    "registration_create",
    "registration_reject",
    "registration_remove",
    "registration_waitlist",
    "registration_withdraw",
    "registrations_exported",
]
