"""Children's records through their pages, as each role: the organization's staff keep them,
every read is audited, the guardian reads their own child's record only, everyone else gets
a 404 (audited); identity numbers and health notes are encrypted at rest and masked in lists."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, OrganizationMembership
from audit.models import AuditEvent
from tests.audit.helpers import denials
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.children import crypto, selectors, services
from workflows.children.models import ChildRecord

from .helpers import HEALTH_NOTES, ID_NUMBER, consent_pdf, make_record, member

pytestmark = pytest.mark.django_db

Role = OrganizationMembership.Role


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def staff(organization):
    return member(organization, Role.STAFF, "staff")


@pytest.fixture
def admin(organization):
    return member(organization, Role.ADMIN, "orgadmin")


@pytest.fixture
def guardian():
    return UserFactory(username="grandma")


@pytest.fixture
def record(organization, staff, guardian):
    return make_record(organization, staff, guardian_user=guardian)


def detail_url(record) -> str:
    return reverse("children:detail", args=[record.pk])


def reads_of(record):
    return AuditEvent.objects.filter(action="child_record.viewed", target_id=str(record.pk))


def test_reading_a_record_as_staff_writes_an_audit_event_naming_the_record(client, record, staff):
    client.force_login(staff)
    response = client.get(detail_url(record))
    assert response.status_code == 200
    page = response.content.decode()
    assert "王小明" in page
    assert ID_NUMBER in page  # decrypted on the record's page
    assert HEALTH_NOTES in page
    event = reads_of(record).get()
    assert event.actor == staff
    assert event.target_type.model == "childrecord"
    assert event.target_id == str(record.pk)
    assert "王小明" not in event.target_repr  # the audit log never carries the name
    client.get(detail_url(record))
    assert reads_of(record).count() == 2  # every read, not the first one only


@pytest.mark.parametrize("who", ["other_org_staff", "approver", "resident"])
def test_outsiders_get_404_on_every_page_of_a_record_and_the_refusal_is_audited(
    client, record, who
):
    users = {
        "other_org_staff": lambda: member(OrganizationFactory(), Role.ADMIN, "elsewhere"),
        "approver": lambda: UserFactory(username="approver", approver=True),
        "resident": lambda: UserFactory(username="neighbour"),
    }
    outsider = users[who]()
    client.force_login(outsider)
    for name in ("detail", "edit", "visit_add", "consent_scan"):
        assert client.get(reverse(f"children:{name}", args=[record.pk])).status_code == 404
    response = client.post(reverse("children:transfer_request", args=[record.pk]))
    assert response.status_code == 404
    denial = denials().filter(target_id=str(record.pk)).get()
    assert denial.actor == outsider
    assert not reads_of(record).exists()
    assert "王小明" not in client.get(reverse("children:list")).content.decode()


def test_a_platform_admin_sees_every_record(client, record):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.get(detail_url(record)).status_code == 200
    assert reads_of(record).get().actor == superuser
    assert "王小明" in client.get(reverse("children:list")).content.decode()


def test_the_guardian_reads_their_childs_record_read_only_and_nothing_else(
    client, organization, staff, record, guardian
):
    other_child = make_record(organization, staff, name="李小红", guardian_user=None)
    client.force_login(guardian)
    response = client.get(detail_url(record))
    assert response.status_code == 200
    page = response.content.decode()
    assert "王小明" in page
    assert 'id="view-only"' in page
    assert reverse("children:edit", args=[record.pk]) not in page
    assert reverse("children:visit_add", args=[record.pk]) not in page
    assert 'id="reads"' not in page
    assert reads_of(record).get().actor == guardian
    # Read only: no edit, no visit, no consent scan, no transfer; no other child.
    for name in ("edit", "visit_add", "consent_scan"):
        assert client.get(reverse(f"children:{name}", args=[record.pk])).status_code == 404
    assert client.get(detail_url(other_child)).status_code == 404
    listing = client.get(reverse("children:list")).content.decode()
    assert "王小明" in listing
    assert "李小红" not in listing
    assert reverse("children:create") not in listing
    assert client.get(reverse("children:create")).status_code == 404


def test_id_number_and_health_notes_are_not_stored_in_clear_text_and_masked_in_the_list(
    client, record, staff
):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number_encrypted, health_notes_encrypted, id_number_last4 "
            "FROM children_childrecord WHERE id = %s",
            [record.pk],
        )
        id_column, health_column, last4 = cursor.fetchone()
    assert ID_NUMBER not in id_column
    assert "33010220150101" not in id_column
    assert HEALTH_NOTES not in health_column
    assert "心脏" not in health_column
    assert crypto.decrypt(id_column) == ID_NUMBER
    assert crypto.decrypt(health_column) == HEALTH_NOTES
    assert last4 == "1234"
    client.force_login(staff)
    listing = client.get(reverse("children:list")).content.decode()
    assert "**************1234" in listing
    assert ID_NUMBER not in listing
    assert "3301022015" not in listing
    assert HEALTH_NOTES not in listing
    assert not reads_of(record).exists()  # a list is not a read of the record


def test_another_key_cannot_read_the_encrypted_fields(record, settings):
    settings.ACCORD_FIELD_ENCRYPTION_KEY = "another-key-altogether"
    assert crypto.decrypt(record.id_number_encrypted) == ""
    assert crypto.encrypt(ID_NUMBER) != record.id_number_encrypted


def test_the_organization_admin_sees_who_read_the_record_and_staff_do_not(
    client, record, staff, admin
):
    client.force_login(staff)
    client.get(detail_url(record))
    assert 'id="reads"' not in client.get(detail_url(record)).content.decode()
    client.force_login(admin)
    page = client.get(detail_url(record)).content.decode()
    reads = page[page.index('id="reads"') :]
    assert "Staff" in reads
    assert "Orgadmin" in reads
    assert reads.count("<li>") == 3


def test_anonymous_visitors_are_sent_to_log_in_and_public_pages_show_no_child(client, record):
    for url in (reverse("children:list"), detail_url(record), reverse("children:create")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    for url in ("/", "/activities/", "/donations/", "/start/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert "王小明" not in response.content.decode()
    assert not reads_of(record).exists()


def test_editing_audits_the_changed_field_names_never_their_values(client, record, staff):
    client.force_login(staff)
    url = reverse("children:edit", args=[record.pk])
    form = client.get(url).context["form"]
    assert reads_of(record).get().payload["page"] == "edit"  # the form shows them in clear
    data = {k: v for k, v in form.initial.items() if v is not None and k != "consent_scan"}
    data.update(
        {
            "birth_date": "2015-01-01",
            "consent_given_on": "2024-03-01",
            "school": "实验小学",
            "health_notes": "已康复",
            "version": record.version,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="child_record.updated")
    assert event.payload["fields"] == ["health_notes", "school"]
    assert "实验小学" not in str(event.payload)
    assert "已康复" not in str(event.payload)
    record.refresh_from_db()
    assert record.school == "实验小学"
    assert crypto.decrypt(record.health_notes_encrypted) == "已康复"
    assert crypto.decrypt(record.id_number_encrypted) == ID_NUMBER  # unchanged
    # A page shown before that edit is stale: nothing is saved, the person is told.
    response = client.post(url, {**data, "school": "别的学校"}, follow=True)
    assert "changed state in the meantime" in response.content.decode()
    record.refresh_from_db()
    assert record.school == "实验小学"


def test_staff_create_a_record_with_a_consent_scan_through_the_page(
    client, organization, staff, guardian
):
    client.force_login(staff)
    community = CommunityFactory()
    response = client.post(
        reverse("children:create"),
        {
            "organization": organization.pk,
            "name": "张小华",
            "gender": "female",
            "birth_date": "2016-05-04",
            "community": community.pk,
            "school": "",
            "guardian_name": "张爷爷",
            "guardian_contact": "13900000000",
            "guardian_account": guardian.email,
            "situation_and_needs": "需要课业辅导。",
            "consent_given_by": "张爷爷",
            "consent_given_on": "2024-01-02",
            "consent_scan": consent_pdf(),
            "id_number": "33010220160504123x",
            "health_notes": "",
        },
    )
    record = ChildRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record.get_absolute_url()
    assert (record.organization, record.community, record.guardian_user) == (
        organization,
        community,
        guardian,
    )
    assert record.consent_scan.name.endswith(".pdf")
    assert "consent" not in record.consent_scan.name.rsplit("/", 1)[-1]
    assert record.id_number_last4 == "123X"
    assert record.health_notes_encrypted == ""
    created = AuditEvent.objects.get(action="child_record.created")
    assert (created.actor, created.target_id) == (staff, str(record.pk))
    assert "张小华" not in str(created.payload) + created.target_repr
    download = client.get(reverse("children:consent_scan", args=[record.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="child_record.consent_downloaded").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "王\x00明"}, "name", "Null characters are not allowed."),
        ({"name": "长" * 5000}, "name", "at most 100 characters"),
        ({"situation_and_needs": "x" * 50_000}, "situation_and_needs", "at most 5000"),
        ({"health_notes": "y" * 50_000}, "health_notes", "at most 5000"),
        ({"guardian_name": "\ue000\U000e0080"}, "guardian_name", ""),
        ({"name": "\u0007bell"}, "name", ""),
        ({"birth_date": "2999-01-01"}, "birth_date", "cannot be in the future"),
        ({"birth_date": "1900-01-01"}, "birth_date", "not a child's"),
        ({"birth_date": "not a date"}, "birth_date", "Enter a valid date."),
        ({"consent_given_on": "2999-01-01"}, "consent_given_on", "cannot be in the future"),
        ({"id_number": "３３０１０２"}, "id_number", "digits"),
        ({"id_number": "1" * 500}, "id_number", "at most 18"),
        ({"guardian_account": "nobody-here"}, "guardian_account", "No one has this"),
        ({"gender": "other"}, "gender", "Select a valid choice."),
        ({"consent_scan": None}, "consent_scan", "Attach the scan"),
    ],
)
def test_bad_input_gives_a_form_error_and_stores_nothing(
    client, organization, staff, overrides, field, message
):
    client.force_login(staff)
    data = {
        "organization": organization.pk,
        "name": "王小明",
        "gender": "male",
        "birth_date": "2015-01-01",
        "guardian_name": "王奶奶",
        "guardian_contact": "13800000000",
        "situation_and_needs": "父母在外务工。",
        "consent_given_by": "王奶奶",
        "consent_given_on": "2024-03-01",
        "consent_scan": consent_pdf(),
        "id_number": ID_NUMBER,
        "health_notes": "",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post(reverse("children:create"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not ChildRecord.objects.exists()


def test_a_consent_scan_that_is_not_a_pdf_or_image_is_refused(client, organization, staff):
    client.force_login(staff)
    fake = SimpleUploadedFile("c.pdf", b"<html>not a pdf</html>", "application/pdf")
    response = client.post(
        reverse("children:create"),
        {
            "organization": organization.pk,
            "name": "王小明",
            "gender": "male",
            "birth_date": "2015-01-01",
            "guardian_name": "王奶奶",
            "guardian_contact": "13800000000",
            "situation_and_needs": "父母在外务工。",
            "consent_given_by": "王奶奶",
            "consent_given_on": "2024-03-01",
            "consent_scan": fake,
        },
    )
    assert response.status_code == 400
    assert "not an accepted type" in " ".join(response.context["form"].errors["consent_scan"])
    assert not ChildRecord.objects.exists()


def test_a_visit_logged_by_staff_marks_when_the_next_one_is_due(
    client, organization, record, staff
):
    client.force_login(staff)
    today = timezone.localdate()
    response = client.post(
        reverse("children:visit_add", args=[record.pk]),
        {
            "date": (today - datetime.timedelta(days=30)).isoformat(),
            "notes": "学习情况良好。",
            "follow_up": "联系学校老师。",
            "next_visit_due": (today - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.next_visit_due == today - datetime.timedelta(days=1)
    visit = record.visits.get()
    assert (visit.visitor, visit.notes) == (staff, "学习情况良好。")
    assert list(selectors.records_due_a_visit(organization)) == [record]
    listing = client.get(reverse("children:list")).content.decode()
    assert "Due a visit" in listing
    event = AuditEvent.objects.get(action="child_record.visit_logged")
    assert "学习" not in str(event.payload)
    # A visit in the future is refused by the form.
    response = client.post(
        reverse("children:visit_add", args=[record.pk]),
        {"date": "2999-01-01", "notes": "x"},
    )
    assert response.status_code == 400
    assert "date" in response.context["form"].errors


def test_records_due_a_visit_leaves_out_later_visits_and_other_organizations(organization, staff):
    today = datetime.date(2025, 6, 1)
    due = make_record(organization, staff, name="甲")
    later = make_record(organization, staff, name="乙")
    other_org = OrganizationFactory()
    elsewhere = make_record(other_org, member(other_org, Role.STAFF, "s2"), name="丙")
    ChildRecord.objects.filter(pk=due.pk).update(next_visit_due=today)
    ChildRecord.objects.filter(pk__in=[later.pk]).update(next_visit_due=today.replace(day=2))
    ChildRecord.objects.filter(pk=elsewhere.pk).update(next_visit_due=today.replace(month=1))
    assert list(selectors.records_due_a_visit(organization, today=today)) == [due]


def test_the_list_filters_by_community_and_searches_by_name(client, organization, staff):
    north, south = CommunityFactory(name="North"), CommunityFactory(name="South")
    make_record(organization, staff, name="王小明", community=north)
    make_record(organization, staff, name="李小红", community=south)
    client.force_login(staff)
    url = reverse("children:list")
    by_community = client.get(url, {"community": north.pk}).content.decode()
    assert "王小明" in by_community
    assert "李小红" not in by_community
    by_name = client.get(url, {"q": "小红"}).content.decode()
    assert "李小红" in by_name
    assert "王小明" not in by_name
    # Nonsense in the filters is ignored, never a 500.
    assert client.get(url, {"community": "x\x00", "q": "y" * 5000}).status_code == 200


def test_the_list_costs_the_same_queries_at_1_and_50_rows(
    client, organization, staff, django_assert_num_queries
):
    community = CommunityFactory()
    guardian = UserFactory(username="g")
    make_record(organization, staff, community=community, guardian_user=guardian)
    client.force_login(staff)
    url = reverse("children:list")
    client.get(url)  # warm the caches (content types, the session)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(49):
        make_record(
            organization, staff, name=f"孩子{n}", community=community, guardian_user=guardian
        )
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert len(response.context["records"]) == 50


def test_services_refuse_people_outside_the_organization(organization, record, guardian):
    outsider = member(OrganizationFactory(), Role.ADMIN, "outsider")
    with pytest.raises(PermissionDenied):
        services.child_record_update(record_id=record.pk, actor=outsider, school="x")
    with pytest.raises(PermissionDenied):
        services.child_record_update(record_id=record.pk, actor=guardian, school="x")
    with pytest.raises(PermissionDenied):
        services.visit_add(
            record_id=record.pk, actor=guardian, date=datetime.date(2024, 1, 1), notes="x"
        )
    with pytest.raises(PermissionDenied):
        services.child_record_create(actor=outsider, organization=organization, name="x")


def test_the_guardian_is_told_where_to_read_the_record_without_the_childs_name(record, guardian):
    notice = Notification.objects.get(recipient=guardian)
    assert notice.url == record.get_absolute_url()
    assert "王小明" not in notice.subject + notice.body
    assert "registered you as the guardian" in notice.body


def test_record_pages_are_kept_out_of_caches_and_search_engines(client, record, staff):
    client.force_login(staff)
    for url in (reverse("children:list"), detail_url(record)):
        response = client.get(url)
        assert response["Cache-Control"] == "private, no-store"
        assert "noindex" in response["X-Robots-Tag"]


def test_the_navigation_leads_organization_members_to_the_records(client, record, staff):
    client.force_login(staff)
    assert f'href="{reverse("children:list")}"' in client.get("/").content.decode()
    client.force_login(UserFactory(username="neighbour"))
    assert f'href="{reverse("children:list")}"' not in client.get("/").content.decode()
