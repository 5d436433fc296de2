"""Revoke the active API key of a name."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govern.models import ApiKey
from govern.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke the active API key <name>."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        api_key = ApiKey.objects.filter(name=options["name"], revoked_at__isnull=True).first()
        if api_key is None:
            raise CommandError(f"No active API key named '{options['name']}'.")
        api_key_revoke(api_key=api_key, actor=None)
        self.stdout.write(f"Revoked API key {api_key}")
