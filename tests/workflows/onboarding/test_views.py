"""The onboarding journey through the real pages, as applicant and approvers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse

from accounts.models import Organization, OrganizationMembership
from audit.models import AuditEvent
from tests.factories import PDF_BYTES, application_fields, pdf_upload
from workflows.onboarding.models import OrganizationApplication

from .helpers import decide, open_task

Status = OrganizationApplication.Status


def form_data(n, **overrides):
    data = application_fields(n, **overrides)
    data["certificate"] = overrides.pop("certificate", pdf_upload())
    return data


def claim_and_open(client, task):
    response = client.post(reverse("inbox:claim", args=[task.pk]))
    assert response.status_code == 302
    return response["Location"]


def test_the_onboarding_journey_through_the_pages(
    client, applicant, approver, other_approver, password
):
    # The applicant applies and submits.
    client.force_login(applicant)
    response = client.post(reverse("onboarding:create"), {**form_data(10), "submit": "1"})
    application = OrganizationApplication.objects.get()
    assert response["Location"] == application.get_absolute_url()
    assert application.status == Status.SUBMITTED

    # An approver finds it under "Available to me", claims it and asks for changes.
    client.force_login(approver)
    page = client.get(reverse("inbox:index") + "?tab=available")
    assert application.name in page.content.decode()
    task_url = claim_and_open(client, open_task(application))
    assert "Review organization application" in client.get(task_url).content.decode()
    response = client.post(task_url, {"decision": "request_changes", "comment": "Add the area"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.CHANGES_REQUESTED

    # The applicant finds the revise task under "My tasks" and resubmits with a fix.
    client.force_login(applicant)
    page = client.get(reverse("inbox:index")).content.decode()
    assert "Revise and resubmit the application" in page
    revise = open_task(application, "revise")
    revise_url = reverse("onboarding_flow:revise:execute", args=[revise.process_id, revise.pk])
    assert "Add the area" in client.get(revise_url).content.decode()
    data = form_data(10, service_area="Chaoyang and Haidian")
    del data["certificate"]
    response = client.post(revise_url, data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.service_area) == (
        Status.SUBMITTED,
        "Chaoyang and Haidian",
    )

    # The resubmission is back in the inbox of the approver who asked for the changes (the
    # other approver does not see it), with the comment on the revise step's history.
    client.force_login(other_approver)
    assert (
        application.name
        not in client.get(reverse("inbox:index") + "?tab=available").content.decode()
    )
    client.force_login(approver)
    assert application.name in client.get(reverse("inbox:index")).content.decode()
    task = open_task(application)
    task_url = reverse("onboarding_flow:review:execute", args=[task.process_id, task.pk])
    response = client.post(task_url, {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert OrganizationMembership.objects.filter(
        organization=application.organization, user=applicant, role="admin"
    ).exists()

    # The applicant sees the outcome, the notification and the timeline.
    client.force_login(applicant)
    detail = client.get(application.get_absolute_url()).content.decode()
    assert "Approved" in detail
    assert "Application approved" in detail
    notifications = client.get(reverse("accounts:notifications")).content.decode()
    assert "Application approved" in notifications
    done = client.get(reverse("inbox:index") + "?tab=done").content.decode()
    assert "Revise and resubmit the application" in done


def test_an_invalid_credit_code_is_refused_with_a_message_and_nothing_saved(client, applicant):
    client.force_login(applicant)
    data = form_data(11, credit_code="91350100M000100Y44")
    response = client.post(reverse("onboarding:create"), data)
    assert response.status_code == 200
    assert "check character does not match" in response.content.decode()
    assert not OrganizationApplication.objects.exists()


def test_a_text_file_renamed_pdf_is_refused(client, applicant):
    client.force_login(applicant)
    fake = SimpleUploadedFile("certificate.pdf", b"plain text pretending", "application/pdf")
    response = client.post(reverse("onboarding:create"), form_data(12, certificate=fake))
    assert response.status_code == 200
    assert "not an accepted type" in response.content.decode()
    assert not OrganizationApplication.objects.exists()
    # What the user typed is still in the form.
    assert "Sunshine Aid 12" in response.content.decode()


def test_an_11_mb_upload_is_refused(client, applicant):
    client.force_login(applicant)
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (11 * 1024 * 1024), "application/pdf")
    response = client.post(reverse("onboarding:create"), form_data(13, certificate=big))
    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert not OrganizationApplication.objects.exists()


class CountingTemporaryFileHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, counting the bytes it writes to disk."""

    written = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        type(self).written += len(raw_data)
        super().receive_data_chunk(raw_data, start)


