from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from signing import services


class Command(BaseCommand):
    help = (
        "Validate every signature of a PDF against the platform root and CRL, offline. "
        "Exits 0 only when there is at least one signature, every one is intact, valid and "
        "trusted, and nothing but signatures and validation data was added after signing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        report = services.validate_pdf(data)
        self.stdout.write(f"File: {file}\nSHA-256: {report.sha256}")
        if report.error:
            raise CommandError(report.error)
        for number, signature in enumerate(report.signatures, start=1):
            timestamp = signature.timestamp_time.isoformat() if signature.timestamp_time else "-"
            self.stdout.write(
                f"Signature #{number}: field={signature.field_name}\n"
                f"  signer: {signature.signer} (serial {signature.signer_serial})\n"
                f"  timestamp: {timestamp} (trusted: {_yes(signature.timestamp_trusted)})\n"
                f"  intact: {_yes(signature.intact)}  valid: {_yes(signature.valid)}  "
                f"trusted: {_yes(signature.trusted)}\n"
                f"  coverage: {signature.coverage}  "
                f"modifications: {signature.modification_level or '-'}\n"
                f"  pyHanko: {signature.summary}"
            )
        if not report.signatures:
            raise CommandError("The PDF carries no signature.")
        if report.changed_after_signing:
            self.stdout.write("The document was changed after signing.")
        if not report.ok:
            raise CommandError("Not every signature is intact, valid and trusted.")
        self.stdout.write(self.style.SUCCESS("Every signature is intact, valid and trusted."))


def _yes(value: bool) -> str:
    return "yes" if value else "NO"
