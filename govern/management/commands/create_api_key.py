"""Issue an API key for an integration account and print it once."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from govern.commands import find_unit
from govern.models import ApiKey
from govern.services import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Create an API key <name> scoped to units; an active key is kept unless --rotate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--unit", action="append", required=True, help="Unit slug; repeat.")
        parser.add_argument("--rotate", action="store_true", help="Revoke the active key first.")

    def handle(self, *args: Any, **options: Any) -> None:
        units = [find_unit(slug) for slug in options["unit"]]
        name = options["name"]
        with transaction.atomic():
            active = ApiKey.objects.filter(name=name, revoked_at__isnull=True).first()
            if active and not options["rotate"]:
                self.stdout.write(
                    f"API key {active} is already active; use --rotate to replace it."
                )
                return
            if active:
                api_key_revoke(api_key=active, actor=None)
            try:
                api_key, raw_key = api_key_create(name=name, units=units, actor=None)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"API key {api_key} for units {', '.join(u.slug for u in units)}.")
        self.stdout.write("Store it now; it is not shown again:")
        self.stdout.write(raw_key)
