"""Store a new Smint.io refresh token after an administrator re-authorized Govern."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assets.smintio import connection as smintio_connection
from assets.smintio.services import smintio_authorize


class Command(BaseCommand):
    help = "Store a fresh refresh token (from Smint.io's consent flow) and restart the sync."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("refresh_token")

    def handle(self, *args: Any, **options: Any) -> None:
        smintio_authorize(refresh_token=options["refresh_token"], via="manage.py smintio_authorize")
        smintio_connection.reset_client()
        self.stdout.write("Stored the refresh token; the next sync uses it.")
