"""workflows.inbox.web: the pieces every process app's pages share."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEMBERS_ONLY_PAGES = [
    "activities:create",
    "children:create",
    "service:honour_list",
    "service:honour_create",
]


@pytest.mark.parametrize("page", MEMBERS_ONLY_PAGES)
def test_a_page_for_organization_members_is_an_audited_404_to_anyone_else(client, page):
    person = UserFactory()  # a resident: a member of no organization
    client.force_login(person)

    response = client.get(reverse(page))

    assert response.status_code == 404
    denial = AuditEvent.objects.filter(action="permission.denied").latest("pk")
    assert (denial.actor, denial.payload["reason"]) == (person, "not_allowed")
