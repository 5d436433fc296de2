"""Revoke a role in a business unit."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govern.commands import find_unit, find_user, parse_role
from govern.services import role_revoke


class Command(BaseCommand):
    help = "Revoke <username>'s <role> in the unit <unit-slug>."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role")
        parser.add_argument("unit")

    def handle(self, *args: Any, **options: Any) -> None:
        role, unit = parse_role(options["role"]), find_unit(options["unit"])
        user = find_user(options["username"])
        revoked = role_revoke(user=user, role=role, unit=unit, actor=None)
        state = "no longer holds" if revoked else "did not hold"
        self.stdout.write(f"{user.username} {state} {role.value} in {unit.slug}")
