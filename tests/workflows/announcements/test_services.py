import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed

from accounts.states import StateChanged
from audit.models import AuditEvent
from tests.factories import UserFactory
from workflows.announcements import services
from workflows.announcements.models import Announcement

from .conftest import ago, draft, fields, later, published

Status = Announcement.Status


def events(announcement: Announcement, action: str):
    return AuditEvent.objects.filter(action=action, target_id=str(announcement.pk))


def test_an_approver_writes_a_draft_and_the_audit_log_says_so(writer):
    announcement = draft(writer)

    assert announcement.status == Status.DRAFT
    assert announcement.created_by == writer
    event = events(announcement, "announcement.created").get()
    assert (event.actor, event.from_state, event.to_state) == (writer, "", Status.DRAFT)


def test_someone_who_is_not_a_writer_cannot_write(outsider):
    with pytest.raises(PermissionDenied):
        services.announcement_create(actor=outsider, **fields())

    assert not Announcement.objects.exists()


def test_a_superuser_writes_and_publishes(db):
    admin = UserFactory(is_superuser=True)

    announcement = published(admin)

    assert announcement.status == Status.PUBLISHED


def test_publishing_a_draft_records_who_and_when_with_the_states(writer):
    announcement = draft(writer)

    announcement = services.announcement_publish(
        announcement_id=announcement.pk, actor=writer, expected_status=Status.DRAFT
    )

    assert announcement.status == Status.PUBLISHED
    assert announcement.published_by == writer
    assert announcement.publish_at == announcement.published_at
    event = events(announcement, "announcement.published").get()
    assert (event.from_state, event.to_state) == (Status.DRAFT, Status.PUBLISHED)


def test_publishing_keeps_a_publication_time_set_in_the_future(writer):
    when = later(days=2).replace(second=0, microsecond=0)

    announcement = published(writer, publish_at=when)

    assert announcement.publish_at == when


def test_someone_who_is_not_a_writer_cannot_publish(writer, outsider):
    announcement = draft(writer)

    with pytest.raises(PermissionDenied):
        services.announcement_publish(announcement_id=announcement.pk, actor=outsider)

    announcement.refresh_from_db()
    assert announcement.status == Status.DRAFT
    assert not events(announcement, "announcement.published").exists()


def test_a_stale_page_does_not_publish(writer):
    announcement = published(writer)

    with pytest.raises(StateChanged):
        services.announcement_publish(
            announcement_id=announcement.pk, actor=writer, expected_status=Status.DRAFT
        )


def test_an_expired_draft_is_not_published(writer):
    announcement = draft(writer, publish_at=ago(days=3), expires_at=ago(days=1))

    with pytest.raises(ValidationError):
        services.announcement_publish(announcement_id=announcement.pk, actor=writer)

    announcement.refresh_from_db()
    assert announcement.status == Status.DRAFT


def test_archiving_a_published_announcement_is_audited_with_the_states(writer):
    announcement = published(writer)

    announcement = services.announcement_archive(
        announcement_id=announcement.pk, actor=writer, expected_status=Status.PUBLISHED
    )

    assert announcement.status == Status.ARCHIVED
    assert announcement.archived_at is not None
    event = events(announcement, "announcement.archived").get()
    assert (event.actor, event.from_state, event.to_state) == (
        writer,
        Status.PUBLISHED,
        Status.ARCHIVED,
    )


def test_a_draft_cannot_be_archived(writer):
    announcement = draft(writer)

    with pytest.raises(TransitionNotAllowed):
        services.announcement_archive(announcement_id=announcement.pk, actor=writer)


def test_an_archived_announcement_cannot_be_published_again(writer):
    announcement = published(writer)
    services.announcement_archive(announcement_id=announcement.pk, actor=writer)

    with pytest.raises(TransitionNotAllowed):
        services.announcement_publish(announcement_id=announcement.pk, actor=writer)


def test_someone_who_is_not_a_writer_cannot_archive(writer, outsider):
    announcement = published(writer)

    with pytest.raises(PermissionDenied):
        services.announcement_archive(announcement_id=announcement.pk, actor=outsider)

    announcement.refresh_from_db()
    assert announcement.status == Status.PUBLISHED


def test_a_draft_is_edited_and_the_changed_fields_are_audited(writer):
    announcement = draft(writer)

    services.announcement_update(
        announcement_id=announcement.pk,
        actor=writer,
        expected_status=Status.DRAFT,
        **fields(title="新标题", pinned=True),
    )

    announcement.refresh_from_db()
    assert (announcement.title, announcement.pinned) == ("新标题", True)
    event = events(announcement, "announcement.updated").get()
    assert {"title", "pinned"} <= set(event.payload["fields"])


def test_a_published_announcement_is_not_edited(writer):
    announcement = published(writer)

    with pytest.raises(ValidationError):
        services.announcement_update(
            announcement_id=announcement.pk, actor=writer, **fields(title="改")
        )

    announcement.refresh_from_db()
    assert announcement.title != "改"


def test_an_expiry_before_the_publication_is_refused(writer):
    with pytest.raises(ValidationError) as error:
        draft(writer, publish_at=later(days=2), expires_at=later(days=1))

    assert "expires_at" in error.value.message_dict


def test_a_community_audience_needs_a_community(writer):
    with pytest.raises(ValidationError) as error:
        draft(writer, audience=Announcement.Audience.COMMUNITY)

    assert "community" in error.value.message_dict


def test_an_audience_other_than_a_community_keeps_no_community(writer, community):
    announcement = draft(writer, audience=Announcement.Audience.EVERYONE, community=community)

    assert announcement.community is None
