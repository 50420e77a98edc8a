import datetime

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
from tests.conftest import fresh
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.agreements import services

from .helpers import countersign, send, sign


@pytest.fixture
def community(db):
    return CommunityFactory(name="清河社区")


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="阳光社区援助中心")


@pytest.fixture
def manager(community):
    user = UserFactory(username="manager")
    accounts_services.community_manager_add(community=community, user=user, actor=None)
    return fresh(user)


@pytest.fixture
def signer(organization):
    user = UserFactory(username="signer")
    accounts_services.organization_member_add(
        organization=organization, user=user, role=OrganizationMembership.Role.SIGNER, actor=None
    )
    return fresh(user)


@pytest.fixture
def org_admin(organization):
    user = UserFactory(username="orgadmin")
    accounts_services.organization_member_add(
        organization=organization, user=user, role=OrganizationMembership.Role.ADMIN, actor=None
    )
    return fresh(user)


@pytest.fixture
def other_signer(db):
    other = OrganizationFactory(name="Other Aid")
    user = UserFactory(username="othersigner")
    accounts_services.organization_member_add(
        organization=other, user=user, role=OrganizationMembership.Role.SIGNER, actor=None
    )
    return fresh(user)


@pytest.fixture
def draft(manager, community, organization):
    today = timezone.localdate()
    return services.agreement_create(
        actor=manager,
        community=community,
        organization=organization,
        title="2026 年课后辅导帮扶协议",
        scope="为社区留守儿童提供每周三次课后辅导。",
        terms="第一条 甲方提供活动场地。\n第二条 乙方派出志愿者并记录服务时长。",
        effective_date=today,
        end_date=today + datetime.timedelta(days=365),
        language="zh-hans",
    )


@pytest.fixture
def sent(draft, manager):
    return send(draft, manager)


@pytest.fixture
def org_signed(sent, signer, password):
    return sign(sent, signer, password)


@pytest.fixture
def active(org_signed, manager, password, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return countersign(org_signed, manager, password)
