"""The directory in a real browser, at a desktop's and a phone's width: a visitor without an
account finds a community and an organization; a resident chooses their community, and its
manager confirms them."""

import pytest

from accounts import services as accounts_services
from accounts.models import Residency
from tests.conftest import fresh
from tests.e2e.helpers import expect, log_in, log_out
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def directory(transactional_db):
    community = CommunityFactory(name="清河社区", district="海淀区", address="清河路 1 号")
    manager = UserFactory(username="manager", display_name="张主任")
    accounts_services.community_manager_add(community=community, user=manager, actor=None)
    accounts_services.community_update(
        community_id=community.pk,
        actor=fresh(manager),
        description="一个有三千户居民的社区，位于清河街道。" * 3,
        contact="张主任 010-12345678",
        area="清河街道一至三号院、毛纺北小区、安宁里社区东区",
    )
    organization = OrganizationFactory(name="阳光援助中心", service_area="海淀区全域")
    organization.communities_served.set([community])
    UserFactory(username="resident", display_name="王小明")
    return community


def test_a_visitor_browses_and_a_resident_is_confirmed_by_the_manager(directory, page, check_page):
    page.goto("/communities/")
    check_page("communities")
    page.get_by_role("link", name="清河社区").click()
    expect(page.locator("h1")).to_have_text("清河社区")
    check_page("community")

    page.goto("/organizations/")
    check_page("organizations")
    page.get_by_role("link", name="阳光援助中心").click()
    expect(page.locator("h1")).to_have_text("阳光援助中心")
    check_page("organization")

    log_in(page, "resident")
    page.goto("/accounts/profile/")
    page.get_by_label("My community").select_option(label="清河社区")
    page.get_by_role("button", name="Choose my community").click()
    expect(page.locator("#my-community")).to_contain_text("have not confirmed it yet")
    check_page("profile")
    log_out(page)

    log_in(page, "manager")
    page.goto(f"/communities/{directory.pk}/residents/")
    check_page("residents")
    page.locator("#pending").get_by_role("button", name="Confirm").click()
    expect(page.locator("#confirmed")).to_contain_text("王小明")
    assert Residency.objects.get().status == Residency.Status.CONFIRMED
