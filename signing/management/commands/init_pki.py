from django.core.management.base import BaseCommand

from signing import services


class Command(BaseCommand):
    help = (
        "Create the platform PKI if missing: root CA, platform signing identity, "
        "time-stamping unit and the first CRL. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        identities = services.pki_init()
        for role, identity in identities.items():
            self.stdout.write(
                f"{role}: {identity.common_name} serial={identity.serial} "
                f"valid until {identity.not_after:%Y-%m-%d}"
            )