def test_an_upload_over_the_limit_stops_being_received_and_the_form_says_so(
    client, applicant, settings
):
    settings.ACCORD_MAX_UPLOAD_BYTES = 100 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload is spooled to a temporary file
    settings.FILE_UPLOAD_HANDLERS = [
        *settings.FILE_UPLOAD_HANDLERS[:-1],
        f"{__name__}.CountingTemporaryFileHandler",
    ]
    CountingTemporaryFileHandler.written = 0
    client.force_login(applicant)
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024), "application/pdf")

    response = client.post(reverse("onboarding:create"), form_data(15, certificate=big))

    assert response.status_code == 200
    assert "The file is too large: at most 100.0" in response.content.decode()
    assert "Sunshine Aid 15" in response.content.decode()
    assert not OrganizationApplication.objects.exists()
    assert 0 < CountingTemporaryFileHandler.written <= settings.ACCORD_MAX_UPLOAD_BYTES


def test_submitting_twice_shows_a_message_and_changes_nothing(client, submitted_application):
    client.force_login(submitted_application.applicant)
    response = client.post(
        reverse("onboarding:submit", args=[submitted_application.pk]), follow=True
    )
    assert "changed state in the meantime" in response.content.decode()
    assert AuditEvent.objects.filter(action="application.submitted").count() == 1


def test_deciding_a_task_completed_a_moment_ago_shows_a_message(
    client, submitted_application, approver
):
    task = open_task(submitted_application)
    client.force_login(approver)
    task_url = claim_and_open(client, task)
    decide(submitted_application, approver, "reject", comment="Duplicate")
    response = client.post(task_url, {"decision": "approve"}, follow=True)
    assert response.status_code == 200
    assert "already completed" in response.content.decode()
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.REJECTED
    assert not Organization.objects.exists()


def test_a_second_approver_cannot_decide_a_task_claimed_by_the_first(
    client, submitted_application, approver, other_approver
):
    task = open_task(submitted_application)
    client.force_login(approver)
    task_url = claim_and_open(client, task)
    client.force_login(other_approver)
    response = client.post(task_url, {"decision": "approve"}, follow=True)
    assert "held by someone else" in response.content.decode()
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED


