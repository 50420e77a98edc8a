from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.models import Document


class Command(BaseCommand):
    help = "Write every stored document version to DIR as <kind>-<owner_id>-v<version>.pdf."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, metavar="DIR")

    def handle(self, *args, directory: Path, **options) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot create {directory}: {error}") from error
        count = 0
        for document in Document.objects.order_by("pk").iterator(chunk_size=500):
            with document.file.open("rb") as source:
                (directory / document.file_name).write_bytes(source.read())
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Exported {count} documents to {directory}."))
