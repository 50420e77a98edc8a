"""`get_visible_or_404`: one 404 for missing and "not yours", and an audit row for the second."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts import selectors
from accounts.models import Notification
from tests.audit.helpers import denials, the_denial
from tests.factories import UserFactory


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def notification(owner):
    return Notification.objects.create(recipient=owner, subject="Hello", body="Body")


def test_a_visible_object_is_returned_without_a_denial(owner, notification):
    mine = Notification.objects.filter(recipient=owner)

    assert selectors.get_visible_or_404(mine, notification.pk, user=owner) == notification
    assert not denials().exists()


def test_an_existing_hidden_object_answers_404_and_is_audited_against_it(owner, notification):
    stranger = UserFactory(username="stranger")
    theirs = Notification.objects.filter(recipient=stranger)

    with pytest.raises(Http404):
        selectors.get_visible_or_404(theirs, notification.pk, user=stranger)

    assert the_denial() == (stranger, str(notification.pk), "not_visible")


def test_a_missing_object_answers_404_without_a_denial(owner, notification):
    with pytest.raises(Http404):
        selectors.get_visible_or_404(Notification.objects.all(), notification.pk + 1, user=owner)

    assert not denials().exists()


def test_an_anonymous_visitor_is_not_audited_for_a_404(notification):
    with pytest.raises(Http404):
        selectors.get_visible_or_404(Notification.objects.none(), notification.pk, user=None)
    with pytest.raises(Http404):
        selectors.get_visible_or_404(
            Notification.objects.none(), notification.pk, user=AnonymousUser()
        )

    assert not denials().exists()


def test_model_names_where_hidden_objects_are_looked_for(owner, notification):
    # A queryset of another model: the hidden object is looked up where `model` says.
    with pytest.raises(Http404):
        selectors.get_visible_or_404(
            Notification.objects.none(), owner.pk, user=owner, model=type(owner)
        )

    assert the_denial() == (owner, str(owner.pk), "not_visible")


def test_someone_elses_notification_answers_404_and_is_audited(owner, notification):
    stranger = UserFactory(username="stranger")

    with pytest.raises(Http404):
        selectors.notification_get_for_user(notification_id=notification.pk, user=stranger)

    assert the_denial() == (stranger, str(notification.pk), "not_visible")
