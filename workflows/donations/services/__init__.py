"""Every write to donation projects, donations and usage reports. Views, task views, jobs and
the demo call these; review decisions are the shared review loop's (workflows.review)."""

from .donations import (
    donation_confirm,
    donation_pledge,
    donation_record,
    donation_void,
    pledge_withdraw,
)
from .projects import (
    project_cancel,
    project_close,
    project_create,
    project_resubmit,
    project_review,
    project_submit,
    project_update,
    projects_close_ended,
)
from .reports import (
    report_create,
    report_evidence_add,
    report_line_add,
    report_line_remove,
    report_new_version,
    report_resubmit,
    report_review,
    report_submit,
    report_update,
)

__all__ = [
    "donation_confirm",
    "donation_pledge",
    "donation_record",
    "donation_void",
    "pledge_withdraw",
    "project_cancel",
    "project_close",
    "project_create",
    "project_resubmit",
    "project_review",
    "project_submit",
    "project_update",
    "projects_close_ended",
    "report_create",
    "report_evidence_add",
    "report_line_add",
    "report_line_remove",
    "report_new_version",
    "report_resubmit",
    "report_review",
    "report_submit",
    "report_update",
]
