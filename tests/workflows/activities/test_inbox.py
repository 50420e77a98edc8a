import pytest
from django.urls import reverse

from tests.factories import UserFactory
from workflows.activities import services

from .helpers import published_activity

pytestmark = pytest.mark.django_db


def test_the_inbox_shows_one_line_per_activity_with_pending_registrations(client, approver):
    activity, staff = published_activity(approver, needs_review=True)
    quiet, _other_staff = published_activity(approver, needs_review=True)
    for _ in range(2):
        services.registration_create(activity_id=activity.pk, actor=UserFactory())
    client.force_login(staff)
    page = client.get(reverse("inbox:index")).content.decode()
    assert activity.title in page
    assert quiet.title not in page
    line = page[page.index(activity.title) - 300 : page.index(activity.title) + 300]
    assert '<span class="count">2</span>' in line
    assert reverse("activities:registrations", args=[activity.pk]) in page
    # Nothing for someone outside the organization.
    client.force_login(UserFactory())
    assert activity.title not in client.get(reverse("inbox:index")).content.decode()
