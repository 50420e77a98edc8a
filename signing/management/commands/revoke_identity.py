from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from signing import services
from signing.models import SigningIdentity


class Command(BaseCommand):
    help = "Revoke a signing identity by its certificate serial (hex) and issue a new CRL."

    def add_arguments(self, parser):
        parser.add_argument("serial")
        parser.add_argument(
            "--reason",
            choices=SigningIdentity.RevocationReason.values,
            default=SigningIdentity.RevocationReason.UNSPECIFIED,
            help="key_compromise taints every signature the key ever made; the other "
            "reasons leave signatures timestamped before the revocation valid.",
        )

    def handle(self, *args, serial: str, reason: str, **options):
        identity = SigningIdentity.objects.filter(serial=serial.lower().lstrip("0")).first()
        if identity is None:
            raise CommandError(f"No signing identity has serial {serial}.")
        try:
            identity = services.identity_revoke(identity=identity, reason=reason)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Revoked {identity} at {identity.revoked_at:%Y-%m-%d %H:%M:%S}.")
