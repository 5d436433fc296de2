"""Store a new Smint.io refresh token after an administrator re-authorized Govern."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assets.models import SmintioConnection
from audit.services import audit_record


class Command(BaseCommand):
    help = "Store a fresh refresh token (from Smint.io's consent flow) and restart the sync."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("refresh_token")

    def handle(self, *args: Any, **options: Any) -> None:
        SmintioConnection.objects.update_or_create(
            pk=1,
            defaults={
                "refresh_token": options["refresh_token"],
                "last_error": "",
                "state": SmintioConnection.State.OK,
            },
        )
        audit_record(action="smintio.authorized", data={"via": "manage.py smintio_authorize"})
        self.stdout.write("Stored the refresh token; the next sync uses it.")
