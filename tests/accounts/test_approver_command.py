"""`manage.py approver grant|revoke|list`: the operator's way to the audited services."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.selectors import user_is_approver, user_is_approver_lead
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


def test_lead_and_unlead_make_an_approver_a_lead_and_are_audited(db):
    person = UserFactory(username="zhao", approver=True)

    assert run("lead", "zhao") == "zhao is now an approver lead.\n"
    assert user_is_approver_lead(fresh(person))
    assert run("unlead", "zhao") == "zhao is no longer an approver lead.\n"

    assert not user_is_approver_lead(fresh(person))
    assert list(
        AuditEvent.objects.filter(target_id=str(person.pk)).values_list("action", flat=True)
    ) == ["approver.lead_granted", "approver.lead_revoked"]


def test_someone_who_is_no_approver_cannot_be_made_a_lead(db):
    UserFactory(username="li")
    with pytest.raises(CommandError, match="Only an approver can lead the approvers"):
        run("lead", "li")
    assert not AuditEvent.objects.filter(action="approver.lead_granted").exists()
