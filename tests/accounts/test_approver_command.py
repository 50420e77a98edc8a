"""`manage.py approver grant|revoke|list`: the operator's way to the audited services."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.selectors import user_is_approver
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import UserFactory


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("approver", *args, stdout=out)
    return out.getvalue()


def test_grant_and_revoke_change_the_role_and_are_audited(db):
    person = UserFactory(username="wang")

    granted = run("grant", "wang")
    assert user_is_approver(fresh(person))
    revoked = run("revoke", "wang")

    assert not user_is_approver(fresh(person))
    assert (granted, revoked) == ("wang is now an approver.\n", "wang is no longer an approver.\n")
    assert list(
        AuditEvent.objects.filter(target_id=str(person.pk)).values_list("action", flat=True)
    ) == ["approver.granted", "approver.revoked"]


def test_list_names_the_approvers(db):
    UserFactory(username="li", display_name="Li Hua", approver=True)
    UserFactory(username="zhao", display_name="Zhao Lei")

    assert run("list") == "li\tLi Hua\n"


def test_an_unknown_username_is_refused_clearly(db):
    with pytest.raises(CommandError, match=r"There is no account with the username 'nobody'\."):
        run("grant", "nobody")
