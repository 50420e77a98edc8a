"""Pages of a person's registrations and of an activity's staff: registering, tickets,
reviewing registrations, the export and check-in at the door. Thin: parse with a form, call
one selector or one service (through `run_service`), respond."""

import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import segno
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from accounts.states import StateChanged
from documents.rendering import RenderError, render_pdf
from workflows.inbox import exports
from workflows.inbox.web import expected_status, run_service, validation_messages

from . import selectors, services
from .forms import CheckInForm, ReasonForm, RegistrationBulkForm
from .models import Activity, Registration

Reg = Registration.Status
PAGE_SIZE = 50
STAFF_PAGE_SIZE = 100

# The QR code carries the ticket's token signed with the site's key: a code read by the
# camera is known to come from a ticket this site issued. The printed code is the bare token.
TICKET_SALT = "activities.ticket"
# A signed payload is about 80 characters; anything much longer is not one of ours.
TICKET_PAYLOAD_MAX = 200
TICKETED = (Reg.APPROVED, Reg.CHECKED_IN)


BULK_SERVICES: dict[str, Callable[..., Registration]] = {
    "approve": services.registration_approve,
    "waitlist": services.registration_waitlist,
    "reject": services.registration_reject,
}

CHECK_IN_INVALID = gettext_lazy(
    "This is not a ticket code: scan the QR code or type the code printed under it."
)


# --- the person's own registrations -------------------------------------------------------


def my_registrations(request: HttpRequest) -> HttpResponse:
    queryset = selectors.registration_list_for_person(user=request.user)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "registration": registration,
            "has_ticket": registration.status in TICKETED,
            "can_withdraw": now < registration.activity.starts_at
            and _allows(registration, "withdraw"),
        }
        for registration in page.object_list
    ]
    return render(
        request, "activities/registrations/my_registrations.html", {"page": page, "rows": rows}
    )


@require_POST
def withdraw(request: HttpRequest, registration_pk: int) -> HttpResponse:
    registration = selectors.registration_get_for_person(
        registration_id=registration_pk, user=request.user
    )
    run_service(
        request,
        lambda: services.registration_withdraw(registration_id=registration.pk, actor=request.user),
        success=_("You withdrew from “%(title)s”.") % {"title": registration.activity.title},
        target=registration,
    )
    if request.POST.get("back") == "activity":  # withdrawn from the activity's own page
        return redirect("activities:detail", registration.activity_id)
    return redirect("activities:mine")


def ticket(request: HttpRequest, registration_pk: int) -> HttpResponse:
    registration = _ticketed_registration(request, registration_pk)
    return render(
        request,
        "activities/registrations/ticket.html",
        {
            "registration": registration,
            "activity": registration.activity,
            "qr_svg": _ticket_qr(registration).svg_inline(
                scale=6, light="#fff", title=_("Ticket QR code"), svgclass="ticket-qr"
            ),
            "ticket_code": ticket_code_display(registration.ticket_token),
        },
    )


def ticket_png(request: HttpRequest, registration_pk: int) -> HttpResponse:
    registration = _ticketed_registration(request, registration_pk)
    buffer = io.BytesIO()
    _ticket_qr(registration).save(buffer, kind="png", scale=10, border=4)
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="ticket-{registration.pk}.png"'
    return _private(response)


