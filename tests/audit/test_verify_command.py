"""`manage.py verify_audit` as an operator runs it: its exit status is the verdict."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audit import services as audit
from audit.models import AuditEvent

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def database_url() -> str:
    """The URL of the test database this test's rows were committed to."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def run_command(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1"}
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_verify_audit() -> subprocess.CompletedProcess:
    return run_command("verify_audit")


@pytest.mark.django_db(transaction=True)
def test_verify_audit_exits_zero_then_non_zero_after_a_row_is_altered(tamper):
    events = [audit.record(action=f"test.step{n}", payload={"n": n}) for n in range(3)]

    intact = run_verify_audit()

    assert intact.returncode == 0, intact.stderr
    assert "Audit chain intact: 3 events verified." in intact.stdout

    with tamper():
        AuditEvent.objects.filter(pk=events[1].pk).update(payload={"n": 100})

    broken = run_verify_audit()

    assert broken.returncode != 0
    assert f"Audit chain broken at event {events[1].pk} (test.step1" in broken.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_verify_audit_names_the_newest_events_deleted_behind_the_triggers_back(postgres_only):
    from signing.services import pki_init

    pki_init()
    events = [audit.record(action=f"test.step{n}", payload={"n": n}) for n in range(3)]
    made = run_command("audit_checkpoint")
    assert made.returncode == 0, made.stderr
    count = AuditEvent.objects.count()
    # A database superuser switches the append-only trigger off and removes the newest two.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[1].pk])
        cursor.execute("SET session_replication_role = DEFAULT")

    result = run_verify_audit()

    assert result.returncode != 0
    assert f"covers {count} events ending in {events[2].hash}" in result.stderr
    assert f"the log has {count - 2}: events {count - 1}\N{EN DASH}{count} are missing." in (
        result.stderr
    )
