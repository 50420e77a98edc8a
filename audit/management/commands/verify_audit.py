from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import signature_checks
from audit.models import AuditCheckpoint, AuditEvent
from audit.selectors import (
    audit_chain_first_break,
    audit_checkpoint_breaks,
    audit_checkpoint_latest,
)


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain and compare it with every checkpoint; exit non-zero naming "
        "the first broken link, the newest events that went missing, or a checkpoint whose "
        "signature does not hold. The newest checkpoint's signature is checked; with "
        "--all-signatures every one's (some 30 ms each)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all-signatures", action="store_true")

    def handle(self, *args, all_signatures: bool = False, **options) -> None:
        broken = audit_chain_first_break()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event {broken.pk} "
                f"({broken.action} at {broken.created_at.isoformat()}): its stored fields "
                "or its link to the previous event were changed."
            )
        problems = audit_checkpoint_breaks() + _signature_problems(every=all_signatures)
        if problems:
            raise CommandError("\n".join(problems))
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} events verified."))
        latest = audit_checkpoint_latest()
        if latest is not None:
            signatures = (
                "signatures not checked: no app registered a check"
                if not signature_checks()
                else "every signature holds"
                if all_signatures
                else "its signature holds"
            )
            self.stdout.write(
                f"Checkpoints agreeing with it: {AuditCheckpoint.objects.count()}; the newest is "
                f"#{latest.number} of {latest.created_at.isoformat()} ({signatures})."
            )


def _signature_problems(*, every: bool) -> list[str]:
    checks = signature_checks()
    checkpoints = AuditCheckpoint.objects.order_by("-number")
    problems = []
    for checkpoint in checkpoints.iterator(chunk_size=500) if every else checkpoints[:1]:
        for check in checks:
            why = check(checkpoint)
            if why:
                problems.append(
                    f"Checkpoint #{checkpoint.number} of {checkpoint.created_at.isoformat()}: "
                    f"its signature does not hold ({why})."
                )
    return problems
