from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import selectors, services


class Command(BaseCommand):
    help = (
        "Grant or revoke the platform's approver role, make an approver a lead (who reassigns "
        "approver tasks) or not (all audited), or list the approvers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        for action in ("grant", "revoke", "lead", "unlead"):
            actions.add_parser(action).add_argument("username")
        actions.add_parser("list")

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            for user in selectors.user_list_approvers():
                self.stdout.write(f"{user.username}\t{user}")
            return
        user = selectors.user_get_by_username(options["username"])
        if user is None:
            raise CommandError(f"There is no account with the username {options['username']!r}.")
        if action in {"lead", "unlead"}:
            try:
                services.approver_lead_set(user=user, actor=None, lead=action == "lead")
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            state = "now" if action == "lead" else "no longer"
            self.stdout.write(self.style.SUCCESS(f"{user.username} is {state} an approver lead."))
            return
        if action == "grant":
            services.approver_grant(user=user, actor=None)
            self.stdout.write(self.style.SUCCESS(f"{user.username} is now an approver."))
        else:
            services.approver_revoke(user=user, actor=None)
            self.stdout.write(self.style.SUCCESS(f"{user.username} is no longer an approver."))
