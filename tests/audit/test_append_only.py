"""On PostgreSQL the database itself refuses to change or remove audit events."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit import services as audit
from audit.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.postgres


@pytest.fixture
def event(postgres_only) -> AuditEvent:
    return audit.record(action="test.kept", payload={"n": 1})


@pytest.fixture
def truncate_not_allowed(postgres_only):
    # tests/conftest.py allows TRUNCATE on every test connection so the runner can flush
    # tables; take that away for this test, and give it back afterwards.
    with connection.cursor() as cursor:
        # The test's own inserts leave deferred foreign-key checks pending, and PostgreSQL
        # will not truncate a table with pending trigger events: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("RESET accord.allow_audit_truncate")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET accord.allow_audit_truncate = on")


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE audit_auditevent SET action = 'test.changed'", "UPDATE"),
        ("DELETE FROM audit_auditevent", "DELETE"),
    ],
)
def test_the_database_refuses_to_change_audit_rows(event, statement, operation):
    with (
        pytest.raises(DatabaseError, match=f"append-only: {operation} refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert AuditEvent.objects.get(pk=event.pk).action == "test.kept"


def test_the_orm_cannot_update_or_delete_an_event_either(event):
    with pytest.raises(DatabaseError, match="UPDATE refused"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")
    with pytest.raises(DatabaseError, match="DELETE refused"), transaction.atomic():
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk, action="test.kept").exists()


def test_the_database_refuses_to_change_or_remove_a_checkpoint(event):
    made = audit.checkpoint_create(sign=lambda payload: b"signed")

    with pytest.raises(DatabaseError, match="UPDATE refused"), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=made.pk).update(event_count=0)
    with pytest.raises(DatabaseError, match="DELETE refused"), transaction.atomic():
        made.delete()

    assert AuditCheckpoint.objects.filter(pk=made.pk, event_count=1).exists()


def test_the_database_refuses_truncate_without_the_session_setting(event, truncate_not_allowed):
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_truncate_is_let_through_only_where_the_session_allows_it(event, truncate_not_allowed):
    with connection.cursor() as cursor:
        cursor.execute("SET accord.allow_audit_truncate = on")
        cursor.execute("TRUNCATE audit_auditevent")

    assert not AuditEvent.objects.exists()
