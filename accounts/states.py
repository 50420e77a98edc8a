"""The stale-page guard every state-flipping action uses.

A form that changes an object's state carries the state its page showed
(`expected_status`); when the object has moved on since (another approver acted a moment
ago), the service refuses with `StateChanged` instead of acting on a state nobody saw.
`StateChanged` is a `TransitionNotAllowed`, which pages already turn into a clear message.
"""

from typing import Any

from django_fsm import TransitionNotAllowed


class StateChanged(TransitionNotAllowed):
    """The object is no longer in the state the person acted on."""


def expect_state(obj: Any, expected: str | None, *, field: str = "status") -> None:
    """Refuse unless `obj.<field>` is `expected`; `None` means the caller saw no state."""
    current = getattr(obj, field)
    if expected is not None and current != expected:
        raise StateChanged(f"Expected {expected!r}, found {current!r}.")
