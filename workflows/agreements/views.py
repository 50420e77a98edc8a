"""Pages of the aid agreement. Thin: parse with a form, call one selector or service, respond."""

import io
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

import audit.services as audit
from accounts.selectors import communities_managed_by, resident_community
from documents.previews import PreviewError, page_png
from workflows.inbox.selectors import task_open_for, task_url_for
from workflows.inbox.web import expected_status, run_service

from . import pdfs, permissions, selectors, services
from .forms import AgreementForm, StatusFilterForm, TerminationRequestForm, WithdrawForm
from .models import AidAgreement

Status = AidAgreement.Status
PAGE_SIZE = 50


def agreement_list(request: HttpRequest) -> HttpResponse:
    form = StatusFilterForm(request.GET or None)
    status = search = ""
    if form.is_valid():
        status, search = form.cleaned_data["status"], form.cleaned_data["q"].strip()
    queryset = selectors.agreement_list_for_user(user=request.user, status=status, search=search)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "agreements/agreement_list.html",
        {
            "page": page,
            "agreements": page.object_list,
            "form": form,
            "can_draft": communities_managed_by(user=request.user).exists(),
            # A resident whose community is not confirmed yet learns why the list is empty.
            "awaiting_residency": _awaiting_residency(request.user),
        },
    )


def _awaiting_residency(user) -> bool:
    chosen = resident_community(user=user, confirmed=False)
    return chosen is not None and resident_community(user=user, confirmed=True) is None


