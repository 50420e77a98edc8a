"""Every write to an aid agreement or a termination request."""

from .agreements import (
    agreement_countersign,
    agreement_create,
    agreement_decline,
    agreement_send,
    agreement_sign,
    agreement_update,
    agreement_withdraw,
)
from .lifecycle import (
    agreement_expire,
    agreement_terminate,
    agreements_expire_due,
    agreements_send_reminders,
    agreements_terminate_due,
)
from .termination import termination_approve, termination_reject, termination_request_create

__all__ = [
    "agreement_countersign",
    "agreement_create",
    "agreement_decline",
    "agreement_expire",
    "agreement_send",
    "agreement_sign",
    "agreement_terminate",
    "agreement_update",
    "agreement_withdraw",
    "agreements_expire_due",
    "agreements_send_reminders",
    "agreements_terminate_due",
    "termination_approve",
    "termination_reject",
    "termination_request_create",
]
