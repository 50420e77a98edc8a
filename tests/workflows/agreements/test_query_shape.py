"""What a task completion costs the database: the statements the bench counts, kept honest.

`bench/agreements.py` measures a whole lifecycle on PostgreSQL; this guards its shape on both
databases: no savepoints inside a completion (its failure rolls back as a whole), one
statement for all of its audit events (no separate read of the chain's head), no reading back
of the events the task's work just recorded, and a gateway's task row written once.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from signing.services import identity_for_owner, signer_password_check
from workflows.agreements import services
from workflows.inbox.services import task_claim, task_complete

from .helpers import open_task


def test_signing_in_a_task_completion_takes_no_savepoint_and_one_statement_for_its_events(
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
    appends = [sql for sql in statements if 'INSERT INTO "audit_auditevent"' in sql]
    assert len(appends) == 1
    assert appended == 4  # document.signed, agreement.signed, task created and completed
    # The sign task is updated as done; the gateway after it is inserted done, not updated.
    task_updates = [sql for sql in statements if sql.startswith('UPDATE "viewflow_task"')]
    assert len(task_updates) == 1
    assert "AgreementFlow.sign'" in task_updates[0]
    task.refresh_from_db()
    assert task.data["outcome"] == "agreement.signed"


def test_the_gateway_and_end_rows_are_linked_into_the_process_graph(active):
    from viewflow.workflow.models import Task

    tasks = {
        task.flow_task.name: task
        for task in Task.objects.filter(process__agreementprocess__agreement=active)
    }
    assert set(tasks) == {"start", "sign", "route_signature", "countersign", "end"}
    assert all(task.status == "DONE" and task.finished for task in tasks.values())
    previous = {name: [p.flow_task.name for p in t.previous.all()] for name, t in tasks.items()}
    assert previous == {
        "start": [],
        "sign": ["start"],
        "route_signature": ["sign"],
        "countersign": ["route_signature"],
        "end": ["countersign"],
    }
    assert tasks["end"].process.status == "DONE"


def test_a_flow_is_single_path_unless_something_runs_beside_its_path():
    from viewflow import this
    from viewflow.workflow import flow

    from workflows.agreements.flows import AgreementFlow, TerminationFlow
    from workflows.inbox.base import AccordFlow, End, start_node
    from workflows.onboarding.flows import OnboardingFlow

    class ForkingFlow(AccordFlow):
        start = start_node().Next(this.fork)
        fork = flow.Split().Next(this.end).Next(this.end)
        end = End()

    assert AgreementFlow.instance.single_path
    assert TerminationFlow.instance.single_path
    assert OnboardingFlow.instance.single_path
    assert not ForkingFlow.instance.single_path
