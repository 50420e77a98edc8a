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
        return selectors.agreement_timeline_for_user(agreement=self.subject, user=self.request.user)

    # What the signing service of the page is, and what it says when it has signed.
    sign_service: Any = None
    signed_message: Any = ""

    def other_forms(self) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, sign_form=SignForm(), **self.other_forms())

    def sign(self, request: HttpRequest) -> HttpResponse:
        """Confirm the password on its own first, so that a refusal stays in the audit log
        (the task completion would roll it back), then sign and complete: the service gets the
        confirmation to sign with, so the password is hashed once."""
        agreement: AidAgreement = self.subject
        form = SignForm(request.POST)
        if form.is_valid():
            ok, confirmation = run_service(
                request,
                lambda: signer_password_check(
                    user=request.user, password=form.cleaned_data["password"], target=agreement
                ),
                form=form,
            )
            if ok and self.complete(
                request,
                lambda: self.sign_service(
                    agreement_id=agreement.pk, actor=request.user, password=confirmation
                ),
                success=self.signed_message,
                form=form,
            ):
                return redirect(agreement)
        if form.is_bound and not form.errors:
            return redirect(agreement)
        return self.render_task(request, sign_form=form, **self.other_forms())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.sign(request)


class SignTaskView(_AgreementTaskView):
    template_name = "agreements/sign_task.html"
    sign_service = staticmethod(services.agreement_sign)
    signed_message = _("You signed the agreement for your organization.")

    def other_forms(self) -> dict[str, Any]:
        return {"decline_form": DeclineForm()}

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if "decline" not in request.POST:
            return self.sign(request)
        agreement: AidAgreement = self.subject
        form = DeclineForm(request.POST)
        if form.is_valid() and self.complete(
            request,
            lambda: services.agreement_decline(
                agreement_id=agreement.pk, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            success=_("You declined the agreement."),
            form=form,
        ):
            return redirect(agreement)
        return self.render_task(request, sign_form=SignForm(), decline_form=form)


class CountersignTaskView(_AgreementTaskView):
    template_name = "agreements/countersign_task.html"
    sign_service = staticmethod(services.agreement_countersign)
    signed_message = _("You countersigned the agreement: it is active.")


class DecideTerminationTaskView(TaskPageView):
    template_name = "agreements/decide_termination_task.html"
    subject_name = "termination"

    def timeline(self) -> Any:
        return selectors.agreement_timeline_for_user(
            agreement=self.subject.agreement, user=self.request.user
        )

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
