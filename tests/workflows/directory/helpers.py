"""People and parties for the directory's pages."""

from accounts import services as accounts_services
from accounts.models import Community, Organization, OrganizationMembership, User
from tests.conftest import fresh
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory


def community_with_manager(**fields) -> tuple[Community, User]:
    community = CommunityFactory(**fields)
    manager = UserFactory(display_name=f"Manager of {community.name}")
    accounts_services.community_manager_add(community=community, user=manager, actor=None)
    return community, fresh(manager)


def organization_with_admin(**fields) -> tuple[Organization, User]:
    organization = OrganizationFactory(**fields)
    admin = UserFactory()
    accounts_services.organization_member_add(
        organization=organization,
        user=admin,
        role=OrganizationMembership.Role.ADMIN,
        actor=None,
    )
    return organization, fresh(admin)


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()
