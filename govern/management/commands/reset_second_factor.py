"""Remove a person's second factor (they set up a new one at their next login)."""

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govern.identity.second_factor import second_factor_reset


class Command(BaseCommand):
    help = "Remove <username>'s authenticator and recovery codes (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']}.")
        removed = second_factor_reset(user=user, actor=None)
        self.stdout.write(f"{user.username}: second factor removed ({removed} records).")
