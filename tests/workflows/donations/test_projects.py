"""Donation projects as their people use them: the organization drafts, submits, revises,
closes and cancels through its pages; approvers review through the inbox's task pages;
outsiders find nothing; the schedule closes projects past their end date."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from PIL import Image
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Notification, Organization, OrganizationMembership
from accounts.services import organization_member_add
from audit.models import AuditEvent
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.donations import services
from workflows.donations.flows import DonationProjectFlow
from workflows.donations.forms.projects import (
    format_budget,
    format_questions,
    parse_budget,
    parse_questions,
)
from workflows.donations.jobs import donation_projects_close_ended
from workflows.donations.models import (
    BudgetLine,
    Channel,
    Donation,
    DonationProject,
    DonationProjectProcess,
)

from .helpers import BUDGET, member, org_with_people, project_fields, project_in

pytestmark = pytest.mark.django_db

Status = DonationProject.Status
MANAGE = reverse("donations:manage")
CREATE = reverse("donations:create")


# --- helpers ----------------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    """`project_fields` as the project form posts them."""
    budget = overrides.pop("budget", "冬衣 6000\n学习用品 4000")
    questions = overrides.pop("questions", "")
    data = {}
    for key, value in project_fields(**overrides).items():
        if isinstance(value, datetime.date):
            data[key] = value.isoformat()
        elif key == "community":
            data[key] = value.pk
        else:
            data[key] = str(value)
    return {**data, "budget": budget, "questions": questions}


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def field_errors(html: str, name: str) -> str:
    """The HTML of the form field `name`'s block (its input and its errors)."""
    return html.split(f'name="{name}"')[1].split("</div>")[0]


def open_task(project: DonationProject, node: str = "review") -> Task:
    return Task.objects.get(
        process__donationprojectprocess__project=project,
        flow_task=getattr(DonationProjectFlow, node),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def task_url(task: Task) -> str:
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def claim(client, task: Task) -> str:
    response = client.post(reverse("inbox:claim", args=[task.pk]))
    assert response.status_code == 302
    return task_url(task)


def transitions(project: DonationProject) -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(target_id=str(project.pk), action__startswith="donation_project.")
        .order_by("pk")
        .values_list("action", "from_state", "to_state")
    )


def draft(staff, organization, **overrides) -> DonationProject:
    return services.project_create(
        actor=staff, organization=organization, budget=BUDGET, **project_fields(**overrides)
    )


def donation(project: DonationProject, status: str) -> Donation:
    return Donation.objects.create(
        project=project,
        organization=project.organization,
        donor_name="张三",
        amount=Decimal("500.00"),
        channel=Channel.BANK_TRANSFER,
        received_on=timezone.localdate(),
        status=status,
    )


# --- the review journey through the pages -------------------------------------------------------


