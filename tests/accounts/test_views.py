"""The approvers page: superusers list, grant and revoke the role; everyone else gets 403."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.selectors import user_is_approver
from audit.models import AuditEvent
from tests.audit.helpers import denials
from tests.conftest import fresh
from tests.factories import UserFactory

URL = "/accounts/approvers/"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def csrf_client(superuser):
    """A client that enforces CSRF like a browser session does, logged in as the superuser."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    return client


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_page_lists_the_approvers_with_a_revoke_button(csrf_client):
    approver = UserFactory(username="li", display_name="Li Hua", approver=True)

    html = csrf_client.get(URL).content.decode()

    assert reverse("accounts:approvers") == URL
    assert "Li Hua" in html
    assert reverse("accounts:approver_revoke", args=[approver.pk]) in html
    post_forms = [
        f for f in re.findall(r"<form.*?</form>", html, re.DOTALL) if 'method="post"' in f
    ]
    assert len(post_forms) == 4  # language, log out, revoke, grant
    assert all('name="csrfmiddlewaretoken"' in form for form in post_forms)


def test_a_superuser_grants_the_role_by_username(csrf_client, superuser):
    person = UserFactory(username="wang", display_name="Wang Fang")
    token = csrf_token(csrf_client.get(URL).content.decode())

    response = csrf_client.post(
        URL, {"username": "wang", "csrfmiddlewaretoken": token}, follow=True
    )

    assert "Wang Fang is now an approver." in response.content.decode()
    assert user_is_approver(fresh(person))
    assert AuditEvent.objects.get(action="approver.granted").actor == superuser


def test_a_superuser_revokes_the_role_with_the_button(csrf_client, superuser):
    person = UserFactory(username="wang", display_name="Wang Fang", approver=True)
    token = csrf_token(csrf_client.get(URL).content.decode())

    response = csrf_client.post(
        reverse("accounts:approver_revoke", args=[person.pk]),
        {"csrfmiddlewaretoken": token},
        follow=True,
    )

    assert "Wang Fang is no longer an approver." in response.content.decode()
    assert not user_is_approver(fresh(person))
    assert AuditEvent.objects.get(action="approver.revoked").actor == superuser


def test_an_unknown_username_is_refused_with_a_message(csrf_client):
    token = csrf_token(csrf_client.get(URL).content.decode())

    response = csrf_client.post(URL, {"username": "nobody", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert "There is no account with this username." in response.content.decode()
    assert not AuditEvent.objects.filter(action="approver.granted").exists()


def test_a_post_without_the_csrf_token_is_refused(csrf_client):
    person = UserFactory(username="wang")

    response = csrf_client.post(URL, {"username": "wang"})

    assert response.status_code == 403
    assert not user_is_approver(fresh(person))


@pytest.mark.parametrize("approver", [False, True])
def test_anyone_but_a_superuser_gets_403_and_the_attempt_is_audited(client, db, approver):
    visitor = UserFactory(username="visitor", approver=approver, is_staff=True)
    person = UserFactory(username="wang")
    client.force_login(visitor)

    pages = [
        client.get(URL),
        client.post(URL, {"username": "wang"}),
        client.post(reverse("accounts:approver_revoke", args=[person.pk])),
    ]

    assert [page.status_code for page in pages] == [403, 403, 403]
    assert not user_is_approver(fresh(person))
    assert sorted(e.payload["path"] for e in denials()) == sorted(
        [URL, reverse("accounts:approver_revoke", args=[person.pk])]
    )


def test_the_navigation_links_the_page_for_superusers_only(client, superuser):
    client.force_login(superuser)
    assert f'href="{URL}"' in client.get(reverse("home")).content.decode()

    client.force_login(UserFactory(username="someone"))
    assert f'href="{URL}"' not in client.get(reverse("home")).content.decode()
