"""One policy function per action on an aid agreement.

Transition policies answer "may this person take this action on this agreement?"; whether the
agreement's state allows it is the state machine's answer (the transitions carry these
functions as `permission=`, so `get_available_user_status_transitions` combines both for
templates).

Rights come from django-guardian object permissions held by the parties' groups: signing for an
organization needs `accounts.sign_for_organization` on that organization, acting for a community
needs `accounts.manage_community` on that community. A global permission never stands in for
them. Deciding terminations is the approvers' global right, withheld from members of either
party.
"""

from accounts.models import Community, Organization, User

from .models import AidAgreement, TerminationRequest

Status = AidAgreement.Status
DECIDE_TERMINATION = "agreements.decide_termination"


def _obj_perm(user: User, perm: str, obj: object) -> bool:
    # guardian's backend answers object permissions; ModelBackend adds nothing for an object.
    return user.is_authenticated and user.is_active and user.has_perm(perm, obj)


def is_org_signer(organization: Organization, user: User) -> bool:
    return _obj_perm(user, "accounts.sign_for_organization", organization)


def is_org_admin(organization: Organization, user: User) -> bool:
    return _obj_perm(user, "accounts.manage_organization_members", organization)


def is_org_member(organization: Organization, user: User) -> bool:
    return _obj_perm(user, "accounts.view_organization", organization)


def is_community_manager(community: Community, user: User) -> bool:
    return _obj_perm(user, "accounts.manage_community", community)


def is_approver(user: User) -> bool:
    return user.is_authenticated and user.has_perm(DECIDE_TERMINATION)


def can_view(agreement: AidAgreement, user: User) -> bool:
    return (
        is_approver(user)
        or is_community_manager(agreement.community, user)
        or (agreement.status != Status.DRAFT and is_org_member(agreement.organization, user))
    )


def can_draft(community: Community, user: User) -> bool:
    return is_community_manager(community, user)


def can_edit(agreement: AidAgreement, user: User) -> bool:
    return agreement.status == Status.DRAFT and is_community_manager(agreement.community, user)


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
    return (
        is_org_admin(agreement.organization, user)
        or is_org_signer(agreement.organization, user)
        or is_community_manager(agreement.community, user)
    )


def can_request_termination(agreement: AidAgreement, user: User) -> bool:
    return is_party(agreement, user)


def can_decide_termination(request: TerminationRequest, user: User) -> bool:
    """Approvers decide, unless they belong to either party of the agreement."""
    agreement = request.agreement
    return (
        is_approver(user)
        and not is_org_member(agreement.organization, user)
        and not is_community_manager(agreement.community, user)
    )
