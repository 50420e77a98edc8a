"""Build donation projects for the donations tests: an organization with its staff and its
administrator, and a project in a given state made directly (the project's own review is
tested through its services and pages in test_projects.py)."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization, OrganizationMembership, User
from accounts.services import organization_member_add
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.donations.models import BudgetLine, DonationProject

_counter = itertools.count(1)


def member(organization: Organization, role: str = OrganizationMembership.Role.STAFF) -> User:
    user = UserFactory()
    organization_member_add(organization=organization, user=user, role=role, actor=None)
    return User.objects.get(pk=user.pk)


def org_with_people() -> tuple[Organization, User, User]:
    """(organization, staff, admin)."""
    organization = OrganizationFactory()
    return (
        organization,
        member(organization, OrganizationMembership.Role.STAFF),
        member(organization, OrganizationMembership.Role.ADMIN),
    )


def project_fields(**overrides) -> dict:
    today = timezone.localdate()
    n = next(_counter)
    fields = {
        "title": f"冬季助学捐赠 {n}",
        "purpose": "为社区困难家庭的孩子购买冬衣和学习用品。",
        "target_amount": Decimal("10000.00"),
        "starts_on": today - datetime.timedelta(days=3),
        "ends_on": today + datetime.timedelta(days=30),
        "contact": "王老师 13800000000",
        "community": overrides.pop("community", None) or CommunityFactory(),
    }
    fields.update(overrides)
    return fields


BUDGET = (("冬衣", Decimal("6000.00")), ("学习用品", Decimal("4000.00")))


def project_in(
    status: str = DonationProject.Status.OPEN,
    *,
    organization: Organization | None = None,
    created_by: User | None = None,
    budget=BUDGET,
    **overrides,
) -> DonationProject:
    """A project in `status`, with its budget lines, made directly (no review process)."""
    if organization is None:
        organization, created_by, _admin = org_with_people()
    created_by = created_by or member(organization)
    project = DonationProject.objects.create(
        organization=organization,
        created_by=created_by,
        status=status,
        **project_fields(**overrides),
    )
    for position, (category, amount) in enumerate(budget):
        BudgetLine.objects.create(
            project=project, category=category, amount=amount, position=position
        )
    return project
