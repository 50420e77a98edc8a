"""A delegate standing in for an absent approver: claims and takes over their tasks, and
everything they do is recorded as done on the absent person's behalf."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Absence
from accounts.selectors import delegate_candidates
from audit.models import AuditEvent
from tests.factories import OrganizationFactory, UserFactory
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox import selectors, services
from workflows.onboarding import services as onboarding
from workflows.onboarding.models import OrganizationApplication


def away(user, delegate, *, days=3, start=0):
    today = timezone.localdate()
    return accounts_services.absence_create(
        user=user,
        delegate=delegate,
        starts_on=today + datetime.timedelta(days=start),
        ends_on=today + datetime.timedelta(days=start + days),
        actor=user,
    )


def test_the_delegate_sees_the_absent_persons_queue_under_on_behalf_of_others(
    client, submitted_application, approver, other_approver
):
    away(approver, other_approver)
    client.force_login(other_approver)
    page = client.get(reverse("inbox:index") + "?tab=delegated").content.decode()
    assert "On behalf of others" in page
    assert submitted_application.name in page
    assert f"Claim for {approver}" in page


def test_no_delegated_tab_before_the_absence_starts(
    client, submitted_application, approver, other_approver
):
    away(approver, other_approver, start=2)
    client.force_login(other_approver)
    page = client.get(reverse("inbox:index") + "?tab=delegated").content.decode()
    assert "On behalf of others" not in page
    assert selectors.task_list_delegated(user=other_approver).count() == 0


def test_a_delegate_claims_and_decides_on_behalf_of_the_absent_approver(
    client, submitted_application, approver, other_approver
):
    away(approver, other_approver)
    task = open_task(submitted_application)
    client.force_login(other_approver)

    response = client.post(
        reverse("inbox:claim", args=[task.pk]), {"on_behalf_of": str(approver.pk)}
    )
    assert response.status_code == 302
    response = client.post(
        response.url, {"decision": "approve", "comment": "Checked for a colleague."}
    )

    application = OrganizationApplication.objects.get(pk=submitted_application.pk)
    assert (application.status, application.reviewed_by) == ("approved", other_approver)
    for action in ("task.assigned", "application.approved", "task.completed"):
        event = AuditEvent.objects.get(action=action)
        assert (event.actor, event.payload["on_behalf_of"]) == (other_approver, str(approver))
        assert event.payload["on_behalf_of_id"] == approver.pk
    page = client.get(application.get_absolute_url()).content.decode()
    assert f"on behalf of {approver}" in page


def test_claiming_for_someone_one_does_not_stand_in_for_is_refused(
    client, submitted_application, approver, other_approver
):
    task = open_task(submitted_application)
    with pytest.raises(PermissionDenied):
        services.task_claim(task_id=task.pk, user=other_approver, on_behalf_of=approver)
    client.force_login(other_approver)
    response = client.post(
        reverse("inbox:claim", args=[task.pk]), {"on_behalf_of": str(approver.pk)}
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.owner is None


def test_a_delegate_takes_over_a_task_the_absent_approver_holds(
    client, submitted_application, approver, other_approver
):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    away(approver, other_approver)
    client.force_login(other_approver)
    page = client.get(reverse("inbox:index") + "?tab=delegated").content.decode()
    assert reverse("inbox:take_over", args=[task.pk]) in page

    response = client.post(
        reverse("inbox:take_over", args=[task.pk]), {"on_behalf_of": str(approver.pk)}
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.data["on_behalf_of"]) == (other_approver, approver.pk)
    event = AuditEvent.objects.get(action="task.handed_over")
    assert (event.actor, event.payload["on_behalf_of"]) == (other_approver, str(approver))


def test_taking_over_without_standing_in_is_refused(
    submitted_application, approver, other_approver
):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    with pytest.raises(PermissionDenied):
        services.task_take_over(task_id=task.pk, user=other_approver, from_user=approver)
    task.refresh_from_db()
    assert task.owner == approver


def test_a_delegate_with_a_conflict_of_interest_cannot_claim_for_the_absent_approver(
    approver, draft_application, django_capture_on_commit_callbacks
):
    # The delegate submitted this application themselves: standing in does not lift the rule.
    delegate = draft_application.applicant
    accounts_services.approver_grant(user=delegate, actor=None)
    away(approver, delegate)
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.application_submit(application_id=draft_application.pk, actor=delegate)
    task = open_task(draft_application)
    with pytest.raises(PermissionDenied):
        services.task_claim(task_id=task.pk, user=delegate, on_behalf_of=approver)


def test_the_absence_page_offers_only_people_with_the_same_rights(
    client, approver, other_approver, outsider
):
    client.force_login(approver)
    page = client.get(reverse("accounts:absences")).content.decode()
    assert f'value="{other_approver.pk}"' in page
    assert f'value="{outsider.pk}"' not in page

    today = timezone.localdate()
    dates = {"starts_on": today.isoformat(), "ends_on": (today + datetime.timedelta(days=2))}
    refused = client.post(reverse("accounts:absences"), {**dates, "delegate": outsider.pk})
    assert refused.status_code == 200
    assert not Absence.objects.exists()

    response = client.post(reverse("accounts:absences"), {**dates, "delegate": other_approver.pk})
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert (absence.user, absence.delegate) == (approver, other_approver)
    event = AuditEvent.objects.get(action="absence.created")
    assert (event.actor, event.payload["delegate_id"]) == (approver, other_approver.pk)
    assert other_approver.notifications.filter(subject__contains=str(approver)).exists()


def test_an_absence_ending_before_it_starts_is_refused_with_a_message(
    client, approver, other_approver
):
    client.force_login(approver)
    today = timezone.localdate()
    response = client.post(
        reverse("accounts:absences"),
        {
            "starts_on": today.isoformat(),
            "ends_on": (today - datetime.timedelta(days=1)).isoformat(),
            "delegate": other_approver.pk,
        },
    )
    assert "The last day cannot be before the first day." in response.content.decode()
    assert not Absence.objects.exists()


def test_an_absence_is_cancelled_by_its_owner_only(client, approver, other_approver, outsider):
    absence = away(approver, other_approver)
    client.force_login(outsider)
    assert client.post(reverse("accounts:absence_cancel", args=[absence.pk])).status_code == 404
    client.force_login(approver)
    client.post(reverse("accounts:absence_cancel", args=[absence.pk]))
    assert not Absence.objects.exists()
    assert AuditEvent.objects.filter(action="absence.cancelled", actor=approver).count() == 1


def test_a_signer_can_name_only_a_cosigner_of_their_organization(db):
    organization = OrganizationFactory()
    signer, cosigner, staff = (UserFactory() for _ in range(3))
    for person, role in ((signer, "signer"), (cosigner, "signer"), (staff, "staff")):
        accounts_services.organization_member_add(
            organization=organization, user=person, role=role, actor=None
        )
    UserFactory(approver=True)

    assert list(delegate_candidates(user=signer)) == [cosigner]
