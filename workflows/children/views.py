"""The pages of children's records. Thin: a form, one selector or one service. A record's
page is audited as a read; lists never show the encrypted fields."""

import mimetypes

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

import audit.services as audit
from accounts.selectors import organizations_of
from workflows.inbox.exports import spreadsheet_response
from workflows.inbox.web import expected_status, organizations_or_404, run_service

from . import permissions, selectors, services
from .forms import (
    ChildRecordForm,
    FilterForm,
    TransferDecisionForm,
    TransferRequestForm,
    VisitForm,
)
from .models import ChildTransfer

PAGE_SIZE = 50


def _private(response: HttpResponse) -> HttpResponse:
    """A page with a child's data: kept out of every cache and every search engine."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def child_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = selectors.child_record_list_for_user(user=user)
    filters = FilterForm(
        request.GET or None, communities=selectors.communities_for_filter(records=visible)
    )
    community_id, search = None, ""
    if filters.is_valid():
        community = filters.cleaned_data["community"]
        community_id = community.pk if community else None
        search = filters.cleaned_data["q"].strip()
    records = selectors.child_record_list_for_user(
        user=user, community_id=community_id, search=search
    )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return _private(
        render(
            request,
            "children/list.html",
            {
                "page": page,
                "records": page.object_list,
                "filters": filters,
                "can_create": organizations_of(user=user).exists(),
                "export_organizations": selectors.organizations_administered(user=user),
            },
        )
    )


@sensitive_post_parameters()
def child_create(request: HttpRequest) -> HttpResponse:
    organizations = organizations_or_404(request)
    form = ChildRecordForm(
        request.POST or None,
        request.FILES or None,
        organizations=organizations,
        initial={"organization": organizations[0]},
    )
    if request.method == "POST" and form.is_valid():
        ok, record = run_service(
            request,
            lambda: services.child_record_create(
                actor=request.user,
                organization=form.cleaned_data["organization"],
                **form.service_fields(),
            ),
            success=_("The child record was saved."),
            form=form,
        )
        if ok:
            return redirect(record)
    return render(request, "children/form.html", {"form": form}, status=400 if form.errors else 200)


def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    record = selectors.child_record_get_for_user(record_id=pk, user=user, request=request)
    protected = selectors.child_record_read(record=record, user=user, request=request)
    can_edit = permissions.can_edit_record(record, user)
    can_request = permissions.can_request_transfer(record, user)
    return _private(
        render(
            request,
            "children/detail.html",
            {
                "record": record,
                "protected": protected,
                "can_edit": can_edit,
                "can_add_visit": permissions.can_add_visit(record, user),
                "visits": selectors.visit_list_for_record(record=record),
                "reads": (
                    selectors.child_record_reads(record=record)[:200]
                    if permissions.can_see_reads(record, user)
                    else None
                ),
                "transfers": selectors.transfer_list_for_record(record=record) if can_edit else (),
                "transfer_form": (
                    TransferRequestForm(targets=selectors.transfer_targets(record=record))
                    if can_request
                    else None
                ),
            },
        )
    )


@sensitive_post_parameters()
def child_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    record = selectors.child_record_get_for_editor(record_id=pk, user=user, request=request)
    # The form shows the encrypted fields in clear: a read, audited as one.
    protected = None
    if request.method != "POST":
        protected = selectors.child_record_read(
            record=record, user=user, request=request, page="edit"
        )
    form = ChildRecordForm(
        request.POST or None, request.FILES or None, instance=record, protected=protected
    )
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.child_record_update(
                record_id=record.pk,
                actor=user,
                expected_updated_at=request.POST.get("version") or None,
                **form.service_fields(),
            ),
            success=_("Your changes were saved."),
            form=form,
            target=record,
        )
        if ok:
            return redirect(record)
    return _private(
        render(
            request,
            "children/form.html",
            {"form": form, "record": record},
            status=400 if form.errors else 200,
        )
    )


@sensitive_post_parameters()
def child_visit_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    record = selectors.child_record_get_for_editor(record_id=pk, user=user, request=request)
    if not permissions.can_add_visit(record, user):
        audit.record_denial(reason="forbidden", actor=user, target=record, request=request)
        raise Http404
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, _visit = run_service(
            request,
            lambda: services.visit_add(record_id=record.pk, actor=user, **form.cleaned_data),
            success=_("The visit was logged."),
            form=form,
            target=record,
        )
        if ok:
            return redirect(record)
    return render(
        request,
        "children/visit_form.html",
        {"form": form, "record": record},
        status=400 if form.errors else 200,
    )


def child_consent_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """The consent scan, for those who keep the record, as a download (audited as a read)."""
    user = request.user
    record = selectors.child_record_get_for_editor(record_id=pk, user=user, request=request)
    if not record.consent_scan:
        raise Http404
    audit.record(
        action="child_record.consent_downloaded",
        actor=user,
        target=record,
        payload={"organization_id": record.organization_id},
        request=request,
    )
    name = record.consent_scan.name
    response = FileResponse(
        record.consent_scan.open("rb"),
        as_attachment=True,
        filename=f"child-record-{record.pk}-consent{name[name.rfind('.') :]}",
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def child_export(request: HttpRequest, organization_id: int) -> HttpResponse:
    """The organization's records as CSV, for its admins (404 for anyone else, audited)."""
    organization = next(
        (
            o
            for o in selectors.organizations_administered(user=request.user)
            if o.pk == organization_id
        ),
        None,
    )
    if organization is None:
        audit.record_denial(reason="not_allowed", request=request)
        raise Http404
    records = services.child_records_export(organization=organization, actor=request.user)
    rows = [
        [
            _("Name"),
            _("Gender"),
            _("Date of birth"),
            _("Community"),
            _("School"),
            _("Guardian"),
            _("Guardian's contact"),
            _("Identity number"),
            _("Consent given by"),
            _("Consent given on"),
            _("Next visit due"),
        ]
    ]
    rows += [
        [
            r.name,
            r.get_gender_display(),
            r.birth_date,
            r.community.name if r.community else "",
            r.school,
            r.guardian_name,
            r.guardian_contact,
            r.id_number_masked,
            r.consent_given_by,
            r.consent_given_on,
            r.next_visit_due,
        ]
        for r in records
    ]
    return spreadsheet_response(
        "csv", rows, filename=f"child-records-{organization.pk}", sheet_title="children"
    )