def agreement_create(request: HttpRequest) -> HttpResponse:
    communities = communities_managed_by(user=request.user)
    if not communities.exists():
        audit.record_denial(reason="not_allowed")
        raise Http404
    form = AgreementForm(request.POST or None, request.FILES or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        ok, agreement = run_service(
            request,
            lambda: services.agreement_create(
                actor=request.user,
                attachments=tuple(form.cleaned_data["attachments"]),
                **form.service_fields(),
            ),
            success=_("The agreement was saved as a draft."),
            form=form,
        )
        if ok:
            return redirect(agreement)
    return render(request, "agreements/agreement_form.html", {"form": form})


def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    if not (permissions.can_edit(agreement, request.user) and agreement.is_editable):
        if not permissions.can_edit(agreement, request.user):  # no right, not a stale page
            audit.record_denial(reason="not_allowed", target=agreement)
        messages.warning(request, _("Only a draft can be edited, by its community's managers."))
        return redirect(agreement)
    form = AgreementForm(
        request.POST or None,
        request.FILES or None,
        instance=agreement,
        communities=communities_managed_by(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.agreement_update(
                agreement_id=agreement.pk,
                actor=request.user,
                attachments=tuple(form.cleaned_data["attachments"]),
                **form.service_fields(),
            ),
            success=_("Your changes were saved."),
            target=agreement,
            form=form,
        )
        if ok:
            return redirect(agreement)
    return render(request, "agreements/agreement_form.html", {"form": form, "agreement": agreement})


def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    return _render_detail(request, agreement)


def _render_detail(
    request: HttpRequest,
    agreement: AidAgreement,
    *,
    termination_form: TerminationRequestForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The agreement's page; a refused form comes back with what was typed and its errors."""
    user = request.user
    if not permissions.can_view(agreement, user):  # a resident of its community: read-only
        return _render_resident_detail(request, agreement)
    task = task_open_for(agreement)
    termination = selectors.termination_open_request(agreement=agreement)
    if task is None and termination is not None:
        task = task_open_for(termination)
    allowed = {t.name for t in agreement.get_available_user_status_transitions(user)}
    documents = selectors.agreement_documents(agreement=agreement)
    return render(
        request,
        "agreements/agreement_detail.html",
        {
            "agreement": agreement,
            "task": task,
            "task_url": task_url_for(task, user),
            "can_claim": task is not None
            and task.owner_id is None
            and task.flow_task.can_assign(user, task),
            "termination": termination,
            "can_edit": permissions.can_edit(agreement, user) and agreement.is_editable,
            "can_send": "send" in allowed,
            "can_preview": "send" in allowed,
            "can_withdraw": "withdraw" in allowed,
            "withdraw_form": withdraw_form or WithdrawForm(),
            "can_request_termination": "request_termination" in allowed,
            "termination_form": termination_form or TerminationRequestForm(),
            "current_documents": documents.current,
            "document_history": documents.history,
            "attachments": agreement.attachments.all(),
            "events": selectors.agreement_timeline_for_user(agreement=agreement, user=user),
        },
        status=status,
    )


def _get_as_party(request: HttpRequest, pk: int) -> AidAgreement:
    """The agreement for a page that acts on it or opens its internals: a resident who only
    reads it gets the same audited 404 as anyone it is hidden from."""
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    if not permissions.can_view(agreement, request.user):
        audit.record_denial(reason="not_allowed", target=agreement, request=request)
        raise Http404
    return agreement


def _render_resident_detail(request: HttpRequest, agreement: AidAgreement) -> HttpResponse:
    """What a community shows its residents: the parties, subject, period and status, the
    signed agreement and a termination notice; no action, no task, no earlier version, no
    attachment, and a timeline without the platform's internals."""
    documents = selectors.agreement_documents(agreement=agreement)
    return render(
        request,
        "agreements/agreement_detail_resident.html",
        {
            "agreement": agreement,
            "current_documents": [
                d for d in documents.current if d.kind in selectors.RESIDENT_DOCUMENT_KINDS
            ],
            "events": selectors.agreement_timeline_for_user(agreement=agreement, user=request.user),
        },
    )


@require_POST
def agreement_send(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _get_as_party(request, pk)
    run_service(
        request,
        lambda: services.agreement_send(
            agreement_id=agreement.pk,
            actor=request.user,
            expected_status=expected_status(request),
        ),
        success=_("The agreement was sent to the organization for signature."),
        target=agreement,
    )
    return redirect(agreement)


@require_POST
def agreement_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _get_as_party(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, agreement, withdraw_form=form, status=400)
    run_service(
        request,
        lambda: services.agreement_withdraw(
            agreement_id=agreement.pk,
            actor=request.user,
            expected_status=expected_status(request),
        ),
        success=_("The agreement was withdrawn."),
        target=agreement,
    )
    return redirect(agreement)


@require_POST
def termination_request(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _get_as_party(request, pk)
    form = TerminationRequestForm(request.POST)
    if form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.termination_request_create(
                agreement_id=agreement.pk,
                actor=request.user,
                expected_status=expected_status(request),
                **form.service_fields(),
            ),
            success=_("Your termination request was sent to the approvers."),
            target=agreement,
            form=form,
        )
        if ok or not form.errors:  # done, or refused with a message (stale state, no right)
            return redirect(agreement)
    return _render_detail(request, agreement, termination_form=form, status=400)


def agreement_document_page(
    request: HttpRequest, pk: int, document_pk: int, page: int
) -> HttpResponse:
    """A page of the agreement's current PDF as an image: the signer reads it in the page,
    on a phone too (where a PDF inside a page shows nothing). A version is immutable, so the
    browser may keep the image."""
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    document = agreement.document
    if document is None or document.pk != document_pk or not 1 <= page <= document.page_count:
        raise Http404
    with document.file.open("rb") as stored:
        try:
            image = page_png(stored.read(), page=page)
        except PreviewError:
            raise Http404 from None
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@csp_replace({"frame-ancestors": [SELF], "object-src": [SELF]})
@xframe_options_sameorigin
def agreement_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF a draft would be sent as, rendered on the fly and stored nowhere: for those who
    may send it, before they do."""
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    if not (permissions.can_send(agreement, request.user) and agreement.is_editable):
        if not permissions.can_send(agreement, request.user):
            audit.record_denial(reason="not_allowed", target=agreement, request=request)
        raise Http404
    pdf = pdfs.render_agreement_preview(agreement)
    return _inline_pdf(io.BytesIO(pdf), f"preview-{pdfs.agreement_number(agreement)}.pdf")


def _inline_pdf(stream: Any, filename: str) -> HttpResponse:
    response = FileResponse(
        stream, content_type="application/pdf", as_attachment=False, filename=filename
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    agreement = _get_as_party(request, pk)
    attachment = selectors.attachment_get(
        agreement=agreement, attachment_id=attachment_pk, user=request.user
    )
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.name,
    )
    response["Cache-Control"] = "private, no-store"
    return response
