from django.db import migrations


def copy_evidence_to_stages(apps, schema_editor):
    """Each evidence summary made so far becomes its agreement's document stage."""
    evidence = apps.get_model("agreements", "AgreementEvidence")
    stage = apps.get_model("documents", "DocumentStage")
    content_type = apps.get_model("contenttypes", "ContentType")
    agreement_type, _created = content_type.objects.get_or_create(
        app_label="agreements", model="aidagreement"
    )
    stage.objects.bulk_create(
        [
            stage(
                owner_type_id=agreement_type.pk,
                owner_id=str(row.agreement_id),
                stage=f"agreement_evidence:{row.stage}",
                document_id=row.document_id,
            )
            for row in evidence.objects.all()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0001_initial"),
        ("documents", "0002_document_kinds_registered_and_stages"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(copy_evidence_to_stages, migrations.RunPython.noop),
        migrations.DeleteModel(name="AgreementEvidence"),
    ]
