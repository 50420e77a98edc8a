"""The beat job that anchors the audit chain every ten minutes."""

from django.conf import settings

from audit import services as audit
from audit.models import AuditCheckpoint, AuditEvent
from project.celery import app
from signing.tasks import create_audit_checkpoint


def test_beat_runs_the_checkpoint_job_every_ten_minutes():
    job = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]

    assert job == {"task": "signing.tasks.create_audit_checkpoint", "schedule": 600.0}
    app.loader.import_default_modules()
    assert app.tasks[job["task"]].name == create_audit_checkpoint.name == job["task"]


def test_the_job_writes_a_checkpoint_of_every_event_and_nothing_more_when_run_again(pki):
    first = create_audit_checkpoint.delay().get()
    again = create_audit_checkpoint.delay().get()
    audit.record(action="test.later")
    later = create_audit_checkpoint.delay().get()

    assert (first, again, later) == (1, 1, 2)
    assert AuditCheckpoint.objects.get(number=2).event_count == AuditEvent.objects.count()
    assert create_audit_checkpoint.acks_late
    assert create_audit_checkpoint.time_limit is not None
