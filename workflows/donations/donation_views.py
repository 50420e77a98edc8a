"""Pages of donations and their receipts: the organization's list of a project's donations
(recording, confirming pledges, voiding), a resident's pledge and their own donations, and
the receipt's download. Thin: parse with a form, call one selector or one service (through
`run_service`), respond."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflows.inbox.web import expected_status, run_service

from . import permissions, services
from .forms.donations import ConfirmForm, DonationForm, PledgeForm, VoidForm
from .models import Donation, DonationProject
from .selectors import donations as selectors
from .selectors import projects as project_selectors
from .selectors.totals import project_received

Status = Donation.Status
PAGE_SIZE = 100
MY_PAGE_SIZE = 50


def _status_filter(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in Status.values else ""


def _form_messages(request: HttpRequest, form, donation: Donation) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(
                request, _("%(donation)s: %(reason)s") % {"donation": donation, "reason": error}
            )


# --- the organization's and the approvers' pages -------------------------------------------


def donation_list(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.donation_project_get_internal(
        project_id=pk, user=request.user, request=request
    )
    status = _status_filter(request)
    is_open = project.status == DonationProject.Status.OPEN
    manages = permissions.can_manage(project, request.user)
    # Who voids is the same for every donation of the project: asked once for the page.
    administers = permissions.can_void_donation(Donation(project=project), request.user)
    donations = selectors.donation_list_for_project(
        project=project, user=request.user, status=status
    )
    page = Paginator(donations, PAGE_SIZE).get_page(request.GET.get("page"))
    pledges = []
    if manages:
        pledges = [
            {
                "donation": donation,
                "confirm_form": ConfirmForm(auto_id=f"confirm-{donation.pk}-%s")
                if is_open
                else None,
            }
            for donation in selectors.donation_list_for_project(
                project=project, user=request.user, status=Status.PLEDGED
            ).order_by("created_at", "pk")[:PAGE_SIZE]
        ]
    rows = [
        {
            "donation": donation,
            # The person's rights were read once for the page; the state decides per row.
            "can_void": administers and donation.status == Status.CONFIRMED,
            "can_withdraw": manages and donation.status == Status.PLEDGED,
        }
        for donation in page.object_list
    ]
    return render(
        request,
        "donations/donation_list.html",
        {
            "project": project,
            "page": page,
            "rows": rows,
            "pledges": pledges,
            "status": status,
            "statuses": Status.choices,
            "can_record": manages and is_open,
            "received": project_received(project_id=project.pk),
        },
    )


def donation_record(request: HttpRequest, pk: int) -> HttpResponse:
    project = project_selectors.project_get_for_manager(
        project_id=pk, user=request.user, request=request
    )
    form = DonationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, donation = run_service(
            request,
            lambda: services.donation_record(
                actor=request.user, project_id=project.pk, **form.cleaned_data
            ),
            form=form,
            target=project,
        )
        if ok:
            messages.success(
                request,
                _("Donation of ¥%(amount)s recorded: receipt %(number)s.")
                % {"amount": donation.amount, "number": donation.receipt_number},
            )
            return redirect("donations:donation_list", pk=project.pk)
    return render(
        request,
        "donations/donation_form.html",
        {
            "project": project,
            "form": form,
            "is_open": project.status == DonationProject.Status.OPEN,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def donation_confirm(request: HttpRequest, donation_pk: int) -> HttpResponse:
    donation = selectors.donation_get_for_user(
        donation_id=donation_pk, user=request.user, request=request
    )
    form = ConfirmForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.donation_confirm(
                donation_id=donation.pk,
                actor=request.user,
                received_on=form.cleaned_data["received_on"],
                reference=form.cleaned_data["reference"],
                expected_status=expected_status(request),
            ),
            success=_("Donation of ¥%(amount)s confirmed as received.")
            % {"amount": donation.amount},
            target=donation,
        )
    else:
        _form_messages(request, form, donation)
    return redirect("donations:donation_list", pk=donation.project_id)


def donation_void(request: HttpRequest, donation_pk: int) -> HttpResponse:
    donation = selectors.donation_get_for_admin(
        donation_id=donation_pk, user=request.user, request=request
    )
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.donation_void(
                donation_id=donation.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_status=expected_status(request),
            ),
            success=_("The donation was voided."),
            form=form,
            target=donation,
        )
        if ok:
            return redirect("donations:donation_list", pk=donation.project_id)
    return render(
        request,
        "donations/donation_void_form.html",
        {"donation": donation, "project": donation.project, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- residents -------------------------------------------------------------------------------


def pledge(request: HttpRequest, pk: int) -> HttpResponse:
    """A signed-in person's pledge to a public project (visitors are sent to log in first)."""
    project = selectors.donation_project_get_public(project_id=pk)
    is_open = project.status == DonationProject.Status.OPEN
    form = PledgeForm(request.POST or None, questions=project.questions)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.donation_pledge(
                actor=request.user,
                project_id=project.pk,
                amount=form.cleaned_data["amount"],
                anonymous=not form.cleaned_data["named_publicly"],
                answers=form.answers(),
            ),
            success=_(
                "Thank you! Your pledge is recorded; the organization confirms it once the "
                "money has arrived, and your receipt follows."
            ),
            form=form,
            target=project,
        )
        if ok:
            return redirect("donations:mine")
    return render(
        request,
        "donations/pledge_form.html",
        {"project": project, "form": form, "is_open": is_open},
        status=400 if request.method == "POST" else 200,
    )


def my_donations(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.pledges_of(user=request.user), MY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "donations/pledge_my_donations.html", {"page": page})


@require_POST
def pledge_withdraw(request: HttpRequest, donation_pk: int) -> HttpResponse:
    donation = selectors.donation_get_for_user(
        donation_id=donation_pk, user=request.user, request=request
    )
    run_service(
        request,
        lambda: services.pledge_withdraw(
            donation_id=donation.pk,
            actor=request.user,
            expected_status=expected_status(request),
        ),
        success=_("The pledge was withdrawn."),
        target=donation,
    )
    if request.POST.get("back") == "list":
        return redirect("donations:donation_list", pk=donation.project_id)
    return redirect("donations:mine")


def receipt(request: HttpRequest, donation_pk: int) -> FileResponse:
    """The signed receipt, for its organization, the approvers and the pledger (404 for
    anyone else, audited; 404 too while it is not issued yet)."""
    donation = selectors.donation_get_for_user(
        donation_id=donation_pk, user=request.user, request=request
    )
    if donation.receipt is None:
        raise Http404
    response = FileResponse(
        donation.receipt.file.open("rb"),
        as_attachment=True,
        filename=f"receipt-{donation.receipt_number or donation.pk}.pdf",
        content_type="application/pdf",
    )
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response
