from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEvent
from audit.selectors import audit_chain_first_break


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit non-zero naming the first broken link."

    def handle(self, *args, **options) -> None:
        broken = audit_chain_first_break()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event {broken.pk} "
                f"({broken.action} at {broken.created_at.isoformat()}): its stored fields "
                "or its link to the previous event were changed."
            )
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} events verified."))
