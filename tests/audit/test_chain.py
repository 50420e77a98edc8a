"""The audit log is a hash chain: any change to a stored event breaks it, and verify_audit says
where."""

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from audit.chain import GENESIS_HASH, compute_hash, hash_template
from audit.models import AuditEvent
from tests.factories import UserFactory


@pytest.fixture
def three_events(db) -> list[AuditEvent]:
    actor = UserFactory(username="clerk")
    return [
        audit.record(
            action=f"test.step{n}",
            actor=actor,
            target=actor,
            from_state="draft",
            to_state="submitted",
            payload={"n": n, "note": "第一步"},
        )
        for n in range(3)
    ]


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_record_links_each_event_to_the_previous_hash(three_events):
    first, second, third = three_events

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    stored = AuditEvent.objects.get(pk=second.pk)
    assert stored.hash == compute_hash(stored)


def test_verify_audit_passes_on_an_intact_chain(three_events):
    assert "Audit chain intact: 3 events verified." in verify()


def test_verify_audit_passes_on_an_empty_log(db):
    assert "Audit chain intact: 0 events verified." in verify()


CHANGES = {
    "action": "test.harmless",
    "payload": {"n": 1, "note": "changed"},
    "created_at": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    "actor_repr": "someone else",
    "ip_address": "198.51.100.7",
    "from_state": "approved",
    "to_state": "approved",
    "target_repr": "another target",
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


@pytest.mark.parametrize("field", list(CHANGES))
def test_verify_audit_names_the_first_event_whose_stored_field_changed(three_events, tamper, field):
    second = three_events[1]
    with tamper():
        changed = AuditEvent.objects.filter(pk=second.pk).update(**{field: CHANGES[field]})
    assert changed == 1

    with pytest.raises(CommandError, match=rf"Audit chain broken at event {second.pk} "):
        verify()


def test_verify_audit_names_the_earliest_of_several_changed_events(three_events, tamper):
    first, _second, third = three_events
    with tamper():
        AuditEvent.objects.filter(pk=third.pk).update(action="test.changed")
        AuditEvent.objects.filter(pk=first.pk).update(action="test.changed")

    with pytest.raises(CommandError, match=rf"at event {first.pk} "):
        verify()


def test_verify_audit_detects_a_changed_actor(three_events, tamper):
    second = three_events[1]
    with tamper():
        AuditEvent.objects.filter(pk=second.pk).update(actor=UserFactory(username="mallory"))

    with pytest.raises(CommandError, match=rf"at event {second.pk} "):
        verify()


def test_verify_audit_detects_an_event_deleted_from_the_middle(three_events, tamper):
    _first, second, third = three_events
    with tamper():
        AuditEvent.objects.filter(pk=second.pk).delete()

    with pytest.raises(CommandError, match=rf"at event {third.pk} "):
        verify()


def test_verify_audit_detects_an_event_inserted_in_the_middle(three_events, tamper):
    first, second, third = three_events
    # Move the second and third events one place up and slip a self-consistent forgery that
    # follows the first event into the gap.
    with tamper():
        AuditEvent.objects.filter(pk__in=[second.pk, third.pk]).delete()
        forged = AuditEvent(
            pk=second.pk,
            created_at=second.created_at,
            action="test.forged",
            payload={},
            prev_hash=first.hash,
        )
        forged.hash = compute_hash(forged)
        forged.save(force_insert=True)
        for original in (second, third):
            original.pk += 1
            original.save(force_insert=True)

    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "test.step0",
        "test.forged",
        "test.step1",
        "test.step2",
    ]
    with pytest.raises(CommandError, match=rf"at event {second.pk} "):
        verify()


class RefusedError(Exception):
    pass


@transaction.atomic
def record_then_fail() -> None:
    audit.record(action="test.rolled_back")
    raise RefusedError


def test_a_rolled_back_transaction_leaves_no_audit_row(three_events):
    with pytest.raises(RefusedError):
        record_then_fail()

    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    # The next event still links to the last committed one.
    assert audit.record(action="test.after").prev_hash == three_events[-1].hash
    assert "Audit chain intact: 4 events verified." in verify()


@pytest.mark.parametrize(
    ("remote_addr", "stored"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("not-an-address", None),
    ],
)
def test_request_addresses_are_stored_as_the_database_returns_them(rf, db, remote_addr, stored):
    # The hash covers the address as recorded; if the database normalized it differently on
    # the way in, every later verification would report a break that nobody made.
    request = rf.get("/", REMOTE_ADDR=remote_addr)

    event = audit.record(action="test.request", request=request)

    assert AuditEvent.objects.get(pk=event.pk).ip_address == stored
    assert "Audit chain intact: 1 events verified." in verify()


