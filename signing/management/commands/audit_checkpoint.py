from django.core.management.base import BaseCommand, CommandError

from audit.services import CheckpointRefusedError
from signing import services


class Command(BaseCommand):
    help = (
        "Write a checkpoint of the audit chain (event count, id and hash of the newest event, "
        "time), signed by the platform with a trusted timestamp; verify_audit then notices "
        "if events it covers go missing. Nothing new when no event was added since the last."
    )

    def handle(self, *args, **options) -> None:
        try:
            checkpoint = services.audit_checkpoint_create()
        except CheckpointRefusedError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Checkpoint #{checkpoint.number} of {checkpoint.created_at.isoformat()}: "
            f"{checkpoint.event_count} events, ending in {checkpoint.head_hash}."
        )
