"""Every write to service records and honour hours. Views, task views, jobs, listeners and
the demo call these."""

from .honour import (
    honour_hours_create,
    honour_hours_resubmit,
    honour_hours_review,
    honour_hours_submit,
    honour_hours_update,
)
from .records import (
    certificates_retry,
    credit_hours,
    service_record_correct,
    service_records_for_completed_activity,
)

__all__ = [
    "certificates_retry",
    "credit_hours",
    "honour_hours_create",
    "honour_hours_resubmit",
    "honour_hours_review",
    "honour_hours_submit",
    "honour_hours_update",
    "service_record_correct",
    "service_records_for_completed_activity",
]