def ticket_pdf(request: HttpRequest, registration_pk: int) -> HttpResponse:
    """A one-page ticket to print or keep on the phone; made on the fly and stored nowhere."""
    registration = _ticketed_registration(request, registration_pk)
    activity = registration.activity
    code = ticket_code_display(registration.ticket_token)
    context = {
        # render_pdf needs a code for the footer of stored documents; a ticket has no such
        # footer (it is no document to verify), so its own code stands in.
        "verification_code": registration.ticket_token,
        "document_title": activity.title,
        "activity_title": activity.title,
        "organization_name": activity.organization.name,
        "person_name": str(registration.person),
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "address": activity.address,
        "contact": activity.contact,
        "ticket_code": code,
        "qr_data_url": _ticket_qr(registration).png_data_uri(scale=6, border=4),
    }
    try:
        pdf = render_pdf("pdf/activity_ticket.html", context, translation.get_language()).pdf
    except RenderError:
        # A name in a script no installed font draws: the page and the PNG still work.
        messages.error(
            request, _("The PDF could not be made for this ticket; download the image instead.")
        )
        return redirect("activities:ticket", registration_pk=registration.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ticket-{registration.pk}.pdf"'
    return _private(response)


def ticket_payload(token: str) -> str:
    """What the ticket's QR code holds."""
    return signing.dumps(token, salt=TICKET_SALT)


def ticket_code_display(token: str) -> str:
    """The code printed under the QR code, in groups of four to read out and type; check-in
    ignores the spaces."""
    return " ".join(token[i : i + 4] for i in range(0, len(token), 4))


def _ticketed_registration(request: HttpRequest, registration_pk: int) -> Registration:
    """The person's own registration that holds a ticket; 404 for any other."""
    registration = selectors.registration_get_for_person(
        registration_id=registration_pk, user=request.user
    )
    if registration.status not in TICKETED:
        raise Http404
    return registration


def _ticket_qr(registration: Registration) -> segno.QRCode:
    return segno.make(ticket_payload(registration.ticket_token), error="m")


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _allows(registration: Registration, transition: str) -> bool:
    """Whether the state machine offers `transition` now. The person's right was checked by
    the page's selector; the user's transitions would ask the permission again per row."""
    return any(t.name == transition for t in registration.get_available_status_transitions())


# --- the organization's staff -------------------------------------------------------------


def _status_filter(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in Reg.values else ""


def registration_list(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_manager(
        activity_id=pk, user=request.user, request=request
    )
    status = _status_filter(request)
    form = None
    if request.method == "POST":
        form = RegistrationBulkForm(
            request.POST,
            queryset=selectors.registration_list_for_activity(activity=activity, user=request.user),
        )
        if form.is_valid():
            _decide_all(request, form.cleaned_data)
            return redirect(request.get_full_path())
    registrations = selectors.registration_list_for_activity(
        activity=activity, user=request.user, status=status
    )
    page = Paginator(registrations, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "registration": registration,
            "can_remove": _allows(registration, "remove"),
            "remove_form": ReasonForm(auto_id=f"remove-{registration.pk}-%s"),
        }
        for registration in page.object_list
    ]
    return render(
        request,
        "activities/registrations/registration_list.html",
        {
            "activity": activity,
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": Reg.choices,
            "form": form or RegistrationBulkForm(),
            "selected": {str(pk) for pk in request.POST.getlist("registrations")},
        },
        status=400 if form is not None else 200,
    )


def _decide_all(request: HttpRequest, data: dict[str, Any]) -> None:
    """One service call per registration, each in its own transaction with its own audit row:
    a refusal (the last place went) stops nobody else. Says how many were done and, for each
    refusal, whose and why."""
    action, reason = data["action"], data["reason"].strip()
    service = BULK_SERVICES[action]
    extra = {"reason": reason} if action == "reject" else {}
    done = 0
    for registration in data["registrations"]:
        ok, _result = run_service(
            request,
            _naming(
                registration,
                lambda registration=registration: service(
                    registration_id=registration.pk,
                    actor=request.user,
                    expected_status=registration.status,
                    **extra,
                ),
            ),
            target=registration,
        )
        done += ok
    total = len(data["registrations"])
    summaries = {
        "approve": ngettext(
            "%(done)d of %(total)d registration approved.",
            "%(done)d of %(total)d registrations approved.",
            total,
        ),
        "waitlist": ngettext(
            "%(done)d of %(total)d registration put on the waiting list.",
            "%(done)d of %(total)d registrations put on the waiting list.",
            total,
        ),
        "reject": ngettext(
            "%(done)d of %(total)d registration rejected.",
            "%(done)d of %(total)d registrations rejected.",
            total,
        ),
    }
    level = messages.SUCCESS if done == total else messages.WARNING
    messages.add_message(request, level, summaries[action] % {"done": done, "total": total})


def _naming(registration: Registration, call: Callable[[], Any]) -> Callable[[], Any]:
    """`call`, whose refusals name the person, since a bulk decision refuses row by row."""

    def named() -> Any:
        person = str(registration.person)
        try:
            return call()
        except ValidationError as error:
            raise ValidationError(
                [
                    _("%(person)s: %(reason)s") % {"person": person, "reason": message}
                    for message in validation_messages(error)
                ]
            ) from error
        except StateChanged:
            raise ValidationError(
                _("%(person)s: not done, the registration changed in the meantime.")
                % {"person": person}
            ) from None
        except TransitionNotAllowed:
            raise ValidationError(
                _("%(person)s: not possible for a registration that is “%(state)s”.")
                % {"person": person, "state": registration.get_status_display()}
            ) from None

    return named


@require_POST
def remove(request: HttpRequest, registration_pk: int) -> HttpResponse:
    activity_id = get_object_or_404(
        Registration.objects.values_list("activity_id", flat=True), pk=registration_pk
    )
    activity = selectors.activity_get_for_manager(
        activity_id=activity_id, user=request.user, request=request
    )
    registration = get_object_or_404(
        selectors.registration_list_for_activity(activity=activity, user=request.user),
        pk=registration_pk,
    )
    form = ReasonForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.registration_remove(
                registration_id=registration.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_status=expected_status(request),
            ),
            success=_("%(person)s was removed from the activity.")
            % {"person": registration.person},
            target=registration,
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(
                    request,
                    _("%(person)s: %(reason)s") % {"person": registration.person, "reason": error},
                )
    return redirect("activities:registrations", pk=activity.pk)


# --- export --------------------------------------------------------------------------------


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


class _Export:
    """The export's table: who, their state and times, then one column per question any
    registration answered (in the order they first appear)."""

    def __init__(self, registrations: Iterable[Registration]) -> None:
        self.registrations = list(registrations)
        # Sorted: PostgreSQL's jsonb keeps no order of its keys, so first-seen order would differ
        # between the databases.
        self.questions = sorted({k for r in self.registrations for k in r.answers})

    def header(self) -> list[str]:
        return [
            _("Name"),
            _("Username"),
            _("Email"),
            _("Status"),
            _("Registered at"),
            _("Checked in at"),
            _("Checked out at"),
            *self.questions,
        ]

    def rows(self) -> Iterator[list[str | datetime.datetime | None]]:
        """Per registration: its texts, its times (local) and its answers."""
        for registration in self.registrations:
            person = registration.person
            yield [
                str(person),
                person.username,
                person.email,
                str(registration.get_status_display()),
                _local(registration.created_at),
                _local(registration.checked_in_at),
                _local(registration.checked_out_at),
                *(str(registration.answers.get(q, "")) for q in self.questions),
            ]


def registration_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404
    activity = selectors.activity_get_for_manager(
        activity_id=pk, user=request.user, request=request
    )
    registrations = selectors.registration_list_for_activity(
        activity=activity, user=request.user, status=_status_filter(request)
    )
    ok, _done = run_service(
        request,
        lambda: services.registrations_exported(
            activity=activity, actor=request.user, fmt=fmt, count=registrations.count()
        ),
        target=activity,
    )
    if not ok:
        raise Http404
    export = _Export(registrations)
    return exports.spreadsheet_response(
        fmt,
        [export.header(), *export.rows()],
        filename=f"registrations-{activity.pk}",
        sheet_title=_("Registrations"),
    )


# --- check-in at the door -------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "") or bool(
        request.headers.get("X-Requested-With")
    )


def _ticket_token(raw: str) -> str:
    """The token a scanned QR payload signs, or the typed code without its spaces."""
    if len(raw) <= TICKET_PAYLOAD_MAX:
        try:
            token = signing.loads(raw, salt=TICKET_SALT)
        except signing.BadSignature:
            token = None
        if isinstance(token, str):
            return token
    return "".join(raw.split())


def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_manager(
        activity_id=pk, user=request.user, request=request
    )
    result = None
    if request.method == "POST":
        result = _check_in_one(request, activity)
        if _wants_json(request):
            return JsonResponse(result, status=400 if result["code"] == "invalid" else 200)
    return render(
        request,
        "activities/registrations/check_in.html",
        {
            "activity": activity,
            "form": CheckInForm(),
            "result": result,
            "mode": "out" if request.POST.get("mode") == "out" else "in",
        },
    )


def _check_in_one(request: HttpRequest, activity: Activity) -> dict[str, Any]:
    """Admit one ticket; the answer the door shows: {ok, message, name, code}."""
    form = CheckInForm({"ticket": _ticket_token(request.POST.get("ticket", ""))})
    if not form.is_valid():
        return {"ok": False, "message": str(CHECK_IN_INVALID), "name": "", "code": "invalid"}

    leaving = request.POST.get("mode") == "out"
    service = services.registration_check_out if leaving else services.registration_check_in

    def admit() -> Registration | services.CheckInRefusedError:
        try:
            return service(
                activity_id=activity.pk, actor=request.user, ticket=form.cleaned_data["ticket"]
            )
        except services.CheckInRefusedError as refusal:
            return refusal  # the door says why, not a message for later

    ok, outcome = run_service(request, admit, target=activity)
    if not ok:  # not allowed, or the registration changed at this moment: run_service said why
        text = " ".join(str(m) for m in messages.get_messages(request))
        return {"ok": False, "message": text, "name": "", "code": "refused"}
    if isinstance(outcome, services.CheckInRefusedError):
        return {
            "ok": False,
            "message": " ".join(validation_messages(outcome)),
            "name": "",
            "code": outcome.code,
        }
    name = str(outcome.person)
    done = _("%(name)s is checked out.") if leaving else _("%(name)s is checked in.")
    return {
        "ok": True,
        "message": done % {"name": name},
        "name": name,
        "code": "checked_out" if leaving else "checked_in",
    }
