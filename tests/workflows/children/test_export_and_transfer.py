"""Exporting an organization's children's records (its admins only, audited, masked) and
moving a record to another organization (requested by an org admin, decided by a platform
admin); notifications never name the child."""

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.models import Notification, OrganizationMembership
from audit.models import AuditEvent
from tests.audit.helpers import denials
from tests.factories import OrganizationFactory, UserFactory
from workflows.children import services
from workflows.children.models import ChildRecord, ChildTransfer

from .helpers import HEALTH_NOTES, ID_NUMBER, make_record, member

pytestmark = pytest.mark.django_db

Role = OrganizationMembership.Role
Status = ChildTransfer.Status


@pytest.fixture
def organization():
    return OrganizationFactory(name="Sunshine")


@pytest.fixture
def staff(organization):
    return member(organization, Role.STAFF, "staff")


@pytest.fixture
def admin(organization):
    return member(organization, Role.ADMIN, "orgadmin")


@pytest.fixture
def record(organization, staff):
    return make_record(organization, staff)


@pytest.fixture
def target():
    return OrganizationFactory(name="Harbour")


@pytest.fixture
def target_admin(target):
    return member(target, Role.ADMIN, "harbouradmin")


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def export_url(organization) -> str:
    return reverse("children:export", args=[organization.pk])


def test_the_organization_admin_exports_masked_formula_safe_csv_and_the_export_is_audited(
    client, organization, staff, admin
):
    make_record(organization, staff, name="=HYPERLINK(1)")
    make_record(organization, staff, name="王小明")
    other = OrganizationFactory()
    make_record(other, member(other, Role.STAFF, "s2"), name="别家孩子")
    client.force_login(admin)
    assert export_url(organization) in client.get(reverse("children:list")).content.decode()
    response = client.get(export_url(organization))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    text = response.content.decode("utf-8-sig")
    assert "王小明" in text
    assert "'=HYPERLINK(1)" in text
    assert "别家孩子" not in text
    assert "**************1234" in text
    assert ID_NUMBER not in text
    assert HEALTH_NOTES not in text
    event = AuditEvent.objects.get(action="child_records.exported")
    assert (event.actor, event.target_id) == (admin, str(organization.pk))
    assert event.payload["count"] == 2


@pytest.mark.parametrize("who", ["staff", "other_admin", "superuser", "approver"])
def test_only_the_organization_admin_may_export(client, organization, staff, who):
    make_record(organization, staff)
    users = {
        "staff": lambda: staff,
        "other_admin": lambda: member(OrganizationFactory(), Role.ADMIN, "elsewhere"),
        "superuser": lambda: UserFactory(username="root", is_superuser=True),
        "approver": lambda: UserFactory(username="approver", approver=True),
    }
    user = users[who]()
    client.force_login(user)
    assert client.get(export_url(organization)).status_code == 404
    assert denials().get().actor == user
    assert not AuditEvent.objects.filter(action="child_records.exported").exists()


def request_transfer(client, admin, record, target, reason="家庭搬迁到对方服务区。"):
    client.force_login(admin)
    return client.post(
        reverse("children:transfer_request", args=[record.pk]),
        {"to_organization": target.pk, "reason": reason},
    )


def test_a_transfer_requested_by_the_org_admin_and_approved_by_a_platform_admin_moves_it(
    client, organization, staff, admin, record, target, target_admin, superuser
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = request_transfer(client, admin, record, target)
    assert response.status_code == 302
    transfer = ChildTransfer.objects.get()
    assert (transfer.status, transfer.from_organization, transfer.to_organization) == (
        Status.REQUESTED,
        organization,
        target,
    )
    requested = AuditEvent.objects.get(action="child_transfer.requested")
    assert requested.actor == admin
    # The platform admin is told, without the child's name.
    notice = Notification.objects.get(recipient=superuser)
    assert notice.url == transfer.get_absolute_url()
    assert "王小明" not in notice.subject + notice.body
    assert all("王小明" not in m.subject + m.body for m in mail.outbox)

    # Staff cannot request one; an approver who is not an admin cannot decide one.
    approver = UserFactory(username="approver", approver=True)
    client.force_login(approver)
    url = reverse("children:transfer_detail", args=[transfer.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("children:transfer_list")).status_code == 404

    client.force_login(superuser)
    assert "Sunshine" in client.get(reverse("children:transfer_list")).content.decode()
    page = client.get(url).content.decode()
    assert "Harbour" in page
    assert "王小明" not in page  # the decision page names the record, not the child
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            url, {"decision": "approved", "comment": "同意", "expected_status": "requested"}
        )
    assert response.status_code == 302
    transfer.refresh_from_db()
    record.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == (Status.APPROVED, superuser)
    assert record.organization == target
    moved = AuditEvent.objects.get(action="child_record.transferred")
    assert (moved.actor, moved.target_id) == (superuser, str(record.pk))
    assert AuditEvent.objects.filter(action="child_transfer.approved").count() == 1
    for user in (admin, target_admin):
        notice = Notification.objects.filter(recipient=user).latest("pk")
        assert notice.url == record.get_absolute_url()
        assert "王小明" not in notice.subject + notice.body
    assert all("王小明" not in m.subject + m.body for m in mail.outbox)
    # The record now belongs to the other organization only.
    client.force_login(staff)
    assert client.get(record.get_absolute_url()).status_code == 404
    client.force_login(target_admin)
    assert client.get(record.get_absolute_url()).status_code == 200
    # A second decision on a page shown before is refused, not applied twice.
    client.force_login(superuser)
    response = client.post(
        url, {"decision": "rejected", "expected_status": "requested"}, follow=True
    )
    assert "changed state in the meantime" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == Status.APPROVED


def test_a_rejected_transfer_leaves_the_record_where_it_was(
    organization, admin, record, target, superuser
):
    transfer = services.child_transfer_request(
        record_id=record.pk, actor=admin, to_organization=target, reason="试试"
    )
    services.child_transfer_decide(
        transfer_id=transfer.pk, actor=superuser, decision="rejected", comment="不符合"
    )
    transfer.refresh_from_db()
    record.refresh_from_db()
    assert transfer.status == Status.REJECTED
    assert record.organization == organization
    assert not AuditEvent.objects.filter(action="child_record.transferred").exists()


def test_transfers_are_refused_to_staff_twice_and_to_deciders_of_their_own_organization(
    client, organization, staff, admin, record, target, superuser
):
    response = request_transfer(client, staff, record, target)
    assert response.status_code == 404
    assert not ChildTransfer.objects.exists()
    request_transfer(client, admin, record, target)
    response = request_transfer(client, admin, record, target)
    assert ChildTransfer.objects.count() == 1
    assert response.status_code == 302
    transfer = ChildTransfer.objects.get()
    # A platform admin who is also a member of either organization does not decide.
    organization_member = member(target, Role.STAFF, "root2")
    organization_member.is_superuser = True
    organization_member.save()
    with pytest.raises(services.PermissionDenied):
        services.child_transfer_decide(
            transfer_id=transfer.pk, actor=organization_member, decision="approved"
        )
    with pytest.raises(services.ValidationError):
        services.child_transfer_decide(transfer_id=transfer.pk, actor=superuser, decision="x")
    with pytest.raises(services.ValidationError):
        services.child_transfer_request(
            record_id=record.pk, actor=admin, to_organization=organization, reason="x"
        )
    assert ChildRecord.objects.get().organization == organization
