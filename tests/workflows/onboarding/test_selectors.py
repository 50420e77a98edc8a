"""`application_get_for_user` answers 404 for missing and "not yours", auditing the second."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tests.audit.helpers import denials, the_denial
from workflows.onboarding import selectors


def test_the_applicant_and_reviewers_get_the_application(submitted_application, approver):
    applicant = submitted_application.applicant

    assert (
        selectors.application_get_for_user(application_id=submitted_application.pk, user=applicant)
        == submitted_application
    )
    assert (
        selectors.application_get_for_user(application_id=submitted_application.pk, user=approver)
        == submitted_application
    )
    assert not denials().exists()


def test_someone_elses_application_answers_404_and_the_denial_names_it(
    submitted_application, outsider
):
    with pytest.raises(Http404):
        selectors.application_get_for_user(application_id=submitted_application.pk, user=outsider)

    assert the_denial() == (outsider, str(submitted_application.pk), "not_visible")


def test_an_anonymous_visitor_gets_404_without_a_denial(submitted_application):
    with pytest.raises(Http404):
        selectors.application_get_for_user(
            application_id=submitted_application.pk, user=AnonymousUser()
        )

    assert not denials().exists()
