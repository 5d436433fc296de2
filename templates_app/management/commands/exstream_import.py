"""Import Exstream's templates into a business unit: `manage.py exstream_import --unit <slug>`."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govern.commands import find_unit
from templates_app.exstream import client as exstream
from templates_app.exstream import gateway
from templates_app.exstream.services import templates_import


class Command(BaseCommand):
    help = "Pull templates, components and image references from Exstream; report what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--unit",
            default=settings.EXSTREAM_IMPORT_UNIT,
            help="Business unit slug (default EXSTREAM_IMPORT_UNIT).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["unit"]:
            raise CommandError("Name the unit: --unit <slug> or EXSTREAM_IMPORT_UNIT.")
        unit = find_unit(options["unit"])
        try:
            items = gateway.templates()
        except exstream.ExstreamError as error:
            raise CommandError(f"Exstream did not answer: {error.detail}") from error
        report = templates_import(unit=unit, items=items)
        self.stdout.write(f"Imported {len(items)} templates into {unit.slug}: {report.summary()}")
        for removed in report.removed:
            self.stdout.write(f"  removed {removed}")
        for problem in report.problems:
            self.stdout.write(f"  - {problem}")