def test_each_append_is_one_statement_that_links_to_the_event_before_it(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = audit.record(action="test.before")
    with CaptureQueriesContext(connection) as queries:
        first = audit.record(action="test.one", payload={"note": '换行\n"引号" ☃'})
        second = audit.record(action="test.two")
        third = audit.record(action="test.three")

    # The lock, the read of the head, the hash and the insert: one statement per event.
    assert len(queries) == 3
    assert all(" INSERT INTO " in q["sql"] for q in queries)
    assert first.prev_hash == before.hash
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    stored = AuditEvent.objects.get(pk=first.pk)
    assert (stored.prev_hash, stored.hash) == (first.prev_hash, first.hash)
    assert stored.hash == compute_hash(stored)
    assert "Audit chain intact: 4 events verified." in verify()


@pytest.mark.parametrize(
    "payload",
    [{}, {"prev_hash": "x", "z": ['"prev_hash":"']}, {"名字": "张三\u2028", "n": 1.5}],
)
def test_the_hash_template_around_the_previous_hash_gives_the_events_hash(db, payload):
    event = AuditEvent(
        created_at=timezone.now(), action="test.template", payload=payload, prev_hash="ab" * 32
    )
    prefix, suffix = hash_template(event)
    digest = hashlib.sha256((prefix + event.prev_hash + suffix).encode("utf-8")).hexdigest()
    assert digest == compute_hash(event)


def test_an_append_after_a_rolled_back_savepoint_links_to_the_event_before_it(db):
    with transaction.atomic():
        kept = audit.record(action="test.kept")
        with pytest.raises(RefusedError):
            record_then_fail()  # appends in a savepoint that rolls back
        after = audit.record(action="test.after")

    assert after.prev_hash == kept.hash
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    assert "Audit chain intact: 2 events verified." in verify()


def test_an_append_after_a_released_savepoint_links_to_the_event_made_in_it(db):
    with transaction.atomic():
        with transaction.atomic():
            inner = audit.record(action="test.inner")
        after = audit.record(action="test.after")

    assert after.prev_hash == inner.hash
    assert "Audit chain intact: 2 events verified." in verify()


def test_record_many_links_its_events_to_the_previous_head_and_each_other(three_events):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = three_events[0].actor
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        many = audit.record_many(
            events=[
                {"action": "test.batch0", "actor": actor, "target": actor, "payload": {"n": 0}},
                {"action": "test.batch1", "payload": {"note": "第二"}},
                {"action": "test.batch2", "from_state": "a", "to_state": "b"},
            ]
        )
        after = audit.record(action="test.after")

    # One statement for the three (the lock, the head, the hashes, the insert), and the
    # following `record`'s one statement.
    assert len(queries) == 2
    assert [e.prev_hash for e in many] == [three_events[-1].hash, many[0].hash, many[1].hash]
    assert after.prev_hash == many[-1].hash
    stored = list(AuditEvent.objects.filter(action__startswith="test.batch").order_by("pk"))
    assert [e.hash for e in stored] == [e.hash for e in many]
    assert all(e.hash == compute_hash(e) for e in stored)
    assert stored[0].target_id == str(actor.pk)
    assert "Audit chain intact: 7 events verified." in verify()


def test_record_many_starts_a_new_chain_at_the_genesis_hash(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        many = audit.record_many(events=[{"action": "test.one"}, {"action": "test.two"}])

    assert len(queries) == 1
    assert [e.prev_hash for e in many] == [GENESIS_HASH, many[0].hash]
    assert audit.record_many(events=[]) == []
    assert "Audit chain intact: 2 events verified." in verify()


def test_a_batch_appends_its_events_in_order_in_one_statement_when_it_ends(three_events):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        with audit.batched():
            first = audit.record(action="test.first", payload={"note": "第一"})
            second = audit.record(action="test.second")
            assert first.pk is None
            assert not queries.captured_queries
        after = audit.record(action="test.after")

    assert len(queries) == 2
    assert first.prev_hash == three_events[-1].hash
    assert (second.prev_hash, after.prev_hash) == (first.hash, second.hash)
    stored = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert stored[-3:] == ["test.first", "test.second", "test.after"]
    assert "Audit chain intact: 6 events verified." in verify()


def test_an_event_of_a_savepoint_rolled_back_inside_a_batch_is_gone_with_it(db):
    with transaction.atomic(), audit.batched():
        audit.record(action="test.kept")
        try:
            with transaction.atomic():
                audit.record(action="test.undone")  # appended at once, inside the savepoint
                raise RuntimeError
        except RuntimeError:
            pass
        audit.record(action="test.kept.too")

    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["test.kept", "test.kept.too"]
    assert "Audit chain intact: 2 events verified." in verify()


def test_a_batch_whose_error_is_caught_in_the_transaction_still_appends_its_events(db):
    with transaction.atomic():
        try:
            with audit.batched():
                audit.record(action="test.done.before.the.error")
                raise ValueError
        except ValueError:
            pass

    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "test.done.before.the.error"
    ]
    assert "Audit chain intact: 1 events verified." in verify()


@pytest.mark.django_db(transaction=True)
def test_a_batch_outside_a_transaction_appends_each_event_at_once():
    with audit.batched():
        event = audit.record(action="test.alone")
        assert event.pk is not None


def test_a_long_run_of_events_is_appended_in_chunks_that_chain_on(db, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(audit, "_APPEND_CHUNK", 2)
    with CaptureQueriesContext(connection) as queries:
        many = audit.record_many(events=[{"action": f"test.{n}"} for n in range(5)])

    assert len(queries) == 3
    assert [e.prev_hash for e in many[1:]] == [e.hash for e in many[:-1]]
    assert "Audit chain intact: 5 events verified." in verify()