def test_a_project_goes_through_review_and_back_to_the_same_reviewer(
    client, approver, other_approver, django_capture_on_commit_callbacks
):
    organization, staff, _admin = org_with_people()
    client.force_login(staff)
    assert CREATE in page(client, MANAGE)

    # The organization drafts and submits in one go.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CREATE, {**form_data(title="冬衣助学"), "questions": "捐赠用途 *", "submit": "1"}
        )
    project = DonationProject.objects.get()
    assert response["Location"] == project.get_absolute_url()
    assert (project.status, project.organization, project.created_by) == (
        Status.SUBMITTED,
        organization,
        staff,
    )
    assert project.questions == [{"label": "捐赠用途", "required": True, "choices": []}]
    assert list(project.budget_lines.values_list("category", "amount")) == [
        ("冬衣", Decimal("6000.00")),
        ("学习用品", Decimal("4000.00")),
    ]

    # An approver finds it in the inbox, claims it, reads it and asks for changes.
    client.force_login(approver)
    assert "冬衣助学" in page(client, reverse("inbox:index") + "?tab=available")
    url = claim(client, open_task(project))
    review = page(client, url)
    assert "Review donation project" in review
    assert "学习用品" in review.split('id="budget"')[1]
    response = client.post(url, {"decision": "request_changes", "comment": "请补充预算明细"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Status.CHANGES_REQUESTED
    notice = Notification.objects.get(recipient=staff)
    assert notice.subject == "Changes requested: 冬衣助学"
    assert "请补充预算明细" in notice.body

    # The organization revises on the revise task's page and resubmits.
    client.force_login(staff)
    assert "Revise and resubmit the donation project" in page(client, reverse("inbox:index"))
    revise_url = task_url(open_task(project, "revise"))
    revise = page(client, revise_url)
    assert "请补充预算明细" in revise
    assert "冬衣 6000.00\n学习用品 4000.00" in revise
    response = client.post(
        revise_url,
        form_data(
            title="冬衣助学",
            community=project.community,
            budget="冬衣 5000\n学习用品 4000\n交通 1000",
            questions="捐赠用途 *",
        ),
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert project.budget_lines.count() == 3

    # The review is back with the approver who asked, not in the others' queue.
    client.force_login(other_approver)
    assert "冬衣助学" not in page(client, reverse("inbox:index") + "?tab=available")
    task = open_task(project)
    assert task.owner == approver
    client.force_login(approver)
    response = client.post(task_url(task), {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.reviewed_by) == (Status.OPEN, approver)
    assert Notification.objects.filter(
        recipient=staff, subject="Donation project opened: 冬衣助学"
    ).exists()

    assert transitions(project) == [
        ("donation_project.created", "", "draft"),
        ("donation_project.submitted", "draft", "submitted"),
        ("donation_project.changes_requested", "submitted", "changes_requested"),
        ("donation_project.updated", "changes_requested", "changes_requested"),
        ("donation_project.resubmitted", "changes_requested", "submitted"),
        ("donation_project.approved", "submitted", "open"),
    ]
    updated = AuditEvent.objects.get(action="donation_project.updated")
    assert updated.payload["fields"] == ["budget"]
    assert updated.actor == staff

    # The organization's page shows the outcome, the totals and the timeline.
    client.force_login(staff)
    detail = page(client, project.get_absolute_url())
    assert "Open for donations" in detail
    assert reverse("donations:donation_list", args=[project.pk]) in detail
    assert reverse("donations:report_create", args=[project.pk]) in detail
    assert project.get_public_url() in detail
    assert "Donation project opened" in detail.split('id="timeline"')[1]


def test_a_rejection_tells_the_author_why_and_ends_the_review(client, approver):
    organization, staff, _admin = org_with_people()
    project = draft(staff, organization, title="不合规的项目")
    services.project_submit(project_id=project.pk, actor=staff)
    client.force_login(approver)
    url = claim(client, open_task(project))

    client.post(url, {"decision": "reject", "comment": "用途不明确"})

    project.refresh_from_db()
    assert (project.status, project.review_comment) == (Status.REJECTED, "用途不明确")
    notice = Notification.objects.get(recipient=staff)
    assert notice.subject == "Donation project rejected: 不合规的项目"
    assert "用途不明确" in notice.body
    assert not Task.objects.filter(
        process__donationprojectprocess__project=project,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    ).exists()
    client.force_login(staff)
    assert "用途不明确" in page(client, project.get_absolute_url()).split('id="review-comment"')[1]


def test_a_rejection_without_a_comment_is_refused_on_the_task_page(client, approver):
    organization, staff, _admin = org_with_people()
    project = draft(staff, organization)
    services.project_submit(project_id=project.pk, actor=staff)
    client.force_login(approver)
    url = claim(client, open_task(project))

    response = client.post(url, {"decision": "reject", "comment": "  "})

    assert response.status_code == 200
    assert "Give the author a reason." in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED


def test_an_approver_of_the_organization_cannot_review_its_project(client, approver):
    organization, staff, _admin = org_with_people()
    organization_member_add(
        organization=organization,
        user=approver,
        role=OrganizationMembership.Role.STAFF,
        actor=None,
    )
    project = draft(staff, organization)
    services.project_submit(project_id=project.pk, actor=staff)
    client.force_login(approver)

    assert project.title not in page(client, reverse("inbox:index") + "?tab=available")
    assert client.post(reverse("inbox:claim", args=[open_task(project).pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.project_review(project_id=project.pk, actor=approver, decision="approve")


# --- the organization's pages ------------------------------------------------------------------


def test_staff_save_a_draft_edit_it_and_submit_it_from_its_page(
    client, django_capture_on_commit_callbacks
):
    _organization, staff, _admin = org_with_people()
    client.force_login(staff)

    response = client.post(CREATE, {**form_data(title="助学草稿"), "save": "1"})

    project = DonationProject.objects.get()
    assert response["Location"] == project.get_absolute_url()
    assert project.status == Status.DRAFT
    detail = page(client, project.get_absolute_url())
    assert reverse("donations:edit", args=[project.pk]) in detail
    assert 'name="expected_status" value="draft"' in detail
    assert "This is a draft" in detail

    response = client.post(
        reverse("donations:edit", args=[project.pk]),
        {
            **form_data(title="改过的标题", community=project.community, target_amount="8000.50"),
            "save": "1",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.target_amount, project.status) == (
        "改过的标题",
        Decimal("8000.50"),
        Status.DRAFT,
    )
    assert set(AuditEvent.objects.get(action="donation_project.updated").payload["fields"]) == {
        "title",
        "target_amount",
    }

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("donations:submit", args=[project.pk]), {"expected_status": "draft"})

    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert open_task(project).owner is None
    assert DonationProjectProcess.objects.filter(project=project).count() == 1
    # Once submitted it cannot be edited any more.
    response = client.get(reverse("donations:edit", args=[project.pk]), follow=True)
    assert "can no longer be edited" in response.content.decode()


def test_submitting_twice_from_a_stale_page_says_so_and_starts_one_review(client):
    organization, staff, _admin = org_with_people()
    project = draft(staff, organization)
    client.force_login(staff)
    url = reverse("donations:submit", args=[project.pk])
    client.post(url, {"expected_status": "draft"})

    response = client.post(url, {"expected_status": "draft"}, follow=True)

    assert "changed state in the meantime" in response.content.decode()
    assert DonationProjectProcess.objects.filter(project=project).count() == 1
    assert [a for a, *_ in transitions(project)].count("donation_project.submitted") == 1


def test_someone_in_two_organizations_chooses_which_one(client):
    first, staff, _admin = org_with_people()
    second = OrganizationFactory()
    organization_member_add(
        organization=second, user=staff, role=OrganizationMembership.Role.STAFF, actor=None
    )
    client.force_login(staff)
    form = page(client, CREATE, organization=second.pk)
    assert f'<option value="{second.pk}" selected>' in form
    assert f'<option value="{first.pk}">' in form

    client.post(CREATE, {**form_data(), "organization": second.pk})

    assert DonationProject.objects.get().organization == second


def test_someone_in_no_organization_cannot_create(client, outsider):
    client.force_login(outsider)

    assert client.get(CREATE).status_code == 404
    assert client.post(CREATE, form_data()).status_code == 404
    assert CREATE not in page(client, MANAGE)
    assert not DonationProject.objects.exists()
    assert AuditEvent.objects.filter(action="permission.denied", actor=outsider).exists()


def test_a_suspended_organization_cannot_start_a_project(client):
    organization, staff, _admin = org_with_people()
    Organization.objects.filter(pk=organization.pk).update(status=Organization.Status.SUSPENDED)
    client.force_login(staff)

    assert client.get(CREATE).status_code == 404
    with pytest.raises(PermissionDenied):
        services.project_create(
            actor=staff,
            organization=Organization.objects.get(pk=organization.pk),
            budget=BUDGET,
            **project_fields(),
        )


def test_staff_close_an_open_project(client):
    project = project_in(Status.OPEN)
    staff = project.created_by
    client.force_login(staff)
    assert 'action="{}"'.format(reverse("donations:close", args=[project.pk])) in page(
        client, project.get_absolute_url()
    )

    response = client.post(
        reverse("donations:close", args=[project.pk]), {"expected_status": "open"}
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == Status.CLOSED
    assert project.closed_at is not None
    event = AuditEvent.objects.get(action="donation_project.closed")
    assert (event.actor, event.from_state, event.to_state) == (staff, "open", "closed")
    assert event.payload["by_schedule"] is False


def test_a_draft_cannot_be_closed(client):
    project = project_in(Status.DRAFT)
    client.force_login(project.created_by)

    response = client.post(
        reverse("donations:close", args=[project.pk]), {"expected_status": "draft"}, follow=True
    )

    assert "changed state in the meantime" in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.DRAFT


def test_staff_cancel_a_draft_with_a_reason(client):
    project = project_in(Status.DRAFT)
    client.force_login(project.created_by)

    response = client.post(
        reverse("donations:cancel", args=[project.pk]),
        {"reason": "合作方撤出", "expected_status": "draft"},
    )

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.cancel_reason) == (Status.CANCELLED, "合作方撤出")
    event = AuditEvent.objects.get(action="donation_project.cancelled")
    assert (event.from_state, event.to_state, event.payload["reason"]) == (
        "draft",
        "cancelled",
        "合作方撤出",
    )
    assert "合作方撤出" in page(client, project.get_absolute_url()).split('id="cancelled"')[1]


def test_cancelling_during_review_ends_the_review(client, approver):
    organization, staff, admin = org_with_people()
    project = draft(staff, organization)
    services.project_submit(project_id=project.pk, actor=staff)
    client.force_login(admin)

    client.post(
        reverse("donations:cancel", args=[project.pk]),
        {"reason": "项目取消", "expected_status": "submitted"},
    )

    project.refresh_from_db()
    assert project.status == Status.CANCELLED
    assert not Task.objects.filter(
        process__donationprojectprocess__project=project,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    ).exists()
    assert (
        AuditEvent.objects.get(action="donation_project.cancelled").payload["reviews_cancelled"]
        == 1
    )
    # The author hears that a colleague cancelled their project.
    assert Notification.objects.get(recipient=staff).subject == (
        f"Donation project cancelled: {project.title}"
    )
    client.force_login(approver)
    assert project.title not in page(client, reverse("inbox:index") + "?tab=available")


def test_cancelling_without_a_reason_asks_for_one(client):
    project = project_in(Status.OPEN)
    client.force_login(project.created_by)

    response = client.post(
        reverse("donations:cancel", args=[project.pk]), {"reason": "", "expected_status": "open"}
    )

    assert response.status_code == 400
    assert "This field is required." in field_errors(response.content.decode(), "reason")
    project.refresh_from_db()
    assert project.status == Status.OPEN


@pytest.mark.parametrize(
    "donation_status",
    [Donation.Status.PLEDGED, Donation.Status.CONFIRMED, Donation.Status.VOID],
)
def test_a_project_cannot_be_cancelled_once_a_donation_arrived(client, donation_status):
    project = project_in(Status.OPEN)
    donation(project, donation_status)
    client.force_login(project.created_by)
    detail = page(client, project.get_absolute_url())
    assert reverse("donations:cancel", args=[project.pk]) not in detail
    assert 'id="cancel-refused"' in detail

    response = client.post(
        reverse("donations:cancel", args=[project.pk]),
        {"reason": "不办了", "expected_status": "open"},
        follow=True,
    )

    assert "can no longer be cancelled" in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.OPEN
    assert not AuditEvent.objects.filter(action="donation_project.cancelled").exists()


def test_a_withdrawn_pledge_does_not_stop_a_cancellation():
    project = project_in(Status.OPEN)
    donation(project, Donation.Status.WITHDRAWN)

    services.project_cancel(
        project_id=project.pk, actor=project.created_by, reason="无人捐赠", expected_status="open"
    )

    project.refresh_from_db()
    assert project.status == Status.CANCELLED


def test_the_project_page_shows_the_money_received_and_spent(client):
    project = project_in(Status.OPEN)
    donation(project, Donation.Status.CONFIRMED)
    donation(project, Donation.Status.CONFIRMED)
    donation(project, Donation.Status.PLEDGED)  # not received yet
    client.force_login(project.created_by)

    detail = page(client, project.get_absolute_url())

    assert "¥1000.00" in detail.split('id="received"')[1].split("</dd>")[0]
    assert "¥0.00" in detail.split('id="spent"')[1].split("</dd>")[0]
    assert "¥1000.00" in detail.split('id="balance"')[1].split("</dd>")[0]
    assert "¥10,000.00" in detail.split('id="budget-total"')[1].split("</p>")[0]


def test_the_manage_list_filters_by_status(client):
    organization, staff, _admin = org_with_people()
    opened = project_in(Status.OPEN, organization=organization, created_by=staff)
    drafted = project_in(Status.DRAFT, organization=organization, created_by=staff)
    client.force_login(staff)

    drafts = page(client, MANAGE, status="draft")
    everything = page(client, MANAGE)
    nonsense = page(client, MANAGE, status="<script>")

    assert drafted.get_absolute_url() in drafts
    assert opened.get_absolute_url() not in drafts
    for listing in (everything, nonsense):
        assert drafted.get_absolute_url() in listing
        assert opened.get_absolute_url() in listing


def test_an_approver_sees_submitted_projects_but_no_drafts(client, approver):
    organization, staff, _admin = org_with_people()
    submitted = draft(staff, organization)
    services.project_submit(project_id=submitted.pk, actor=staff)
    drafted = draft(staff, organization)
    client.force_login(approver)

    listing = page(client, MANAGE)

    assert submitted.get_absolute_url() in listing
    assert drafted.get_absolute_url() not in listing
    assert CREATE not in listing
    assert client.get(drafted.get_absolute_url()).status_code == 404


def _manage_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        listing = page(client, MANAGE)
    return len(context.captured_queries), listing


def test_the_manage_list_costs_the_same_queries_at_1_and_50_projects(
    client, approver, django_assert_num_queries
):
    first = project_in(Status.OPEN)
    donation(first, Donation.Status.CONFIRMED)
    client.force_login(approver)
    one, listing = _manage_queries(client)
    assert listing.count("<tr>") == 2
    assert "500.00" in listing
    # Each with its own organization and community: a per-row lookup would show.
    for n in range(49):
        project = project_in(Status.OPEN if n % 2 else Status.CLOSED)
        donation(project, Donation.Status.CONFIRMED)

    with django_assert_num_queries(one):
        listing = page(client, MANAGE)

    assert listing.count("<tr>") == 51


# --- outsiders --------------------------------------------------------------------------------


def test_an_outsider_finds_no_project_and_the_refusal_is_audited(client, outsider):
    project = project_in(Status.OPEN)
    client.force_login(outsider)

    assert client.get(project.get_absolute_url()).status_code == 404
    assert client.get(reverse("donations:edit", args=[project.pk])).status_code == 404
    for name in ("submit", "close", "cancel"):
        response = client.post(
            reverse(f"donations:{name}", args=[project.pk]),
            {"reason": "捣乱", "expected_status": "open"},
        )
        assert response.status_code == 404
    assert client.get(reverse("donations:manage_detail", args=[999_999])).status_code == 404

    project.refresh_from_db()
    assert project.status == Status.OPEN
    denial = AuditEvent.objects.get(action="permission.denied", actor=outsider)
    assert denial.target_id == str(project.pk)
    assert denial.payload["reason"] == "not_visible"
    assert outsider.username not in page(client, MANAGE)
    assert project.get_absolute_url() not in page(client, MANAGE)


def test_staff_of_another_organization_cannot_see_or_act(client):
    project = project_in(Status.DRAFT)
    _other, stranger, _admin = org_with_people()
    client.force_login(stranger)

    assert client.get(project.get_absolute_url()).status_code == 404
    assert (
        client.post(
            reverse("donations:submit", args=[project.pk]), {"expected_status": "draft"}
        ).status_code
        == 404
    )
    project.refresh_from_db()
    assert project.status == Status.DRAFT


def test_an_approver_reads_a_project_but_does_not_run_it(client, approver):
    project = project_in(Status.OPEN)
    client.force_login(approver)
    detail = page(client, project.get_absolute_url())
    assert project.title in detail
    assert 'id="actions"' not in detail
    assert 'id="timeline"' in detail

    assert client.get(reverse("donations:edit", args=[project.pk])).status_code == 404
    response = client.post(
        reverse("donations:close", args=[project.pk]), {"expected_status": "open"}, follow=True
    )

    assert "You are not allowed to do this." in response.content.decode()
    project.refresh_from_db()
    assert project.status == Status.OPEN
    assert AuditEvent.objects.filter(
        action="permission.denied", actor=approver, target_id=str(project.pk)
    ).exists()


def test_the_manage_pages_need_a_login(client):
    project = project_in(Status.OPEN)

    for url in (MANAGE, CREATE, project.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# --- what people type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "冬衣\x00助学"}, "title", "Null characters are not allowed."),
        ({"title": "x" * 10_000}, "title", "at most 200 characters"),
        ({"title": "私用\ue000字符"}, "title", "cannot be shown or printed"),
        ({"contact": "王老师\u0007"}, "contact", "cannot be shown or printed"),
        ({"purpose": "用途\ufffe"}, "purpose", "cannot be shown or printed"),
        ({"target_amount": "-100"}, "target_amount", "greater than or equal to 0.01"),
        ({"target_amount": "0"}, "target_amount", "greater than or equal to 0.01"),
        ({"target_amount": "NaN"}, "target_amount", "Enter a number."),
        ({"target_amount": "Infinity"}, "target_amount", "Enter a number."),
        ({"target_amount": "1e20"}, "target_amount", "no more than 12 digits"),
        ({"target_amount": "10.001"}, "target_amount", "no more than 2 decimal places"),
        ({"target_amount": "9" * 400}, "target_amount", "digits"),
        ({"starts_on": "2026-02-30"}, "starts_on", "Enter a valid date."),
        ({"community": "not-a-number"}, "community", "Select a valid choice."),
        ({"budget": ""}, "budget", "This field is required."),
        ({"budget": "冬衣 -500"}, "budget", "Line 1 (“冬衣 -500”): the amount must be more"),
        ({"budget": "冬衣 6000\n学习用品 0"}, "budget", "Line 2 (“学习用品 0”)"),
        ({"budget": "冬衣 NaN"}, "budget", "write the category, then its amount"),
        ({"budget": "冬衣 6000\n冬衣 100"}, "budget", "is there twice"),
        ({"budget": "6000"}, "budget", "name the category before the amount"),
        ({"budget": "冬衣 1.005"}, "budget", "at most two decimal places"),
        ({"budget": "冬衣 99999999999"}, "budget", "is more than 9,999,999,999.99"),
        ({"budget": "冬衣\x00 100"}, "budget", "cannot be shown or printed"),
        ({"budget": "x" * 7_000}, "budget", "at most 6000 characters"),
        (
            {"budget": "\n".join(f"类别{n} 10" for n in range(31))},
            "budget",
            "At most 30 budget lines.",
        ),
        (
            {"questions": "\n".join(f"问题{n}" for n in range(6))},
            "questions",
            "At most 5 questions.",
        ),
        ({"questions": "开票: 是"}, "questions", "at least two options"),
    ],
)
def test_bad_input_is_refused_by_its_field_and_nothing_is_saved(client, overrides, field, message):
    _organization, staff, _admin = org_with_people()
    client.force_login(staff)
    data = form_data()
    data.update(overrides)

    response = client.post(CREATE, data)

    assert response.status_code == 200
    assert message in field_errors(response.content.decode(), field)
    assert not DonationProject.objects.exists()


def test_an_end_before_the_start_is_refused_by_the_end_date(client):
    _organization, staff, _admin = org_with_people()
    client.force_login(staff)
    today = timezone.localdate()

    response = client.post(
        CREATE,
        form_data(
            title="时间颠倒的项目",
            starts_on=today + datetime.timedelta(days=10),
            ends_on=today + datetime.timedelta(days=9),
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot end before it starts" in field_errors(html, "ends_on")
    assert "时间颠倒的项目" in html
    assert not DonationProject.objects.exists()


def test_each_bad_budget_line_gets_its_own_message(client):
    _organization, staff, _admin = org_with_people()
    client.force_login(staff)

    response = client.post(CREATE, form_data(budget="冬衣 6000\n学习用品 -1\n\n交通\n冬衣 5"))

    errors = field_errors(response.content.decode(), "budget")
    assert "Line 2 (“学习用品 -1”)" in errors
    assert "Line 4 (“交通”)" in errors
    assert "Line 5 (“冬衣 5”): the category “冬衣” is there twice." in errors
    assert "Line 1" not in errors


def test_odd_but_printable_unicode_is_kept_as_typed(client):
    _organization, staff, _admin = org_with_people()
    client.force_login(staff)
    title = "爱心𠀀 ❤️ Ünïcödé 😀"

    client.post(CREATE, form_data(title=title, budget="𠀀 冬衣 😀：¥6,000.50\nBooks, 1200 元"))

    project = DonationProject.objects.get()
    assert project.title == title
    assert list(project.budget_lines.values_list("category", "amount")) == [
        ("𠀀 冬衣 😀", Decimal("6000.50")),
        ("Books", Decimal("1200.00")),
    ]


def test_budget_and_questions_read_back_as_they_were_written():
    lines = parse_budget("冬衣 6000\n学习用品：4,000.50\n")
    assert lines == [("冬衣", Decimal("6000")), ("学习用品", Decimal("4000.50"))]
    assert parse_budget(format_budget(lines)) == lines
    questions = parse_questions("捐赠用途 *\n开票: 个人 / 单位")
    assert questions == [
        {"label": "捐赠用途", "required": True, "choices": []},
        {"label": "开票", "required": False, "choices": ["个人", "单位"]},
    ]
    assert parse_questions(format_questions(questions)) == questions


def test_a_text_file_named_jpg_is_refused_as_a_cover(client):
    _organization, staff, _admin = org_with_people()
    client.force_login(staff)

    response = client.post(
        CREATE, {**form_data(), "cover": SimpleUploadedFile("c.jpg", b"not an image")}
    )

    assert response.status_code == 200
    assert "errorlist" in field_errors(response.content.decode(), "cover")
    assert not DonationProject.objects.exists()


def test_a_png_cover_is_stored_as_a_resized_jpeg(client):
    _organization, staff, _admin = org_with_people()
    client.force_login(staff)
    image = Image.new("RGBA", (3200, 1000), (200, 30, 30, 128))
    out = io.BytesIO()
    image.save(out, format="PNG")

    client.post(CREATE, {**form_data(), "cover": SimpleUploadedFile("c.png", out.getvalue())})

    cover = DonationProject.objects.get().cover
    assert cover.name.startswith("donations/covers/")
    with Image.open(cover) as stored:
        assert (stored.format, stored.size) == ("JPEG", (1600, 500))


# --- the services' own checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": timezone.localdate() - datetime.timedelta(days=10)}, "ends_on"),
        ({"target_amount": Decimal("NaN")}, "target_amount"),
        ({"target_amount": Decimal("-1")}, "target_amount"),
        ({"target_amount": Decimal("10000000000.00")}, "target_amount"),
        ({"budget": []}, "budget"),
        ({"budget": [(f"类别{n}", Decimal("1")) for n in range(31)]}, "budget"),
        ({"budget": [("冬衣", Decimal("1")), ("冬衣 ", Decimal("2"))]}, "budget"),
        ({"budget": [("冬衣", Decimal("0"))]}, "budget"),
        ({"budget": [("冬衣", Decimal("-5"))]}, "budget"),
        ({"budget": [("冬衣", Decimal("Infinity"))]}, "budget"),
        ({"budget": [("x" * 101, Decimal("5"))]}, "budget"),
        ({"questions": [{"label": f"问题{n}", "choices": []} for n in range(6)]}, "questions"),
        ({"questions": [{"label": "  ", "choices": []}]}, "questions"),
        ({"title": "标题\x00"}, "title"),
    ],
)
def test_the_service_refuses_what_the_form_would(overrides, field):
    organization, staff, _admin = org_with_people()
    fields = {"budget": BUDGET, **project_fields(), **overrides}

    with pytest.raises(ValidationError) as refused:
        services.project_create(actor=staff, organization=organization, **fields)

    assert field in refused.value.message_dict
    assert not DonationProject.objects.exists()


def test_a_submitted_project_is_not_edited_and_an_open_one_not_submitted():
    organization, staff, _admin = org_with_people()
    project = draft(staff, organization)
    services.project_submit(project_id=project.pk, actor=staff)

    with pytest.raises(ValidationError):
        services.project_update(project_id=project.pk, actor=staff, title="偷偷改")
    opened = project_in(Status.OPEN, organization=organization, created_by=staff)
    with pytest.raises(TransitionNotAllowed):
        services.project_submit(project_id=opened.pk, actor=staff)
    project.refresh_from_db()
    assert project.title != "偷偷改"


def test_a_project_whose_end_date_passed_is_not_submitted():
    project = project_in(
        Status.DRAFT,
        starts_on=timezone.localdate() - datetime.timedelta(days=20),
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
    )

    with pytest.raises(ValidationError, match="end date has passed"):
        services.project_submit(project_id=project.pk, actor=project.created_by)

    project.refresh_from_db()
    assert project.status == Status.DRAFT


def test_an_update_with_a_budget_replaces_the_lines_in_their_order():
    project = project_in(Status.DRAFT)

    services.project_update(
        project_id=project.pk,
        actor=project.created_by,
        budget=[("交通", Decimal("100")), ("冬衣", Decimal("50.5"))],
    )

    assert list(
        BudgetLine.objects.filter(project=project).values_list("position", "category", "amount")
    ) == [(0, "交通", Decimal("100.00")), (1, "冬衣", Decimal("50.50"))]


def test_nobody_outside_the_organization_submits_closes_or_cancels():
    project = project_in(Status.OPEN)
    outsider = UserFactory()
    draft_project = project_in(Status.DRAFT)

    with pytest.raises(PermissionDenied):
        services.project_close(project_id=project.pk, actor=outsider)
    with pytest.raises(PermissionDenied):
        services.project_cancel(project_id=project.pk, actor=outsider, reason="x")
    with pytest.raises(PermissionDenied):
        services.project_submit(project_id=draft_project.pk, actor=outsider)
    with pytest.raises(PermissionDenied):
        services.project_update(project_id=draft_project.pk, actor=outsider, title="x")
    assert not AuditEvent.objects.filter(actor=outsider).exists()


def test_a_rejection_without_a_reason_changes_nothing(approver, django_capture_on_commit_callbacks):
    organization, staff, _admin = org_with_people()
    project = draft(staff, organization)
    services.project_submit(project_id=project.pk, actor=staff)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        services.project_review(project_id=project.pk, actor=approver, decision="reject")

    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert callbacks == []
    assert not Notification.objects.filter(recipient=staff).exists()
    assert not AuditEvent.objects.filter(action="donation_project.rejected").exists()


# --- the schedule ------------------------------------------------------------------------------


def test_the_schedule_closes_projects_past_their_end_date_once():
    today = timezone.localdate()
    ended = project_in(
        Status.OPEN,
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=1),
    )
    ends_today = project_in(Status.OPEN, ends_on=today)
    ended_draft = project_in(
        Status.DRAFT,
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=1),
    )

    assert donation_projects_close_ended() == 1
    assert services.projects_close_ended() == 0

    for project in (ended, ends_today, ended_draft):
        project.refresh_from_db()
    assert (ended.status, ends_today.status, ended_draft.status) == (
        Status.CLOSED,
        Status.OPEN,
        Status.DRAFT,
    )
    event = AuditEvent.objects.get(action="donation_project.closed")
    assert (event.actor, event.from_state, event.to_state, event.payload["by_schedule"]) == (
        None,
        "open",
        "closed",
        True,
    )
    assert Notification.objects.get(recipient=ended.created_by).subject == (
        f"Donation project closed: {ended.title}"
    )
    # Tomorrow, the project that ended today closes too.
    assert services.projects_close_ended(today=today + datetime.timedelta(days=1)) == 1
    ends_today.refresh_from_db()
    assert ends_today.status == Status.CLOSED


def test_a_member_added_later_works_on_the_project(client):
    project = project_in(Status.DRAFT)
    newcomer = member(project.organization)
    client.force_login(newcomer)

    assert project.get_absolute_url() in page(client, MANAGE)
    client.post(reverse("donations:submit", args=[project.pk]), {"expected_status": "draft"})

    project.refresh_from_db()
    assert project.status == Status.SUBMITTED
    assert AuditEvent.objects.get(action="donation_project.submitted").actor == newcomer


def test_communities_are_offered_by_name(client):
    _organization, staff, _admin = org_with_people()
    CommunityFactory(name="Zeta")
    CommunityFactory(name="Alpha")
    client.force_login(staff)

    form = page(client, CREATE)

    assert form.index(">Alpha<") < form.index(">Zeta<")
    assert "Beneficiary community" in form
