"""`task_get_for_user` answers 404 for missing and "not yours", auditing the second."""

import pytest
from django.http import Http404

from tests.audit.helpers import denials, the_denial
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox import selectors


def test_a_task_one_may_not_claim_answers_404_and_the_denial_names_it(
    submitted_application, outsider
):
    task = open_task(submitted_application)

    with pytest.raises(Http404):
        selectors.task_get_for_user(task_id=task.pk, user=outsider)

    assert the_denial() == (outsider, str(task.pk), "not_visible")


def test_a_missing_task_answers_404_without_a_denial(submitted_application, outsider):
    task = open_task(submitted_application)

    with pytest.raises(Http404):
        selectors.task_get_for_user(task_id=task.pk + 1000, user=outsider)

    assert not denials().exists()


def test_a_claimable_task_is_returned_without_a_denial(submitted_application, approver):
    task = open_task(submitted_application)

    assert selectors.task_get_for_user(task_id=task.pk, user=approver) == task
    assert not denials().exists()
