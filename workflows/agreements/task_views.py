"""The agreement tasks' pages: signing, countersigning, deciding a termination. Each
completes its task around one service call, under the flow lock."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from signing.services import signer_password_check
from workflows.inbox.task_views import TaskPageView
from workflows.inbox.web import run_service

from . import selectors, services
from .forms import DeclineForm, SignForm, TerminationDecisionForm
from .models import AidAgreement


class _AgreementTaskView(TaskPageView):
    subject_name = "agreement"

    def timeline(self) -> Any:
        return selectors.agreement_timeline(agreement=self.subject)

    def sign_and_complete(
        self, request: HttpRequest, work: Any, *, success: Any, form: Any, password: str
    ) -> bool:
        """Confirm the password on its own first, so that a refusal stays in the audit log
        (the task completion would roll it back), then sign and complete: `work` gets the
        confirmation to sign with, so the password is hashed once."""
        ok, confirmation = run_service(
            request,
            lambda: signer_password_check(
                user=request.user, password=password, target=self.subject
            ),
            form=form,
        )
        return ok and self.complete(request, lambda: work(confirmation), success=success, form=form)


class SignTaskView(_AgreementTaskView):
    template_name = "agreements/sign_task.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, sign_form=SignForm(), decline_form=DeclineForm())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        agreement: AidAgreement = self.subject
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


class CountersignTaskView(_AgreementTaskView):
    template_name = "agreements/countersign_task.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, sign_form=SignForm())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        agreement: AidAgreement = self.subject
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


class DecideTerminationTaskView(TaskPageView):
    template_name = "agreements/decide_termination_task.html"
    subject_name = "termination"

    def timeline(self) -> Any:
        return selectors.agreement_timeline(agreement=self.subject.agreement)

    def render_task(self, request: HttpRequest, **context: Any) -> HttpResponse:
        return super().render_task(request, agreement=self.subject.agreement, **context)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, form=TerminationDecisionForm())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        termination = self.subject
        form = TerminationDecisionForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == TerminationDecisionForm.Decision.APPROVE
            service = services.termination_approve if approve else services.termination_reject
            message = (
                _("The termination was approved.")
                if approve
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
        return self.render_task(request, form=form)
