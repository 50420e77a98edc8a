from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from .chain import GENESIS_HASH, compute_hash
from .models import AuditEvent
from .services import DENIAL_ACTION


def audit_event_list_for_target(*, target: models.Model) -> QuerySet[AuditEvent]:
    """The timeline of one object, oldest first.

    Refused attempts stay off it: the timeline is shown to everyone who may see the object, and
    who tried to reach it without the right (and from where) is for the audit log's readers.
    """
    return (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
        )
        .exclude(action=DENIAL_ACTION)
        .select_related("actor")
    )


def audit_chain_first_break() -> AuditEvent | None:
    """Walk the chain in order; return the first event whose link or hash does not hold."""
    expected_prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev or compute_hash(event) != event.hash:
            return event
        expected_prev = event.hash
    return None
