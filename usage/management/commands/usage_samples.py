"""Attach documents a run produced: `manage.py usage_samples RUN_ID FILE... [--channel print]`."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assets.selectors import clean_selectors
from usage.models import ProductionRun
from usage.samples.services import sample_add


class Command(BaseCommand):
    help = "Attach produced PDFs to a run as samples; a worker reads them (usage-samples)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", help="the run id Exstream gave the run")
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--channel", default="")
        parser.add_argument("--region", default="")
        parser.add_argument("--language", default="")
        parser.add_argument("--segment", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        run = ProductionRun.objects.filter(run_id=options["run_id"]).first()
        if run is None:
            raise CommandError(f"No run {options['run_id']} has been reported.")
        context = self._context(options)
        refused = 0
        for path in options["files"]:
            refused += not self._attach(run, path, context)
        if refused:
            raise CommandError(f"{refused} of {len(options['files'])} files were refused.")

    def _context(self, options: dict[str, Any]) -> dict[str, str]:
        try:
            selectors = clean_selectors(
                language=options["language"],
                region=options["region"],
                segment=options["segment"],
                channels=[options["channel"]] if options["channel"] else [],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        return {
            "channel": selectors.channels,
            "region": selectors.region,
            "language": selectors.language,
            "segment": selectors.segment,
        }

    def _attach(self, run: ProductionRun, path: Path, context: dict[str, str]) -> bool:
        if not path.is_file() or path.stat().st_size > settings.SAMPLE_MAX_BYTES:
            self.stderr.write(f"refused {path}: not a file, or larger than SAMPLE_MAX_MB")
            return False
        try:
            sample, created = sample_add(
                run=run, data=path.read_bytes(), file_name=path.name, actor=None, **context
            )
        except ValidationError as error:
            self.stderr.write(f"refused {path}: {' '.join(error.messages)}")
            return False
        said = "queued" if created else "already attached"
        self.stdout.write(f"{path.name}: sample {sample.pk}, {sample.pages_total} pages, {said}")
        return True
