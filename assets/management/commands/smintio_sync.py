"""Run one Smint.io sync in the foreground: `manage.py smintio_sync`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assets.smintio import client as smintio
from assets.smintio.sync import smintio_sync


class Command(BaseCommand):
    help = "Pull licensed assets, terms and cancellations from Smint.io now."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = smintio_sync()
        except smintio.SmintioError as error:
            raise CommandError(f"Smint.io sync stopped: {error.detail}") from error
        self.stdout.write(f"Smint.io: {report.summary()}")
        for problem in report.problems:
            self.stdout.write(f"  - {problem}")
