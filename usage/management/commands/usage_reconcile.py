"""Judge reported runs again, e.g. after a licence or clearance was corrected."""

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from usage.models import ProductionRun
from usage.services import usage_reconcile


def _moment(text: str, name: str) -> datetime:
    """Read a date (midnight UTC) or an ISO 8601 time; a time without a zone is UTC."""
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--{name} needs a date (2026-11-01) or an ISO 8601 time.")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Reconcile the runs that started in a period; store the exceptions not found before."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="date or ISO 8601 time (inclusive)")
        parser.add_argument("--until", help="date or ISO 8601 time (exclusive)")

    def handle(self, *args: Any, **options: Any) -> None:
        runs = ProductionRun.objects.filter(started_at__gte=_moment(options["since"], "since"))
        if options["until"]:
            runs = runs.filter(started_at__lt=_moment(options["until"], "until"))
        found = usage_reconcile(runs=runs, actor=None)
        self.stdout.write(f"{runs.count()} runs reconciled, {len(found)} new exceptions.")
        for exception in found:
            self.stdout.write(f"  {exception.code}: {exception.detail}")
