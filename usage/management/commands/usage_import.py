"""Import a usage file from Exstream; refused whole, naming every bad line, or stored."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from usage.importer import FORMATS, FileRefused, import_file
from usage.inbox import format_of


class Command(BaseCommand):
    help = "Import a usage file (Govern's CSV or JSON lines, or Experience Insights events)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, help="default: from the file name")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        file_format = options["format"] or format_of(path)
        if file_format is None:
            raise CommandError("Name the format with --format (csv, jsonl, xi).")
        try:
            result = import_file(path, file_format)
        except FileRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            raise CommandError(f"{path.name} refused; nothing was stored.") from None
        self.stdout.write(
            f"{result.runs_created} run(s) stored with {result.records} records, "
            f"{result.runs_unchanged} already known, {result.exceptions} exception(s), "
            f"{result.skipped_events} event(s) skipped."
        )
