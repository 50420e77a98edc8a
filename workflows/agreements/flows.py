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

from accounts.models import Community, Organization
from accounts.selectors import (
    community_managers,
    objects_with_perm,
    organization_signers,
    user_list_approvers,
)
from workflows.inbox.base import AccordFlow, End, If, TaskNode, start_node
from workflows.inbox.deadlines import Due
from workflows.inbox.selectors import escalated_q

from . import permissions, task_views
from .models import AgreementProcess, AidAgreement, TerminationProcess

Status = AidAgreement.Status


class AgreementFlow(AccordFlow):
    process_class = AgreementProcess
    process_title = _("Aid agreement signing")
    process_description = _("The organization signs, then the community countersigns.")
    subject_field = "agreement"
    subject_related = ("organization", "community")
    url_prefix = "agreements"
    search_fields = ("title", "organization__name", "community__name")
    organization_field = "organization"
    community_field = "community"

    start = start_node().Next(this.sign)

    sign = (
        TaskNode(
            task_views.SignTaskView.as_view(),
            policy=permissions.can_sign,
            personal=True,
            due=Due(14),
            candidates=lambda agreement: organization_signers(organization=agreement.organization),
        )
        .Annotation(title=_("Review and sign the aid agreement"))
        .Next(this.route_signature)
    )

    route_signature = If(this.organization_signed).Then(this.countersign).Else(this.end)

    countersign = (
        TaskNode(
            task_views.CountersignTaskView.as_view(),
            policy=permissions.can_countersign,
            personal=True,
            due=Due(14),
            candidates=lambda agreement: community_managers(community=agreement.community),
        )
        .Annotation(title=_("Countersign the aid agreement"))
        .Next(this.end)
    )

    end = End()

    def organization_signed(self, activation: Any) -> bool:
        # Read afresh: the signature was saved by a service on another instance of the row.
        return AidAgreement.objects.filter(
            pk=activation.process.agreement_id, status=Status.PENDING_COMMUNITY_SIGNATURE
        ).exists()

    def claimable_q(self, user: Any) -> Q:
        signer_of = objects_with_perm(
            user=user, perm="accounts.sign_for_organization", model=Organization
        ).values("pk")
        manager_of = objects_with_perm(
            user=user, perm="accounts.manage_community", model=Community
        ).values("pk")
        path = "process__agreementprocess__agreement__"
        return (Q(flow_task=AgreementFlow.sign) & Q(**{f"{path}organization__in": signer_of})) | (
            Q(flow_task=AgreementFlow.countersign) & Q(**{f"{path}community__in": manager_of})
        )


class TerminationFlow(AccordFlow):
    process_class = TerminationProcess
    process_title = _("Aid agreement termination")
    process_description = _("A party asks to end an active agreement; an approver decides.")
    subject_field = "termination_request"
    subject_related = ("agreement__organization", "agreement__community")
    url_prefix = "termination"
    search_fields = ("agreement__title", "agreement__organization__name", "reason")
    organization_field = "agreement__organization"
    community_field = "agreement__community"

    start = start_node().Next(this.decide)

    decide = (
        TaskNode(
            task_views.DecideTerminationTaskView.as_view(),
            policy=permissions.can_decide_termination,
            approver_task=True,
            due=Due(7),
            candidates=lambda termination: user_list_approvers(),
        )
        .Annotation(title=_("Decide the termination request"))
        .Next(this.end)
    )

    end = End()

    def claimable_q(self, user: Any) -> Q:
        # Approvers decide any request; the escalation group those offered to it.
        role = Q() if permissions.is_approver(user) else escalated_q(user)
        # Nobody who belongs to either party decides.
        member_of = objects_with_perm(
            user=user, perm="accounts.view_organization", model=Organization
        ).values("pk")
        manager_of = objects_with_perm(
            user=user, perm="accounts.manage_community", model=Community
        ).values("pk")
        path = "process__terminationprocess__termination_request__agreement__"
        return (
            role
            & Q(flow_task=TerminationFlow.decide)
            & ~(
                Q(**{f"{path}organization__in": member_of})
                | Q(**{f"{path}community__in": manager_of})
            )
        )
