"""Stop a group of the identity provider giving a role in a business unit."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govern.commands import find_unit, parse_role
from govern.identity.services import group_unmap


class Command(BaseCommand):
    help = "Stop the identity provider's <group> giving <role> in the unit <unit-slug>."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("group")
        parser.add_argument("role")
        parser.add_argument("unit")

    def handle(self, *args: Any, **options: Any) -> None:
        role, unit = parse_role(options["role"]), find_unit(options["unit"])
        removed = group_unmap(group=options["group"], role=role, unit=unit, actor=None)
        state = "no longer gives" if removed else "did not give"
        self.stdout.write(f"{options['group']} {state} {role.value} in {unit.slug}")
