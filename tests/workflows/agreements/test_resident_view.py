"""Residents read their community's signed agreements (issue 14, part 4): the paper's "view"."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import audit.services as audit
from accounts.models import Residency
from audit.models import AuditEvent
from documents.access import can_read
from documents.models import Document
from tests.factories import CommunityFactory, UserFactory
from workflows.agreements import permissions, selectors
from workflows.agreements.models import AidAgreement
from workflows.agreements.pdfs import AGREEMENT_EVIDENCE

Status = AidAgreement.Status


def resident_of(community, username="resident", status=Residency.Status.CONFIRMED):
    user = UserFactory(username=username)
    Residency.objects.create(user=user, community=community, status=status)
    return user


def agreement_row(community, organization, initiator, status, n=0) -> AidAgreement:
    today = timezone.localdate()
    return AidAgreement.objects.create(
        community=community,
        organization=organization,
        title=f"帮扶协议 {status} {n}",
        scope="课后辅导",
        terms="第一条",
        effective_date=today,
        end_date=today + datetime.timedelta(days=365),
        initiator=initiator,
        status=status,
    )


@pytest.fixture
def resident(community):
    return resident_of(community)


@pytest.mark.parametrize(
    ("status", "visible"),
    [
        (Status.DRAFT, False),
        (Status.PENDING_ORG_SIGNATURE, False),
        (Status.PENDING_COMMUNITY_SIGNATURE, False),
        (Status.DECLINED, False),
        (Status.WITHDRAWN, False),
        (Status.ACTIVE, True),
        (Status.TERMINATION_REQUESTED, True),
        (Status.EXPIRED, True),
        (Status.TERMINATED, True),
    ],
)
def test_a_confirmed_resident_sees_only_signed_agreements_of_their_community(
    client, resident, community, organization, manager, status, visible
):
    agreement = agreement_row(community, organization, manager, status)
    client.force_login(resident)

    response = client.get(agreement.get_absolute_url())
    listed = client.get(reverse("agreements:list")).content.decode()

    assert (response.status_code == 200) is visible
    assert (agreement.title in listed) is visible
    assert permissions.can_view_as_resident(agreement, resident) is visible
    assert (agreement in selectors.agreement_list_for_resident(user=resident)) is visible


@pytest.mark.parametrize("who", ["other_community", "pending", "no_residency"])
def test_other_residents_get_404_and_the_refusal_is_audited(
    client, community, organization, manager, who
):
    agreement = agreement_row(community, organization, manager, Status.ACTIVE)
    user = {
        "other_community": lambda: resident_of(CommunityFactory(name="东坝社区"), "elsewhere"),
        "pending": lambda: resident_of(community, "newcomer", Residency.Status.PENDING),
        "no_residency": lambda: UserFactory(username="nobody"),
    }[who]()
    client.force_login(user)

    response = client.get(agreement.get_absolute_url())

    assert response.status_code == 404
    denial = AuditEvent.objects.filter(action="permission.denied", actor=user).latest("pk")
    assert denial.target_id == str(agreement.pk)
    assert agreement.title not in client.get(reverse("agreements:list")).content.decode()


def test_a_pending_resident_is_told_why_the_list_is_empty(client, community):
    client.force_login(resident_of(community, "newcomer", Residency.Status.PENDING))
    page = client.get(reverse("agreements:list")).content.decode()
    assert 'id="awaiting-residency"' in page


def test_the_resident_reads_the_signed_pdf_without_actions_or_internals(
    client, rf, active, resident, manager
):
    # An event recorded from a client address, as a page records it.
    request = rf.get("/", REMOTE_ADDR="203.0.113.7")
    audit.record(action="agreement.updated", actor=manager, target=active, request=request)
    assert AuditEvent.objects.filter(ip_address="203.0.113.7").exists()
    client.force_login(resident)
    page = client.get(active.get_absolute_url()).content.decode()

    download = reverse("documents:file", args=[active.document.pk])
    assert download in page
    assert active.organization.name in page
    assert active.community.name in page
    assert active.end_date.strftime("%Y-%m-%d") in page
    # Read-only: no form, no termination request, no task, no evidence, no client address.
    assert "<form" not in page.split('id="resident-agreement"')[1]
    assert reverse("agreements:request_termination", args=[active.pk]) not in page
    assert "203.0.113.7" not in page
    assert 'title="task.' not in page
    assert 'title="agreement.signed"' in page  # the timeline is there, without internals

    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert can_read(resident, active.document)


def test_the_resident_cannot_request_termination(client, active, resident):
    client.force_login(resident)
    response = client.post(
        reverse("agreements:request_termination", args=[active.pk]),
        {"reason": "不想要了", "effective_date": "2030-01-01", "expected_status": "active"},
    )
    active.refresh_from_db()
    assert response.status_code == 404
    assert active.status == Status.ACTIVE
    assert not active.termination_requests.exists()
    denial = AuditEvent.objects.filter(action="permission.denied", actor=resident).latest("pk")
    assert denial.target_id == str(active.pk)


def test_a_resident_of_another_community_cannot_read_the_pdf(client, active, community):
    elsewhere = resident_of(CommunityFactory(name="东坝社区"), "elsewhere")
    client.force_login(elsewhere)
    assert not can_read(elsewhere, active.document)
    response = client.get(reverse("documents:file", args=[active.document.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action="permission.denied", actor=elsewhere, target_id=str(active.document.pk)
    ).exists()


def test_residents_get_the_agreements_entry_in_the_navigation(client, resident):
    client.force_login(resident)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("agreements:list")}"' in page


def test_the_resident_list_costs_the_same_queries_at_1_and_20_agreements(
    client, resident, community, organization, manager
):
    client.force_login(resident)
    url = reverse("agreements:list")

    def count():
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        assert response.status_code == 200
        return len(context.captured_queries), response.content.decode()

    agreement_row(community, organization, manager, Status.ACTIVE, 0)
    client.get(url)  # process-wide caches warm up on a first request
    one, page = count()
    assert page.count("帮扶协议 active") == 1
    for n in range(1, 20):
        agreement_row(community, organization, manager, Status.EXPIRED, n)
        agreement_row(community, organization, manager, Status.DRAFT, n)
    twenty, page = count()
    assert page.count("帮扶协议 expired") == 19
    assert "帮扶协议 draft" not in page
    assert one == twenty


def test_the_resident_reads_the_agreement_but_not_its_signing_evidence(active, resident):
    evidence = Document.objects.get(pk=active.document.pk)
    evidence.pk = None
    evidence.kind = AGREEMENT_EVIDENCE
    evidence.verification_code = "EVIDENCE0001"
    evidence.document_code = "EVIDENCE0001"
    evidence.save()

    assert can_read(resident, active.document)
    assert not can_read(resident, evidence)
    assert can_read(active.initiator, evidence)  # a party reads it
