import datetime
import itertools

import pytest
from django.utils import timezone

from accounts.models import OrganizationMembership, User
from accounts.services import (
    community_manager_add,
    organization_member_add,
    residency_choose,
    residency_confirm,
)
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.announcements import services
from workflows.announcements.models import Announcement

_counter = itertools.count(1)
Audience = Announcement.Audience


def fields(**overrides) -> dict:
    n = next(_counter)
    values = {
        "title": f"社区通知 {n}",
        "body": f"本周六上午 **九点** 开始清洁活动 {n}。",
        "audience": Audience.EVERYONE,
        "community": None,
        "pinned": False,
        "publish_at": None,
        "expires_at": None,
    }
    values.update(overrides)
    return values


def draft(writer: User, **overrides) -> Announcement:
    return services.announcement_create(actor=writer, **fields(**overrides))


def published(writer: User, **overrides) -> Announcement:
    announcement = draft(writer, **overrides)
    return services.announcement_publish(announcement_id=announcement.pk, actor=writer)


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def later(**delta) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


@pytest.fixture
def writer(approver) -> User:
    return approver


@pytest.fixture
def community(db):
    return CommunityFactory()


@pytest.fixture
def other_community(db):
    return CommunityFactory()


@pytest.fixture
def manager(community) -> User:
    person = UserFactory()
    community_manager_add(community=community, user=person, actor=None)
    return User.objects.get(pk=person.pk)


@pytest.fixture
def resident(community, manager) -> User:
    person = UserFactory()
    residency = residency_choose(user=person, community=community)
    residency_confirm(residency_id=residency.pk, actor=manager)
    return User.objects.get(pk=person.pk)


@pytest.fixture
def org_member(db) -> User:
    person = UserFactory()
    organization_member_add(
        organization=OrganizationFactory(),
        user=person,
        role=OrganizationMembership.Role.STAFF,
        actor=None,
    )
    return User.objects.get(pk=person.pk)
