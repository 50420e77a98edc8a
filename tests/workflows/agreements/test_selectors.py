"""`agreement_get_for_user` answers 404 for missing and "not yours", auditing the second."""

import pytest
from django.http import Http404

from tests.audit.helpers import denials, the_denial
from workflows.agreements import selectors


def test_a_draft_hidden_from_the_organization_answers_404_and_is_audited(draft, signer):
    with pytest.raises(Http404):
        selectors.agreement_get_for_user(agreement_id=draft.pk, user=signer)

    assert the_denial() == (signer, str(draft.pk), "not_visible")


def test_a_missing_agreement_answers_404_without_a_denial(draft, signer):
    with pytest.raises(Http404):
        selectors.agreement_get_for_user(agreement_id=draft.pk + 1, user=signer)

    assert not denials().exists()


def test_the_community_manager_gets_the_draft_without_a_denial(draft, manager):
    assert selectors.agreement_get_for_user(agreement_id=draft.pk, user=manager) == draft
    assert not denials().exists()


def test_the_timeline_holds_the_events_of_the_agreements_termination_requests_in_one_query(
    active, manager, django_assert_num_queries
):
    import datetime

    from django.utils import timezone

    from workflows.agreements import services

    request = services.termination_request_create(
        agreement_id=active.pk,
        actor=manager,
        reason="项目结束",
        effective_date=timezone.localdate() + datetime.timedelta(days=30),
    )

    with django_assert_num_queries(1):
        events = list(selectors.agreement_timeline(agreement=active))

    targets = {(e.target_type.model, e.target_id) for e in events if e.target_type_id}
    assert ("terminationrequest", str(request.pk)) in targets
    assert ("aidagreement", str(active.pk)) in targets
    assert targets <= {("terminationrequest", str(request.pk)), ("aidagreement", str(active.pk))}