@require_POST
def child_transfer_request(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    record = selectors.child_record_get_for_editor(record_id=pk, user=user, request=request)
    if not permissions.can_request_transfer(record, user):
        audit.record_denial(reason="forbidden", actor=user, target=record, request=request)
        raise Http404
    form = TransferRequestForm(request.POST, targets=selectors.transfer_targets(record=record))
    if form.is_valid():
        run_service(
            request,
            lambda: services.child_transfer_request(
                record_id=record.pk, actor=user, **form.cleaned_data
            ),
            success=_("The transfer was requested; a platform administrator decides."),
            target=record,
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(record)


def transfer_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ChildTransfer.Status.values:
        status = ""
    transfers = selectors.transfer_list_for_decider(user=request.user, status=status)
    page = Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "children/transfer_list.html",
        {
            "page": page,
            "transfers": page.object_list,
            "statuses": ChildTransfer.Status.choices,
            "status": status,
        },
    )


def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.transfer_get_for_decider(
        transfer_id=pk, user=request.user, request=request
    )
    form = TransferDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.child_transfer_decide(
                transfer_id=transfer.pk,
                actor=request.user,
                expected_status=expected_status(request),
                **form.cleaned_data,
            ),
            success=_("The decision was recorded."),
            form=form,
            target=transfer,
        )
        if ok:
            return redirect("children:transfer_detail", pk=transfer.pk)
    return render(
        request,
        "children/transfer_detail.html",
        {"transfer": transfer, "form": form},
        status=400 if form.errors else 200,
    )