@pytest.mark.parametrize(
    "url_name",
    ["onboarding:detail", "onboarding:certificate", "onboarding:edit"],
)
def test_someone_elses_application_is_not_found(client, submitted_application, outsider, url_name):
    client.force_login(outsider)
    response = client.get(reverse(url_name, args=[submitted_application.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("suffix", ["execute", "detail", "assign", "unassign", "cancel", ""])
def test_task_urls_of_someone_elses_process_are_not_found(
    client, submitted_application, outsider, suffix
):
    task = open_task(submitted_application)
    client.force_login(outsider)
    url = f"/flows/onboarding/{task.process_id}/review/{task.pk}/{suffix}"
    response = client.get(url if url.endswith("/") else url + "/")
    assert response.status_code in (403, 404)
    assert client.post(reverse("inbox:claim", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.owner is None


def test_the_certificate_is_served_privately_to_applicant_and_approver(
    client, submitted_application, approver
):
    for user in (submitted_application.applicant, approver):
        client.force_login(user)
        response = client.get(reverse("onboarding:certificate", args=[submitted_application.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"]


def test_an_approver_who_applied_does_not_see_their_own_review_task(client, db, password):
    from tests.factories import UserFactory
    from workflows.onboarding import services

    selfish = UserFactory(username="selfish", approver=True)
    application = services.application_create(
        applicant=selfish, certificate=pdf_upload(), **application_fields(14)
    )
    services.application_submit(application_id=application.pk, actor=selfish)
    client.force_login(selfish)
    page = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert application.name not in page
    task = open_task(application)
    assert client.post(reverse("inbox:claim", args=[task.pk])).status_code == 404


def test_two_approvers_suspending_from_the_same_page_leave_it_suspended(
    client, submitted_application, approver, other_approver
):
    """The second click used to reinstate the organization (the form was a toggle)."""
    application = decide(submitted_application, approver, "approve")
    url = reverse("onboarding:suspend", args=[application.pk])
    form = {"action": "suspend", "reason": "Annual check failed", "expected_status": "active"}
    client.force_login(approver)
    client.post(url, form)
    client.force_login(other_approver)
    response = client.post(url, form, follow=True)
    assert "changed state in the meantime" in response.content.decode()
    application.organization.refresh_from_db()
    assert application.organization.status == Organization.Status.SUSPENDED
    assert AuditEvent.objects.filter(action="organization.suspended").count() == 1


def test_the_suspend_form_says_which_state_it_expects(client, submitted_application, approver):
    application = decide(submitted_application, approver, "approve")
    client.force_login(approver)
    page = client.get(application.get_absolute_url()).content.decode()
    assert 'name="expected_status" value="active"' in page
    assert 'value="suspend"' in page


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "阳光\ue000援助"), ("address", "1 Road\x07"), ("contact_name", "Wang\uffff")],
)
def test_characters_no_pdf_can_print_are_refused_with_a_message(client, applicant, field, value):
    client.force_login(applicant)

    response = client.post(reverse("onboarding:create"), form_data(14, **{field: value}))

    assert response.status_code == 200
    assert "Remove the characters that cannot be shown or printed" in response.content.decode()
    assert not OrganizationApplication.objects.exists()


def test_a_phone_number_that_is_not_one_is_refused(client, applicant):
    client.force_login(applicant)

    response = client.post(reverse("onboarding:create"), form_data(15, contact_phone="abc"))

    assert response.status_code == 200
    assert "Enter a phone number" in response.content.decode()
    assert not OrganizationApplication.objects.exists()


def test_a_pdf_named_html_is_stored_as_pdf(client, applicant):
    client.force_login(applicant)

    client.post(
        reverse("onboarding:create"),
        form_data(16, certificate=SimpleUploadedFile("scan.html", PDF_BYTES, "text/html")),
    )

    stored = OrganizationApplication.objects.get().certificate.name
    assert stored.startswith("onboarding/certificates/")
    assert stored.endswith(".pdf")


def test_the_application_page_shows_the_organizations_suspension_and_why(
    client, submitted_application, approver
):
    application = decide(submitted_application, approver, "approve")
    client.force_login(approver)
    client.post(
        reverse("onboarding:suspend", args=[application.pk]),
        {"action": "suspend", "reason": "Annual check failed", "expected_status": "active"},
    )
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Organization suspended" in page
    assert "Active → Suspended" in page
    assert "Annual check failed" in page


def test_a_resubmitted_application_no_longer_shows_the_answered_comment(
    client, submitted_application, applicant, approver
):
    from .helpers import resubmit

    decide(submitted_application, approver, "request_changes", "Name the streets you serve")
    application = resubmit(submitted_application, applicant)
    assert application.review_comment == ""
    client.force_login(approver)
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Reviewer&#x27;s comment" not in page
    # The request stays on the record, in the timeline.
    assert "Name the streets you serve" in page.split('id="timeline"')[1]


def test_the_applicant_timeline_shows_no_addresses_or_task_bookkeeping(client, applicant, approver):
    client.force_login(applicant)
    client.post(reverse("onboarding:create"), {**form_data(11), "submit": "1"})
    application = OrganizationApplication.objects.get()
    assert AuditEvent.objects.filter(action="task.created", ip_address__isnull=False).exists()

    own = client.get(application.get_absolute_url()).content.decode()
    assert "127.0.0.1" not in own
    assert "Task created" not in own
    assert "Submitted" in own.split('id="timeline"')[1]

    client.force_login(approver)
    staff = client.get(application.get_absolute_url()).content.decode()
    assert "(127.0.0.1)" in staff
    assert "Task created" in staff


def test_save_draft_keeps_what_was_typed_without_demanding_every_field(client, applicant):
    client.force_login(applicant)

    response = client.post(
        reverse("onboarding:create"),
        {"name": "Riverside Volunteers", "contact_phone": "13800001234", "save": "1"},
        follow=True,
    )

    application = OrganizationApplication.objects.get()
    assert (application.status, application.name, application.contact_phone) == (
        Status.DRAFT,
        "Riverside Volunteers",
        "13800001234",
    )
    assert (application.credit_code, application.contact_email) == ("", "")
    page = response.content.decode()
    assert "Your application was saved as a draft." in page
    # Submitting waits until the draft is complete, and the page says what it lacks.
    missing = page.split('id="missing"')[1].split("</p>")[0]
    assert "Unified social credit code" in missing
    assert "Registration certificate" in missing
    assert reverse("onboarding:submit", args=[application.pk]) not in page


def test_the_blank_form_marks_what_submission_needs_without_blocking_a_draft(client, applicant):
    client.force_login(applicant)

    page = client.get(reverse("onboarding:create")).content.decode()

    assert page.count('class="field required"') == 8
    assert page.count('aria-required="true"') == 8
    form = page.split("<form", 1)[1].replace('class="field required"', "")
    assert " required" not in form.replace('aria-required="true"', "")


def test_save_and_submit_checks_every_field_and_saves_nothing_when_incomplete(client, applicant):
    client.force_login(applicant)

    response = client.post(
        reverse("onboarding:create"), {"name": "Riverside Volunteers", "submit": "1"}
    )

    assert response.status_code == 200
    field = response.content.decode().split('name="contact_email"')[1].split("</div>")[0]
    assert "This field is required." in field
    assert not OrganizationApplication.objects.exists()


def test_a_duplicate_credit_code_on_submit_keeps_the_draft_and_says_so_by_the_field(
    client, applicant
):
    from tests.factories import OrganizationFactory

    taken = OrganizationFactory().credit_code
    client.force_login(applicant)

    response = client.post(
        reverse("onboarding:create"), {**form_data(12, credit_code=taken), "submit": "1"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    application = OrganizationApplication.objects.get()
    assert application.status == Status.DRAFT
    assert "saved as a draft" not in page
    assert "Your draft was saved but not submitted" in page
    field = page.split('name="credit_code"')[1].split("</div>")[0]
    assert "already registered" in field
    assert f'value="{taken}"' in page
    assert f'action="{reverse("onboarding:edit", args=[application.pk])}"' in page


def test_submitting_an_incomplete_draft_names_each_missing_field(applicant):
    from django.core.exceptions import ValidationError

    from workflows.onboarding import services

    draft = services.application_create(
        applicant=applicant, **form_data(13, contact_email="", address="", certificate=None)
    )

    with pytest.raises(ValidationError) as error:
        services.application_submit(application_id=draft.pk, actor=applicant)

    assert set(error.value.message_dict) == {"contact_email", "address", "certificate"}
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_suspension_too_long_to_store_keeps_the_reason_by_its_field(
    client, submitted_application, approver
):
    application = decide(submitted_application, approver, "approve")
    client.force_login(approver)
    reason = "年检未通过。" + "x" * 2000

    response = client.post(
        reverse("onboarding:suspend", args=[application.pk]),
        {"action": "suspend", "reason": reason, "expected_status": "active"},
    )

    assert response.status_code == 400
    field = response.content.decode().split('name="reason"')[1].split("</div>")[0]
    assert "年检未通过。" in field
    assert "at most" in field
    application.organization.refresh_from_db()
    assert application.organization.status == Organization.Status.ACTIVE
