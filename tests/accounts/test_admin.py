"""The admin shows users and groups but never changes them: a change of rights goes through an
audited service."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import approvers_group
from accounts.selectors import user_is_approver
from tests.conftest import fresh
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def person(db):
    return UserFactory(username="person")


def test_a_superuser_can_still_view_users_and_groups(client, superuser, person):
    client.force_login(superuser)
    group = approvers_group()

    pages = [
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[person.pk]),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_change", args=[group.pk]),
    ]

    assert [client.get(page).status_code for page in pages] == [200, 200, 200, 200]


def test_a_superuser_cannot_make_someone_an_approver_in_the_user_admin(client, superuser, person):
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[person.pk])

    response = client.post(
        url,
        {
            "username": "person",
            "groups": [approvers_group().pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "is_active": "on",
        },
    )

    assert response.status_code == 403
    assert not user_is_approver(fresh(person))


def test_a_superuser_cannot_add_to_a_group_in_the_group_admin(client, superuser, person):
    client.force_login(superuser)
    group = approvers_group()

    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]), {"name": group.name, "user_set": []}
    )

    assert response.status_code == 403
    assert not user_is_approver(fresh(person))


@pytest.mark.parametrize(
    "name",
    [
        "admin:accounts_user_add",
        "admin:auth_group_add",
    ],
)
def test_there_is_no_add_page_for_users_or_groups(client, superuser, name):
    client.force_login(superuser)

    assert client.get(reverse(name)).status_code == 403


def test_users_and_groups_cannot_be_deleted_or_have_passwords_set_in_the_admin(
    client, superuser, person
):
    client.force_login(superuser)
    group = Group.objects.create(name="kept")

    responses = [
        client.post(reverse("admin:accounts_user_delete", args=[person.pk]), {"post": "yes"}),
        client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}),
        client.post(
            reverse("admin:auth_user_password_change", args=[person.pk]),
            {"password1": "n3w-Passw0rd!x", "password2": "n3w-Passw0rd!x"},
        ),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert Group.objects.filter(name="kept").exists()
    assert fresh(person).check_password("n3w-Passw0rd!x") is False


def test_only_the_login_lockout_records_of_axes_can_still_be_written_in_the_admin(superuser):
    # Everything else changes through a service that writes the audit log. axes' records of
    # failed logins can be deleted (that is how a locked-out person is let back in). The
    # holidays and task time limits admins keep are saved through the inbox's audited services.
    request = RequestFactory().get("/")
    request.user = superuser

    writable = sorted(
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
    )

    assert writable == [
        "axes.AccessAttempt",
        "axes.AccessFailureLog",
        "axes.AccessLog",
        "inbox.Holiday",
        "inbox.TaskTimeLimit",
    ]
