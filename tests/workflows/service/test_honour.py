"""Honour hours, driven as their users do: the staff record and submit them through the pages,
an administrator of the organization decides in the inbox's review task."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import OrganizationMembership, User
from accounts.services import organization_member_add
from audit.models import AuditEvent
from signing import services as signing_services
from tests.audit.helpers import denials
from tests.factories import OrganizationFactory, UserFactory, pdf_upload
from workflows.inbox.services import task_claim, task_complete
from workflows.service import services
from workflows.service.flows import HonourHoursFlow
from workflows.service.models import HonourHours, Kind, ServiceRecord

pytestmark = pytest.mark.django_db

Status = HonourHours.Status
Role = OrganizationMembership.Role


def member(organization, role, username):
    user = UserFactory(username=username)
    organization_member_add(organization=organization, user=user, role=role, actor=None)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def staff(organization):
    return member(organization, Role.STAFF, "staff")


@pytest.fixture
def admin(organization):
    return member(organization, Role.ADMIN, "admin")


@pytest.fixture
def person():
    return UserFactory(username="volunteer", email="volunteer@example.org")


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def form_data(organization, volunteer, **overrides):
    data = {
        "organization": organization.pk,
        "person": volunteer.username,
        "served_on": yesterday().isoformat(),
        "hours": "3.5",
        "description": "为独居老人代购药品并陪同复诊。",
        "evidence": pdf_upload("receipt.pdf"),
    }
    data.update(overrides)
    return data


def open_task(entry, node="review") -> Task:
    return Task.objects.get(
        process__honourhoursprocess__honour_hours=entry,
        flow_task=getattr(HonourHoursFlow, node),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def claim_and_open(client, task) -> str:
    response = client.post(reverse("inbox:claim", args=[task.pk]))
    assert response.status_code == 302
    return response["Location"]


def execute_url(task) -> str:
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def record_and_submit(client, staff, organization, person, **overrides) -> HonourHours:
    client.force_login(staff)
    response = client.post(
        reverse("service:honour_create"),
        {**form_data(organization, person, **overrides), "submit": "1"},
    )
    entry = HonourHours.objects.get()
    assert response.status_code == 302
    assert response["Location"] == entry.get_absolute_url()
    return entry


def transitions(entry) -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(target_id=str(entry.pk), action__startswith="honour_hours.")
        .order_by("pk")
        .values_list("action", "from_state", "to_state")
    )


def test_approved_honour_hours_become_a_record_with_a_signed_certificate_apart_from_credit(
    client, organization, staff, admin, person
):
    entry = record_and_submit(client, staff, organization, person)
    assert entry.status == Status.SUBMITTED
    assert entry.evidence.name.endswith(".pdf")
    assert "receipt" not in entry.evidence.name  # stored under a name of its own

    # The admin finds the task in the inbox, claims it and approves.
    client.force_login(admin)
    inbox = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert str(entry) in inbox
    task_url = claim_and_open(client, open_task(entry))
    page = client.get(task_url).content.decode()
    assert "Review honour hours" in page
    assert reverse("service:honour_evidence", args=[entry.pk]) in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(task_url, {"decision": "approve", "comment": ""})
    assert response.status_code == 302

    entry.refresh_from_db()
    assert entry.status == Status.APPROVED
    assert entry.reviewed_by == admin
    record = ServiceRecord.objects.get(honour_entry=entry)
    assert (record.kind, record.person, record.organization) == (Kind.HONOUR, person, organization)
    assert (record.hours, record.points, record.served_on) == (Decimal("3.50"), 0, yesterday())
    assert record.title.startswith("Honour hours: 为独居老人代购药品")
    assert record.certificate is not None
    with record.certificate.file.open("rb") as stored:
        assert signing_services.validate_pdf(stored.read()).ok
    assert not Task.objects.filter(
        process__honourhoursprocess__honour_hours=entry, finished__isnull=True
    ).exists()

    # The person's own page counts them as honour hours, not credit hours.
    client.force_login(person)
    mine = client.get(reverse("service:mine")).content.decode()
    assert 'id="total-honour">3.50<' in mine
    assert 'id="total-credit">0.00<' in mine
    assert transitions(entry) == [
        ("honour_hours.created", "", Status.DRAFT),
        ("honour_hours.submitted", Status.DRAFT, Status.SUBMITTED),
        ("honour_hours.approved", Status.SUBMITTED, Status.APPROVED),
    ]
    assert AuditEvent.objects.filter(
        action="service_record.created", target_id=str(record.pk), actor=admin
    ).exists()


def test_changes_requested_then_resubmitted_return_to_the_same_admin_who_approves(
    client, organization, staff, admin, person
):
    other_admin = member(organization, Role.ADMIN, "admin2")
    entry = record_and_submit(client, staff, organization, person)
    client.force_login(admin)
    task_url = claim_and_open(client, open_task(entry))
    response = client.post(task_url, {"decision": "request_changes", "comment": "请附上药店小票"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Status.CHANGES_REQUESTED

    # The recorder's revise task shows the comment; they correct the hours and resubmit.
    revise = open_task(entry, "revise")
    assert revise.owner == staff
    client.force_login(staff)
    page = client.get(execute_url(revise)).content.decode()
    assert "请附上药店小票" in page
    assert 'id="review-comment"' in page
    response = client.post(
        execute_url(revise),
        {
            "person": person.email.upper(),
            "served_on": yesterday().isoformat(),
            "hours": "2",
            "description": "代购药品（附小票）。",
            "evidence": pdf_upload("小票.pdf"),
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.hours, entry.review_comment) == (
        Status.SUBMITTED,
        Decimal("2.00"),
        "",
    )

    # Back to the admin who asked, not to the queue of the other admin.
    review = open_task(entry)
    assert review.owner == admin
    client.force_login(other_admin)
    available = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert execute_url(review) not in available
    client.force_login(admin)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(execute_url(review), {"decision": "approve", "comment": "好"})
    entry.refresh_from_db()
    assert entry.status == Status.APPROVED
    assert ServiceRecord.objects.get(honour_entry=entry).hours == Decimal("2.00")
    assert transitions(entry) == [
        ("honour_hours.created", "", Status.DRAFT),
        ("honour_hours.submitted", Status.DRAFT, Status.SUBMITTED),
        ("honour_hours.changes_requested", Status.SUBMITTED, Status.CHANGES_REQUESTED),
        ("honour_hours.updated", Status.CHANGES_REQUESTED, Status.CHANGES_REQUESTED),
        ("honour_hours.resubmitted", Status.CHANGES_REQUESTED, Status.SUBMITTED),
        ("honour_hours.approved", Status.SUBMITTED, Status.APPROVED),
    ]


def test_a_rejection_says_why_and_creates_no_record(client, organization, staff, admin, person):
    entry = record_and_submit(client, staff, organization, person)
    client.force_login(admin)
    task_url = claim_and_open(client, open_task(entry))
    response = client.post(task_url, {"decision": "reject", "comment": ""})
    assert response.status_code == 200
    assert "Give the author a reason." in response.content.decode()

    client.post(task_url, {"decision": "reject", "comment": "不属于志愿服务"})

    entry.refresh_from_db()
    assert (entry.status, entry.review_comment) == (Status.REJECTED, "不属于志愿服务")
    assert not ServiceRecord.objects.exists()
    client.force_login(staff)
    assert "不属于志愿服务" in client.get(entry.get_absolute_url()).content.decode()
    assert transitions(entry)[-1] == ("honour_hours.rejected", Status.SUBMITTED, Status.REJECTED)


def test_an_admin_who_recorded_the_hours_cannot_approve_them(client, organization, admin, person):
    entry = record_and_submit(client, admin, organization, person)
    task = open_task(entry)

    available = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert str(entry) not in available
    assert client.post(reverse("inbox:claim", args=[task.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        services.honour_hours_review(entry_id=entry.pk, actor=admin, decision="approve")
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    task.refresh_from_db()
    assert task.owner is None


def test_staff_who_are_not_admins_do_not_see_the_review(client, organization, staff, admin, person):
    colleague = member(organization, Role.STAFF, "colleague")
    signer = member(organization, Role.SIGNER, "signer")
    entry = record_and_submit(client, staff, organization, person)
    for user in (colleague, signer, UserFactory(username="approver", approver=True)):
        client.force_login(user)
        page = client.get(reverse("inbox:index") + "?tab=available").content.decode()
        assert str(entry) not in page
        assert client.post(reverse("inbox:claim", args=[open_task(entry).pk])).status_code == 404


def test_outsiders_get_404_everywhere_and_the_refusal_is_audited(
    client, organization, staff, person
):
    entry = record_and_submit(client, staff, organization, person)
    outsider = UserFactory(username="outsider")
    other_org_staff = member(OrganizationFactory(), Role.ADMIN, "elsewhere")
    for user in (outsider, other_org_staff):
        client.force_login(user)
        for name in ("honour_detail", "honour_edit", "honour_evidence"):
            assert client.get(reverse(f"service:{name}", args=[entry.pk])).status_code == 404
        submit = reverse("service:honour_submit", args=[entry.pk])
        assert client.post(submit).status_code == 404
    assert denials().filter(target_id=str(entry.pk)).count() == 2
    # Someone outside every organization has no list and no form either.
    client.force_login(outsider)
    assert client.get(reverse("service:honour_list")).status_code == 404
    assert client.get(reverse("service:honour_create")).status_code == 404
    # The other organization's staff do not see the entry in their list.
    client.force_login(other_org_staff)
    assert str(entry.person) not in client.get(reverse("service:honour_list")).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"description": "a\x00b"}, "description", "Null characters are not allowed."),
        ({"description": "长" * 5000}, "description", "at most 2000 characters"),
        ({"person": "x" * 5000}, "person", "at most 254 characters"),
        ({"person": "nobody-here"}, "person", "No one has this username or email."),
        ({"hours": "0"}, "hours", "greater than or equal to 0.25"),
        ({"hours": "99"}, "hours", "less than or equal to 24"),
        ({"hours": "abc"}, "hours", "Enter a number."),
        ({"served_on": "2999-01-01"}, "served_on", "The date of service cannot be in the future."),
        ({"served_on": "not a date"}, "served_on", "Enter a valid date."),
        (
            {"evidence": SimpleUploadedFile("e.pdf", b"<html>not a pdf</html>", "application/pdf")},
            "evidence",
            "not an accepted type",
        ),
    ],
)
def test_bad_input_gives_a_form_error_and_records_nothing(
    client, organization, staff, person, overrides, field, message
):
    client.force_login(staff)
    response = client.post(
        reverse("service:honour_create"), {**form_data(organization, person, **overrides)}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not HonourHours.objects.exists()


def test_a_huge_evidence_file_is_refused_as_too_large(
    client, organization, staff, person, settings
):
    settings.ACCORD_MAX_UPLOAD_BYTES = 50_000
    client.force_login(staff)
    huge = SimpleUploadedFile("big.pdf", pdf_upload().read() + b"%" * 60_000, "application/pdf")
    response = client.post(
        reverse("service:honour_create"), form_data(organization, person, evidence=huge)
    )
    assert response.status_code == 400
    assert "The file is too large" in " ".join(response.context["form"].errors["evidence"])
    assert not HonourHours.objects.exists()


def test_a_draft_is_edited_then_submitted_and_no_longer_editable(
    client, organization, staff, person
):
    client.force_login(staff)
    client.post(reverse("service:honour_create"), form_data(organization, person))
    entry = HonourHours.objects.get()
    assert entry.status == Status.DRAFT
    edit = reverse("service:honour_edit", args=[entry.pk])
    assert person.username in client.get(edit).content.decode()
    response = client.post(
        edit,
        {**form_data(organization, person, hours="4"), "expected_status": Status.DRAFT},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.hours == Decimal("4.00")

    client.post(
        reverse("service:honour_submit", args=[entry.pk]), {"expected_status": Status.DRAFT}
    )
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    response = client.post(edit, form_data(organization, person, hours="5"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.hours == Decimal("4.00")
    # A second submit of a stale page changes nothing.
    response = client.post(
        reverse("service:honour_submit", args=[entry.pk]), {"expected_status": Status.DRAFT}
    )
    assert response.status_code == 302
    assert HonourHours.objects.get().status == Status.SUBMITTED


def test_the_list_filters_by_state_and_links_from_the_navigation(
    client, organization, staff, person
):
    draft = services.honour_hours_create(
        actor=staff,
        organization=organization,
        person=person,
        served_on=yesterday(),
        hours=Decimal("1"),
        description="草稿",
    )
    submitted = services.honour_hours_create(
        actor=staff,
        organization=organization,
        person=person,
        served_on=yesterday(),
        hours=Decimal("2"),
        description="已提交",
    )
    services.honour_hours_submit(entry_id=submitted.pk, actor=staff)
    client.force_login(staff)

    page = client.get(reverse("service:honour_list")).content.decode()
    only_submitted = client.get(
        reverse("service:honour_list") + "?status=submitted"
    ).content.decode()

    assert draft.get_absolute_url() in page
    assert submitted.get_absolute_url() in page
    assert submitted.get_absolute_url() in only_submitted
    assert draft.get_absolute_url() not in only_submitted
    assert f'href="{reverse("service:honour_list")}"' in page  # the navigation entry


def _entries(organization, staff, count):
    people = [UserFactory() for _ in range(count)]
    HonourHours.objects.bulk_create(
        [
            HonourHours(
                organization=organization,
                person=p,
                served_on=yesterday(),
                hours=Decimal("1"),
                description="服务",
                created_by=staff,
            )
            for p in people
        ]
    )


def test_the_list_costs_the_same_queries_at_1_and_50_rows(client, organization, staff):
    client.force_login(staff)
    url = reverse("service:honour_list")
    _entries(organization, staff, 1)
    client.get(url)  # warm the caches (content types, the session)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _entries(organization, staff, 49)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url)
    assert len(response.context["entries"]) == 50
    assert len(fifty) == len(one)


def _submitted(organization, staff, person) -> HonourHours:
    entry = services.honour_hours_create(
        actor=staff,
        organization=organization,
        person=person,
        served_on=yesterday(),
        hours=Decimal("3"),
        description="探访",
    )
    return services.honour_hours_submit(entry_id=entry.pk, actor=staff)


def _approve(entry, admin) -> None:
    task = open_task(entry)
    task_claim(task_id=task.pk, user=admin)
    with task_complete(task_id=task.pk, user=admin, flow_task=task.flow_task):
        services.honour_hours_review(entry_id=entry.pk, actor=admin, decision="approve")


def _approve_then_fail(entry, admin) -> None:
    with transaction.atomic():
        _approve(entry, admin)
        raise RuntimeError("the request failed after the decision")


def test_the_certificate_is_enqueued_when_the_approval_commits_and_not_on_rollback(
    organization, staff, admin, person
):
    entry = _submitted(organization, staff, person)
    with TestCase.captureOnCommitCallbacks() as queued, pytest.raises(RuntimeError):
        _approve_then_fail(entry, admin)
    assert queued == []
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert not ServiceRecord.objects.exists()

    with TestCase.captureOnCommitCallbacks() as queued:
        _approve(entry, admin)
    record = ServiceRecord.objects.get(honour_entry=entry)
    assert record.certificate is None  # not before the commit
    for callback in queued:
        callback()
    record.refresh_from_db()
    assert record.certificate is not None


def test_services_refuse_the_wrong_state_and_people_outside_the_organization(
    organization, staff, admin, person
):
    entry = _submitted(organization, staff, person)
    with pytest.raises(TransitionNotAllowed):
        services.honour_hours_submit(entry_id=entry.pk, actor=staff)
    with pytest.raises(ValidationError):
        services.honour_hours_update(entry_id=entry.pk, actor=staff, hours=Decimal("1"))
    with pytest.raises(PermissionDenied):
        services.honour_hours_create(
            actor=UserFactory(username="stranger"),
            organization=organization,
            person=person,
            served_on=yesterday(),
            hours=Decimal("1"),
            description="x",
        )
    with pytest.raises(ValidationError) as future:
        services.honour_hours_create(
            actor=staff,
            organization=organization,
            person=person,
            served_on=timezone.localdate() + datetime.timedelta(days=1),
            hours=Decimal("30"),
            description=" ",
        )
    assert set(future.value.message_dict) == {"served_on", "hours", "description"}
    assert HonourHours.objects.count() == 1
