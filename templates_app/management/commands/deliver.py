"""Drain the outbox in the foreground: `manage.py deliver --until-idle`."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from templates_app.outbox import worker as outbox


class Command(BaseCommand):
    help = "Push due deliveries to Exstream; with --until-idle, until nothing is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until-idle", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        outcomes = outbox.drain(until_idle=options["until_idle"])
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        elapsed = time.monotonic() - started
        self.stdout.write(f"Deliveries: {summary or 'nothing due'} in {elapsed:.2f} s")
