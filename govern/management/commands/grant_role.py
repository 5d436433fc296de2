"""Grant a role in a business unit, creating the user when missing."""

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from govern.commands import find_unit, parse_role
from govern.roles import Role
from govern.services import installation_auditor_grant, role_grant, user_create
from govern.usernames import clean_username


class Command(BaseCommand):
    help = (
        "Grant <username> the <role> in the unit <unit-slug>, or `auditor --installation` for "
        "the events of no unit; create the user if missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role")
        parser.add_argument("unit", nargs="?")
        parser.add_argument("--password", help="Password for a new user (default: generated).")
        parser.add_argument(
            "--installation",
            action="store_true",
            help="auditor only: read the events that belong to no unit (logins, the platform)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role = parse_role(options["role"])
        if options["installation"] != (options["unit"] is None):
            raise CommandError("Name a unit, or give --installation (auditors), not both.")
        if options["installation"] and role != Role.AUDITOR:
            raise CommandError("Only auditors are installation-wide.")
        unit = find_unit(options["unit"]) if options["unit"] else None
        try:
            username = clean_username(options["username"])
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from None
        with transaction.atomic():
            password = options["password"] or secrets.token_urlsafe(12)
            user, created = user_create(username=username, password=password, actor=None)
            if created:
                self.stdout.write(f"Created user {username} with password: {password}")
            if unit is None:
                granted = installation_auditor_grant(user=user, actor=None)
            else:
                granted = role_grant(user=user, role=role, unit=unit, actor=None)
        state = "now holds" if granted else "already held"
        where = f"in {unit.slug}" if unit else "for the whole installation"
        self.stdout.write(f"{username} {state} {role.value} {where}")
