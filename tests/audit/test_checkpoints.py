"""Checkpoints anchor the chain: verify_audit notices when the newest events they cover are
gone or replaced, which the chain alone cannot show. Signatures are `signing`'s business
(tests/signing/test_checkpoints.py); here a stand-in signs and no signature is checked."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit import checkpoints
from audit import services as audit
from audit.chain import GENESIS_HASH, compute_hash
from audit.models import AuditCheckpoint, AuditEvent

SIGNED = b"signature by a stand-in"


@pytest.fixture(autouse=True)
def _no_signature_checks(monkeypatch):
    monkeypatch.setattr(checkpoints, "_signature_checks", [])


def sign(payload: bytes) -> bytes:
    return SIGNED


def checkpoint() -> AuditCheckpoint:
    return audit.checkpoint_create(sign=sign)


def record(count: int) -> list[AuditEvent]:
    return [audit.record(action=f"test.step{n}", payload={"n": n}) for n in range(count)]


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_a_checkpoint_records_the_count_and_head_and_stays_out_of_the_chain(db):
    events = record(3)
    payloads = []

    made = audit.checkpoint_create(sign=lambda payload: payloads.append(payload) or SIGNED)

    stored = AuditCheckpoint.objects.get()
    assert (stored.number, stored.event_count) == (1, 3)
    assert (stored.head_event_id, stored.head_hash) == (events[-1].pk, events[-1].hash)
    assert bytes(stored.signature) == SIGNED
    assert payloads == [stored.payload()] == [made.payload()]
    assert AuditEvent.objects.count() == 3


def test_the_signed_payload_covers_every_field(db):
    record(2)
    made = checkpoint()
    payload = made.payload()

    for field, value in [
        ("number", 2),
        ("event_count", 1),
        ("head_hash", "0" * 64),
        ("head_event_id", 999),
        ("created_at", made.created_at.replace(year=2020)),
    ]:
        changed = AuditCheckpoint.objects.get(pk=made.pk)
        setattr(changed, field, value)
        assert changed.payload() != payload, field


def test_no_new_checkpoint_until_an_event_is_added(db):
    record(2)
    first = checkpoint()

    again = checkpoint()
    record(1)
    later = checkpoint()

    assert again.pk == first.pk
    assert (later.number, later.event_count) == (2, 3)


def test_no_checkpoint_is_signed_once_the_newest_ones_last_event_is_gone(db, tamper):
    events = record(3)
    made = checkpoint()
    gone = events[2].pk
    with tamper():
        events[2].delete()
    signed = []

    with pytest.raises(audit.CheckpointRefusedError, match=f"holds event {gone} with the hash"):
        audit.checkpoint_create(sign=signed.append)

    # The operator's command says so too, without a traceback.
    with pytest.raises(CommandError, match=r"no checkpoint is signed\. Run verify_audit\.$"):
        call_command("audit_checkpoint", stdout=StringIO())
    assert signed == []
    assert list(AuditCheckpoint.objects.values_list("pk", flat=True)) == [made.pk]


def test_a_checkpoint_of_the_empty_log_ends_in_the_genesis_hash(db):
    made = checkpoint()

    assert (made.event_count, made.head_event_id, made.head_hash) == (0, None, GENESIS_HASH)
    assert "Audit chain intact: 0 events verified." in verify()


def test_verify_audit_passes_when_the_log_still_reaches_every_checkpoint(db):
    record(2)
    checkpoint()
    record(2)
    newest = checkpoint()
    record(1)

    output = verify()

    assert "Audit chain intact: 5 events verified." in output
    assert (
        f"Checkpoints agreeing with it: 2; the newest is #2 of {newest.created_at.isoformat()}"
    ) in output


def test_verify_audit_names_the_newest_events_that_went_missing(db, tamper):
    events = record(5)
    made = checkpoint()
    with tamper():
        AuditEvent.objects.filter(pk__in=[events[3].pk, events[4].pk]).delete()

    with pytest.raises(CommandError) as error:
        verify()

    assert str(error.value) == (
        f"Checkpoint #1 of {made.created_at.isoformat()} covers 5 events ending in "
        f"{events[4].hash}; the log has 3: events 4\N{EN DASH}5 are missing."
    )


def test_verify_audit_names_the_furthest_checkpoint_when_several_reach_past_the_end(db, tamper):
    events = record(3)
    checkpoint()
    events += record(1)
    checkpoint()
    with tamper():
        AuditEvent.objects.filter(pk__in=[events[2].pk, events[3].pk]).delete()

    with pytest.raises(CommandError, match=r"#2 .* the log has 2: events 3\N{EN DASH}4 are "):
        verify()


def test_verify_audit_names_a_single_missing_event(db, tamper):
    events = record(2)
    checkpoint()
    with tamper():
        events[1].delete()

    with pytest.raises(CommandError, match=r"the log has 1: event 2 is missing\.$"):
        verify()


def test_verify_audit_notices_a_newest_event_replaced_by_another(db, tamper):
    # The chain alone cannot tell: the replacement links correctly to the event before it.
    events = record(3)
    made = checkpoint()
    with tamper():
        events[2].delete()
        replacement = AuditEvent(
            created_at=events[2].created_at,
            action="test.replacement",
            payload={},
            prev_hash=events[1].hash,
        )
        replacement.hash = compute_hash(replacement)
        replacement.save(force_insert=True)

    with pytest.raises(CommandError) as error:
        verify()

    assert str(error.value) == (
        f"Checkpoint #1 of {made.created_at.isoformat()} covers 3 events ending in "
        f"{events[2].hash}; the log's event 3 (id {replacement.pk}) has hash "
        f"{replacement.hash}: the log differs from the checkpoint at or before that event."
    )
