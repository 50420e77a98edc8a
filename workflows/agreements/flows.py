"""The two flows of an aid agreement, as their BPMN diagrams read.

Signing:      send → sign (organization signers) ─┬─ declined → end
                                                  └─ signed → countersign (community managers) → end
Termination:  request → decide (approvers who are not a party) → end

Signatures, declines and decisions are domain transitions made by services inside the task's
completion (same lock, same transaction); the gateway routes on the state they left. A
withdrawal cancels the open signing process.
"""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from accounts.models import Community, Organization
from workflows.inbox.base import AccordFlow, TaskNode

from . import permissions, views
from .models import AgreementProcess, AidAgreement, TerminationProcess, TerminationRequest

Status = AidAgreement.Status


def _agreement(task: Any) -> AidAgreement:
    return task.process.coerced.agreement


def _can_sign_task(task: Any, user: Any) -> bool:
    return permissions.can_sign(_agreement(task), user)


def _can_countersign_task(task: Any, user: Any) -> bool:
    return permissions.can_countersign(_agreement(task), user)


def _can_decide_task(task: Any, user: Any) -> bool:
    return permissions.can_decide_termination(task.process.coerced.termination_request, user)


def _objects_with_perm(user: Any, perm: str, model: type) -> Any:
    from guardian.shortcuts import get_objects_for_user

    return get_objects_for_user(user, perm, klass=model, accept_global_perms=False).values("pk")


class AgreementFlow(AccordFlow):
    process_class = AgreementProcess
    process_title = _("Aid agreement signing")
    process_description = _("The organization signs, then the community countersigns.")
    subject_relation = "process__agreementprocess__agreement"
    subject_related = ("organization", "community")

    start = flow.StartHandle(this.start_process).Next(this.sign)

    sign = (
        TaskNode(views.SignTaskView.as_view(), policy=_can_sign_task)
        .Annotation(title=_("Review and sign the aid agreement"))
        .Next(this.route_signature)
    )

    route_signature = flow.If(this.organization_signed).Then(this.countersign).Else(this.end)

    countersign = (
        TaskNode(views.CountersignTaskView.as_view(), policy=_can_countersign_task)
        .Annotation(title=_("Countersign the aid agreement"))
        .Next(this.end)
    )

    end = flow.End()

    def start_process(self, activation: Any, *, agreement: AidAgreement) -> Any:
        activation.process.agreement = agreement
        return activation.process

    def organization_signed(self, activation: Any) -> bool:
        # Read afresh: the signature was saved by a service on another instance of the row.
        return AidAgreement.objects.filter(
            pk=activation.process.agreement_id, status=Status.PENDING_COMMUNITY_SIGNATURE
        ).exists()

    def subject_of(self, process: Any) -> AidAgreement:
        return process.coerced.agreement

    def claimable_q(self, user: Any) -> Q:
        signer_of = _objects_with_perm(user, "accounts.sign_for_organization", Organization)
        manager_of = _objects_with_perm(user, "accounts.manage_community", Community)
        return (
            Q(flow_task=AgreementFlow.sign)
            & Q(process__agreementprocess__agreement__organization__in=signer_of)
        ) | (
            Q(flow_task=AgreementFlow.countersign)
            & Q(process__agreementprocess__agreement__community__in=manager_of)
        )


class TerminationFlow(AccordFlow):
    process_class = TerminationProcess
    process_title = _("Aid agreement termination")
    process_description = _("A party asks to end an active agreement; an approver decides.")
    subject_relation = "process__terminationprocess__termination_request__agreement"
    subject_related = ("organization", "community")

    start = flow.StartHandle(this.start_process).Next(this.decide)

    decide = (
        TaskNode(views.DecideTerminationTaskView.as_view(), policy=_can_decide_task)
        .Annotation(title=_("Decide the termination request"))
        .Permission(permissions.DECIDE_TERMINATION)
        .Next(this.end)
    )

    end = flow.End()

    def start_process(self, activation: Any, *, termination_request: TerminationRequest) -> Any:
        activation.process.termination_request = termination_request
        return activation.process

    def subject_of(self, process: Any) -> Any:
        return process.coerced.termination_request

    def claimable_q(self, user: Any) -> Q:
        if not permissions.is_approver(user):
            return Q(pk__in=[])
        # Approvers who belong to either party do not decide.
        member_of = _objects_with_perm(user, "accounts.view_organization", Organization)
        manager_of = _objects_with_perm(user, "accounts.manage_community", Community)
        path = "process__terminationprocess__termination_request__agreement__"
        return Q(flow_task=TerminationFlow.decide) & ~(
            Q(**{f"{path}organization__in": member_of}) | Q(**{f"{path}community__in": manager_of})
        )
