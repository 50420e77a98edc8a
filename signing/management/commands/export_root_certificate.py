from pathlib import Path

from django.core.management.base import BaseCommand

from signing import services


class Command(BaseCommand):
    help = "Write the platform root certificate (PEM) to FILE, or to stdout with '-'."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        pem = services.root_certificate_pem()
        if file == "-":
            self.stdout.write(pem, ending="")
            return
        Path(file).write_text(pem, encoding="ascii")
        self.stderr.write(f"Wrote the root certificate to {file}")
