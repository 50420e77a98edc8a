"""Every write to service records and honour hours. Views, task views, jobs, listeners and
the demo call these."""

from .records import (
    certificates_retry,
    credit_hours,
    service_record_correct,
    service_records_for_completed_activity,
)

__all__ = [
    "certificates_retry",
    "credit_hours",
    "service_record_correct",
    "service_records_for_completed_activity",
]
