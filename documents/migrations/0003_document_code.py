from django.db import migrations, models


def share_first_version_code(apps, schema_editor):
    """Every existing version gets its document's code: the code of its first version, which
    is what the pages of that version and of the copies signed from it print. A later
    rendering printed its own version code; that still resolves (to the same document)."""
    document = apps.get_model("documents", "Document")
    first_codes = {}
    for row in document.objects.order_by("owner_type_id", "owner_id", "kind", "version").values(
        "pk", "owner_type_id", "owner_id", "kind", "verification_code"
    ):
        key = (row["owner_type_id"], row["owner_id"], row["kind"])
        code = first_codes.setdefault(key, row["verification_code"])
        document.objects.filter(pk=row["pk"]).update(document_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_document_kinds_registered_and_stages"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="document_code",
            field=models.CharField(
                blank=True, db_index=True, max_length=20, verbose_name="document code"
            ),
        ),
        migrations.RunPython(share_first_version_code, migrations.RunPython.noop),
    ]
