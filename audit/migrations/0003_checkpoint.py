"""Checkpoints of the audit chain, append-only on PostgreSQL like the events themselves
(the trigger function of 0002 refuses UPDATE and DELETE, and TRUNCATE unless the session
allows it)."""

from importlib import import_module

from django.db import migrations, models

CREATE = """
CREATE TRIGGER audit_checkpoint_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE TRIGGER audit_checkpoint_no_truncate
    BEFORE TRUNCATE ON audit_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_auditcheckpoint;
DROP TRIGGER IF EXISTS audit_checkpoint_no_update_delete ON audit_auditcheckpoint;
"""


# The vendor check of 0002: the triggers exist on PostgreSQL only.
_run = import_module("audit.migrations.0002_append_only_trigger")._run


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_trigger'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveBigIntegerField(unique=True, verbose_name='number')),
                ('created_at', models.DateTimeField(verbose_name='time')),
                ('event_count', models.PositiveBigIntegerField(verbose_name='events covered')),
                ('head_event_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='last event')),
                ('head_hash', models.CharField(max_length=64, verbose_name='hash of the last event')),
                ('signature', models.BinaryField(verbose_name='signature (CMS, DER)')),
            ],
            options={
                'verbose_name': 'audit checkpoint',
                'verbose_name_plural': 'audit checkpoints',
                'ordering': ['number'],
            },
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
