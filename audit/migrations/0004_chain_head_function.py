"""On PostgreSQL, taking the append lock and reading the chain's head is one round trip.

`accord_audit_chain_head(key)` waits for the transaction-scoped advisory lock every append
queues on, then reads the newest event's hash. It is VOLATILE, so under READ COMMITTED the
read takes a fresh snapshot after the lock is granted and sees the event its previous holder
committed (one SELECT of both would read with a snapshot taken before the wait).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accord_audit_chain_head(lock_key bigint) RETURNS text AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN (SELECT hash FROM audit_auditevent ORDER BY id DESC LIMIT 1);
END;
$$ LANGUAGE plpgsql VOLATILE;
"""

DROP = "DROP FUNCTION IF EXISTS accord_audit_chain_head(bigint);"


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_checkpoint")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
