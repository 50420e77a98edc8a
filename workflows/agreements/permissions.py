"""Who may act on an aid agreement: one policy function per action.

They answer "who" only; whether the agreement's state allows the action is the state
machine's answer (the transitions carry these functions as `permission=`, so
`get_available_user_status_transitions` combines both for the buttons). Party rules come from
`accounts.permissions`: signing for an organization is for its signers, acting for a community
for its managers, whatever global rights (superuser, approver) a person has. Deciding
terminations is the approvers' platform right, withheld from members of either party.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import (
    has_platform_right,
    is_community_manager,
    is_org_member,
    is_org_signer,
    speaks_for_organization,
)
from accounts.selectors import resident_community
from workflows.inbox.selectors import subjects_escalated_to, task_escalated_to

if TYPE_CHECKING:
    from accounts.models import Community, User

    from .models import AidAgreement, TerminationRequest

DECIDE_TERMINATION = "agreements.decide_termination"

# What a community shows its residents: agreements that were signed, in force or past; never
# drafts, agreements waiting for a signature, declined or withdrawn ones.
RESIDENT_STATUSES = ("active", "termination_requested", "expired", "terminated")


def is_approver(user: User) -> bool:
    """Approvers see every agreement once it is sent, and decide terminations."""
    return has_platform_right(user, DECIDE_TERMINATION)


def sees_internal_events(user: User) -> bool:
    """Client addresses and task bookkeeping on a timeline are for the approvers."""
    return is_approver(user)


def can_view(agreement: AidAgreement, user: User) -> bool:
    """A draft is its community's alone; once sent, the organization and approvers see it,
    and so does the escalation group an overdue signature or termination decision about it
    was escalated to."""
    return is_community_manager(agreement.community, user) or (
        agreement.is_sent
        and (
            is_org_member(agreement.organization, user)
            or is_approver(user)
            or _escalated_to(agreement, user)
        )
    )


def can_view_as_resident(agreement: AidAgreement, user: User) -> bool:
    """A resident whose residency a manager of the agreement's community confirmed reads the
    community's signed agreements (the paper's "view"): read-only, without its internals."""
    if agreement.status not in RESIDENT_STATUSES:
        return False
    community = resident_community(user=user, confirmed=True)
    return community is not None and community.pk == agreement.community_id


def _escalated_to(agreement: AidAgreement, user: User) -> bool:
    """An overdue signature of the agreement, or a decision on its termination, was escalated
    to a group `user` belongs to (they follow it up or decide it: `subjects_escalated_to`)."""
    own = type(agreement).objects.filter(
        pk=agreement.pk, pk__in=subjects_escalated_to(model=type(agreement), user=user)
    )
    terminations = agreement.termination_requests.filter(
        pk__in=subjects_escalated_to(model=agreement.termination_requests.model, user=user)
    )
    return own.exists() or terminations.exists()


def can_draft(community: Community, user: User) -> bool:
    return is_community_manager(community, user)


def can_edit(agreement: AidAgreement, user: User) -> bool:
    """The community's managers edit (a draft: see `AidAgreement.is_editable`)."""
    return is_community_manager(agreement.community, user)


def can_send(agreement: AidAgreement, user: User) -> bool:
    return is_community_manager(agreement.community, user)


def can_withdraw(agreement: AidAgreement, user: User) -> bool:
    """The initiator withdraws (the state machine allows it until the agreement is active)."""
    return agreement.initiator_id == user.pk and is_community_manager(agreement.community, user)


def can_sign(agreement: AidAgreement, user: User) -> bool:
    return is_org_signer(agreement.organization, user)


def can_decline(agreement: AidAgreement, user: User) -> bool:
    return can_sign(agreement, user)


def can_countersign(agreement: AidAgreement, user: User) -> bool:
    return is_community_manager(agreement.community, user)


def is_party(agreement: AidAgreement, user: User) -> bool:
    return speaks_for_organization(agreement.organization, user) or is_community_manager(
        agreement.community, user
    )


def can_request_termination(agreement: AidAgreement, user: User) -> bool:
    return is_party(agreement, user)


def can_decide_termination(request: TerminationRequest, user: User) -> bool:
    """Approvers decide, and so does the escalation group a decision overdue and unclaimed
    was offered to, unless they belong to either party of the agreement."""
    agreement = request.agreement
    return (
        (is_approver(user) or task_escalated_to(subject=request, user=user))
        and not is_org_member(agreement.organization, user)
        and not is_community_manager(agreement.community, user)
    )
