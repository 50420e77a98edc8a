"""What a task completion costs the database: the statements the bench counts, kept honest.

`bench/agreements.py` measures a whole lifecycle on PostgreSQL; this guards its shape on both
databases: no savepoints inside a completion (its failure rolls back as a whole), one
statement per audit event (no separate read of the chain's head), and no reading back of the
events the task's work just recorded.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from signing.services import identity_for_owner, signer_password_check
from workflows.agreements import services
from workflows.inbox.services import task_claim, task_complete

from .helpers import open_task


def test_signing_in_a_task_completion_takes_no_savepoint_and_one_statement_per_event(
    sent, signer, password
):
    task = open_task(sent, "sign")
    task_claim(task_id=task.pk, user=signer)
    # First uses take their own steps: the organization's identity, the password counter.
    identity_for_owner(sent.organization)
    signer_password_check(user=signer, password=password)
    events_before = AuditEvent.objects.count()

    with (
        CaptureQueriesContext(connection) as captured,
        task_complete(task_id=task.pk, user=signer, flow_task=task.flow_task),
    ):
        services.agreement_sign(agreement_id=sent.pk, actor=signer, password=password)

    statements = [query["sql"] for query in captured.captured_queries]
    # The test's own transaction makes the completion's one a savepoint; nothing inside takes one.
    assert [sql.split()[0] for sql in statements if "SAVEPOINT" in sql] == ["SAVEPOINT", "RELEASE"]
    audit_reads = [sql for sql in statements if sql.startswith("SELECT") and "audit_" in sql]
    assert audit_reads == []  # neither the chain's head nor the task's outcome is read back
    appended = AuditEvent.objects.count() - events_before
    inserts = [sql for sql in statements if sql.startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == appended == 4  # document.signed, agreement.signed, task events
    task.refresh_from_db()
    assert task.data["outcome"] == "agreement.signed"
