"""Stored PDFs are private: the download view streams one only to whom the owner's registered
reader policy allows; everyone else gets the same 404 as for a missing document."""

import datetime

import pytest
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import Organization, OrganizationMembership
from audit.models import AuditEvent
from documents import access, services
from documents.models import Document
from tests.factories import OrganizationFactory, UserFactory


@pytest.fixture
def organization(db) -> Organization:
    return OrganizationFactory()


@pytest.fixture
def letter(organization) -> Document:
    return services.document_render(
        owner=organization,
        kind="approval_letter",
        title="Approval letter",
        template_name="pdf/approval_letter.html",
        context={
            "organization_name": organization.name,
            "credit_code": organization.credit_code,
            "approval_date": datetime.date(2025, 3, 1),
            "approver_name": "Approver Zhang",
        },
        language="en",
    )


@pytest.fixture
def reader_policy(monkeypatch):
    """Organization documents are readable by whoever may view the organization."""
    monkeypatch.setattr(access, "_policies", {})
    access.register_reader(
        Organization,
        lambda user, organization: user.has_perm("accounts.view_organization", organization),
    )


@pytest.fixture
def staff_member(organization):
    user = UserFactory(username="staffer")
    accounts_services.organization_member_add(
        organization=organization, user=user, role=OrganizationMembership.Role.STAFF, actor=None
    )
    return user


def file_url(document: Document) -> str:
    return reverse("documents:file", args=[document.pk])


def download(client, document: Document) -> bytes:
    return b"".join(client.get(file_url(document)).streaming_content)


def test_a_member_the_policy_allows_downloads_the_stored_pdf_as_a_private_attachment(
    client, letter, reader_policy, staff_member, organization
):
    client.force_login(staff_member)

    response = client.get(file_url(letter))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="approval_letter-{organization.pk}-v1.pdf"'
    )
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert b"".join(response.streaming_content) == letter.file.read()


def test_someone_the_policy_refuses_gets_404_and_the_refusal_is_audited(
    client, letter, reader_policy
):
    outsider = UserFactory(username="outsider")
    client.force_login(outsider)

    response = client.get(file_url(letter))

    assert response.status_code == 404
    event = AuditEvent.objects.get(action="permission.denied")
    assert event.actor == outsider
    assert event.target_id == str(letter.pk)
    assert event.payload == {
        "path": file_url(letter),
        "reason": "not_visible",
        "document_id": letter.pk,
    }


def test_a_member_of_another_organization_gets_404(client, letter, reader_policy):
    other_member = UserFactory(username="elsewhere")
    accounts_services.organization_member_add(
        organization=OrganizationFactory(),
        user=other_member,
        role=OrganizationMembership.Role.ADMIN,
        actor=None,
    )
    client.force_login(other_member)

    assert client.get(file_url(letter)).status_code == 404


def test_a_missing_document_answers_the_same_404(client, letter, reader_policy, staff_member):
    client.force_login(staff_member)

    response = client.get(reverse("documents:file", args=[letter.pk + 1000]))

    assert response.status_code == 404


def test_without_a_registered_policy_only_superusers_read(
    client, letter, staff_member, monkeypatch
):
    monkeypatch.setattr(access, "_policies", {})
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)

    client.force_login(staff_member)
    refused = client.get(file_url(letter))
    client.force_login(superuser)
    allowed = download(client, letter)

    assert refused.status_code == 404
    assert allowed == letter.file.read()


def test_anonymous_visitors_are_sent_to_log_in(client, letter, reader_policy):
    response = client.get(file_url(letter))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_stored_files_have_no_public_url(client, letter, reader_policy, staff_member):
    client.force_login(staff_member)

    assert client.get(letter.file.url).status_code == 404


def test_the_admin_lists_documents_read_only_and_links_to_the_checked_download(client, letter):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(superuser)

    listing = client.get(reverse("admin:documents_document_changelist"))
    detail = client.get(reverse("admin:documents_document_change", args=[letter.pk]))
    add = client.get(reverse("admin:documents_document_add"))

    assert listing.status_code == 200
    assert letter.verification_code in listing.content.decode()
    assert file_url(letter) in detail.content.decode()
    assert letter.file.url not in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
    assert add.status_code == 403
