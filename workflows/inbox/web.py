"""Turning the errors of a service call into a message a person can act on."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from viewflow.fsm import TransitionNotAllowed as FlowTransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed

import audit.services as audit
from accounts.selectors import organizations_of

from .services import TaskUnavailable


def organizations_or_404(request: HttpRequest) -> QuerySet:
    """The organizations `request.user` belongs to, by name, for a page only their members
    use; someone in none gets a 404, and the refusal is audited."""
    organizations = organizations_of(user=request.user).order_by("name")
    if not organizations.exists():
        audit.record_denial(reason="not_allowed", request=request)
        raise Http404
    return organizations


def validation_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(m) for errors in error.message_dict.values() for m in errors]
    return [str(m) for m in error.messages]


def run_service(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    success: Any = None,
    form: Any = None,
    target: Any = None,
) -> tuple[bool, Any]:
    """Call a service; on a refusal, show why and return (False, None). Nothing is lost: the
    service's transaction was rolled back and the caller re-displays what the user entered.

    Validation errors go onto `form` when one is given so that they stand by their field. A
    permission refusal is audited, against `target` (the object acted on) when one is given.
    """
    try:
        result = call()
    except ValidationError as error:
        if form is not None and hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            for message in validation_messages(error):
                messages.error(request, message)
        return False, None
    except PermissionDenied:
        audit.record_denial(reason="not_allowed", target=target, request=request)
        messages.error(request, _("You are not allowed to do this."))
        return False, None
    except TaskUnavailable as error:
        messages.warning(request, str(error.message))
        return False, None
    except (TransitionNotAllowed, FlowTransitionNotAllowed, ConcurrentTransition):
        messages.warning(
            request,
            _(
                "This was not done: the item changed state in the meantime. "
                "Its current state is shown."
            ),
        )
        return False, None
    except FlowLockFailed:
        messages.warning(request, _("Someone else is working on this right now; try again."))
        return False, None
    if success:
        messages.success(request, success)
    return True, result


def expected_status(request: HttpRequest) -> str | None:
    """The state the page showed when its form was sent (the services' stale-page guard,
    `accounts.states.expect_state`); None when the form carries none."""
    return request.POST.get("expected_status") or None


def submitting(request: HttpRequest) -> bool:
    """The form was sent with "Save and submit" rather than "Save as draft"."""
    return "submit" in request.POST


def submit_if_asked(
    request: HttpRequest,
    subject: Any,
    submit: Callable[[], Any],
    *,
    success: Any,
    not_submitted: Any,
) -> HttpResponse:
    """After a draft was saved: "Save and submit" submits it through `submit`. A refusal keeps
    the saved draft and says so beside why; either way the subject's page follows."""
    if submitting(request) and subject.status == subject.Status.DRAFT:
        ok, _result = run_service(request, submit, success=success, target=subject)
        if not ok:
            messages.info(request, not_submitted)
    return redirect(subject)
