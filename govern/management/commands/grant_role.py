"""Grant a role in a business unit, creating the user when missing."""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from govern.commands import find_unit, parse_role
from govern.services import role_grant


class Command(BaseCommand):
    help = "Grant <username> the <role> in the unit <unit-slug>; create the user if missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role")
        parser.add_argument("unit")
        parser.add_argument("--password", help="Password for a new user (default: generated).")

    def handle(self, *args: Any, **options: Any) -> None:
        role, unit = parse_role(options["role"]), find_unit(options["unit"])
        username = options["username"]
        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                password = options["password"] or secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(f"Created user {username} with password: {password}")
            granted = role_grant(user=user, role=role, unit=unit, actor=None)
        state = "now holds" if granted else "already held"
        self.stdout.write(f"{username} {state} {role.value} in {unit.slug}")
