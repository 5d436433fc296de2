"""Let a group of the identity provider give a role in a business unit."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govern.commands import find_unit, parse_role
from govern.identity.services import group_map


class Command(BaseCommand):
    help = "Let the identity provider's <group> give <role> in the unit <unit-slug>."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("group")
        parser.add_argument("role")
        parser.add_argument("unit")

    def handle(self, *args: Any, **options: Any) -> None:
        role, unit = parse_role(options["role"]), find_unit(options["unit"])
        try:
            created = group_map(group=options["group"], role=role, unit=unit, actor=None)
        except ValidationError as invalid:
            raise CommandError(" ".join(invalid.messages)) from None
        state = "now gives" if created else "already gave"
        self.stdout.write(f"{options['group']} {state} {role.value} in {unit.slug}")
