"""Who edits a public page and who decides on residents: the party rules of accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import is_community_manager, is_org_admin

if TYPE_CHECKING:
    from accounts.models import Community, Organization, User


def can_edit_community_page(community: Community, user: User) -> bool:
    """The community's managers keep its public page (membership: not a superuser as such)."""
    return is_community_manager(community, user)


def can_manage_residents(community: Community, user: User) -> bool:
    """The community's managers confirm and remove its residents."""
    return is_community_manager(community, user)


def can_edit_organization_profile(organization: Organization, user: User) -> bool:
    """The organization's admins keep its public profile in the directory."""
    return is_org_admin(organization, user)
