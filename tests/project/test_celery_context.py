"""A Celery task works for nobody's request, even when it runs eagerly inside one."""

from celery import shared_task

import audit.services as audit
from audit.context import current_request
from audit.models import AuditEvent
from tests.factories import UserFactory


@shared_task
def record_from_a_task() -> None:
    audit.record(action="test.from_task")


def test_a_task_run_inside_a_request_records_neither_its_person_nor_its_address(rf, db):
    person = UserFactory(username="manager")
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    request.user = person
    token = current_request.set(request)
    try:
        audit.record(action="test.from_request")
        record_from_a_task.apply()
        after = current_request.get()
    finally:
        current_request.reset(token)

    in_request = AuditEvent.objects.get(action="test.from_request")
    in_task = AuditEvent.objects.get(action="test.from_task")
    assert (in_request.actor, in_request.ip_address) == (person, "203.0.113.9")
    assert (in_task.actor, in_task.actor_repr, in_task.ip_address) == (None, "", None)
    assert after is request  # the request's own context is back once the task is done
