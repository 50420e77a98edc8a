"""Pages of the aid agreement. Thin: parse with a form, call one selector or service, respond."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

import audit.services as audit
from accounts.selectors import get_visible_or_404
from audit.selectors import audit_event_list_for_target
from signing.services import signer_password_check
from workflows.inbox.task_views import TaskPageView
from workflows.inbox.web import run_service

from . import permissions, selectors, services
from .forms import (
    AgreementForm,
    DeclineForm,
    SignForm,
    StatusFilterForm,
    TerminationDecisionForm,
    TerminationRequestForm,
)
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
            "can_draft": selectors.communities_managed_by(request.user).exists(),
        },
    )


def _agreement_fields(form: AgreementForm) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k != "attachments"}


def agreement_create(request: HttpRequest) -> HttpResponse:
    communities = selectors.communities_managed_by(request.user)
    if not communities.exists():
        audit.record_denial(reason="not_allowed")
        raise Http404
    form = AgreementForm(request.POST or None, request.FILES or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        fields = _agreement_fields(form)
        ok, agreement = run_service(
            request,
            lambda: services.agreement_create(
                actor=request.user,
                attachments=tuple(form.cleaned_data["attachments"]),
                **fields,
            ),
            success=_("The agreement was saved as a draft."),
            form=form,
        )
        if ok:
            return redirect(agreement)
    return render(request, "agreements/agreement_form.html", {"form": form})


def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    if not permissions.can_edit(agreement, request.user):
        if not permissions.can_draft(agreement.community, request.user):  # no right, not stale
            audit.record_denial(reason="not_allowed", target=agreement)
        messages.warning(request, _("Only a draft can be edited, by its community's managers."))
        return redirect(agreement)
    form = AgreementForm(
        request.POST or None,
        request.FILES or None,
        instance=agreement,
        communities=selectors.communities_managed_by(request.user),
    )
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.agreement_update(
                agreement_id=agreement.pk,
                actor=request.user,
                attachments=tuple(form.cleaned_data["attachments"]),
                **_agreement_fields(form),
            ),
            success=_("Your changes were saved."),
            target=agreement,
            form=form,
        )
        if ok:
            return redirect(agreement)
    return render(request, "agreements/agreement_form.html", {"form": form, "agreement": agreement})


def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from documents.selectors import document_list_for_owner

    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    task = selectors.agreement_open_task(agreement=agreement)
    termination = selectors.termination_open_request(agreement=agreement)
    user = request.user
    allowed = {t.name for t in agreement.get_available_user_status_transitions(user)}
    return render(
        request,
        "agreements/agreement_detail.html",
        {
            "agreement": agreement,
            "task": task,
            "task_url": _task_url(task, user),
            "can_claim": task is not None
            and task.owner_id is None
            and task.flow_task.can_assign(user, task),
            "termination": termination,
            "can_edit": permissions.can_edit(agreement, user),
            "can_send": "send" in allowed,
            "can_withdraw": "withdraw" in allowed,
            "can_request_termination": "request_termination" in allowed,
            "termination_form": TerminationRequestForm(),
            "documents": document_list_for_owner(agreement),
            "notices": [
                r.notice
                for r in agreement.termination_requests.select_related("notice")
                if r.notice_id
            ],
            "attachments": agreement.attachments.all(),
            "events": audit_event_list_for_target(target=agreement),
        },
    )


def _task_url(task: Any, user: Any) -> str:
    if task is None or task.owner_id != user.pk:
        return ""
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


@require_POST
def agreement_send(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    run_service(
        request,
        lambda: services.agreement_send(agreement_id=agreement.pk, actor=request.user),
        success=_("The agreement was sent to the organization for signature."),
        target=agreement,
    )
    return redirect(agreement)


@require_POST
def agreement_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    run_service(
        request,
        lambda: services.agreement_withdraw(
            agreement_id=agreement.pk,
            actor=request.user,
            expected_status=request.POST.get("expected_status") or None,
        ),
        success=_("The agreement was withdrawn."),
        target=agreement,
    )
    return redirect(agreement)


@require_POST
def termination_request(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    form = TerminationRequestForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.termination_request_create(
                agreement_id=agreement.pk, actor=request.user, **form.cleaned_data
            ),
            success=_("Your termination request was sent to the approvers."),
            target=agreement,
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(agreement)


def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    agreement = selectors.agreement_get_for_user(agreement_id=pk, user=request.user)
    attachment = get_visible_or_404(agreement.attachments.all(), attachment_pk, user=request.user)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.name,
    )
    response["Cache-Control"] = "private, no-store"
    return response


class _TaskView(TaskPageView):
    flow_name = "AgreementFlow"

    def flow_class(self) -> Any:
        from . import flows

        return getattr(flows, self.flow_name)

    def subject_of(self, task: Any) -> AidAgreement:
        return task.process.coerced.agreement

    def agreement_of(self, task: Any) -> AidAgreement:
        return self.subject_of(task)

    def render_task(self, request: HttpRequest, **context: Any) -> HttpResponse:
        agreement = self.agreement_of(self.task)
        return render(
            request,
            self.template_name,
            {
                "task": self.task,
                "agreement": agreement,
                "events": audit_event_list_for_target(target=agreement),
                **context,
            },
        )

    def sign_and_complete(
        self, request: HttpRequest, work: Any, *, success: Any, form: Any, password: str
    ) -> bool:
        """Confirm the password on its own first, so that a refusal stays in the audit log
        (the task completion would roll it back), then sign and complete: `work` gets the
        confirmation to sign with, so the password is hashed once."""
        ok, confirmation = run_service(
            request,
            lambda: signer_password_check(
                user=request.user, password=password, target=self.agreement_of(self.task)
            ),
            form=form,
        )
        return ok and self.complete(request, lambda: work(confirmation), success=success, form=form)


class SignTaskView(_TaskView):
    template_name = "agreements/sign_task.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, sign_form=SignForm(), decline_form=DeclineForm())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        agreement = self.agreement_of(self.task)
        if "decline" in request.POST:
            form = DeclineForm(request.POST)
            if form.is_valid() and self.complete(
                request,
                lambda: services.agreement_decline(
                    agreement_id=agreement.pk,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                ),
                success=_("You declined the agreement."),
                form=form,
            ):
                return redirect(agreement)
            return self.render_task(request, sign_form=SignForm(), decline_form=form)
        form = SignForm(request.POST)
        if form.is_valid() and self.sign_and_complete(
            request,
            lambda confirmation: services.agreement_sign(
                agreement_id=agreement.pk, actor=request.user, password=confirmation
            ),
            success=_("You signed the agreement for your organization."),
            form=form,
            password=form.cleaned_data["password"],
        ):
            return redirect(agreement)
        if not form.errors:
            return redirect(agreement)
        return self.render_task(request, sign_form=form, decline_form=DeclineForm())


class CountersignTaskView(_TaskView):
    template_name = "agreements/countersign_task.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, sign_form=SignForm())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        agreement = self.agreement_of(self.task)
        form = SignForm(request.POST)
        if form.is_valid() and self.sign_and_complete(
            request,
            lambda confirmation: services.agreement_countersign(
                agreement_id=agreement.pk, actor=request.user, password=confirmation
            ),
            success=_("You countersigned the agreement: it is active."),
            form=form,
            password=form.cleaned_data["password"],
        ):
            return redirect(agreement)
        if not form.errors:
            return redirect(agreement)
        return self.render_task(request, sign_form=form)


class DecideTerminationTaskView(_TaskView):
    template_name = "agreements/decide_termination_task.html"
    flow_name = "TerminationFlow"

    def subject_of(self, task: Any) -> AidAgreement:
        return task.process.coerced.termination_request.agreement

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(
            request,
            form=TerminationDecisionForm(),
            termination=self.task.process.coerced.termination_request,
        )

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        termination = self.task.process.coerced.termination_request
        form = TerminationDecisionForm(request.POST)
        if form.is_valid():
            service = (
                services.termination_approve
                if form.cleaned_data["decision"] == "approve"
                else services.termination_reject
            )
            message = (
                _("The termination was approved.")
                if form.cleaned_data["decision"] == "approve"
                else _("The termination request was rejected.")
            )
            if (
                self.complete(
                    request,
                    lambda: service(
                        request_id=termination.pk,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    ),
                    success=message,
                    form=form,
                )
                or not form.errors
            ):
                return redirect("inbox:index")
        return self.render_task(request, form=form, termination=termination)
