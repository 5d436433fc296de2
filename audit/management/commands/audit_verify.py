"""Verify the audit chain: exit 0 with the count and head hash, or 1 naming the first bad row.

With --file, verify an exported CSV instead, without the database: every row against its hash
and every consecutive pair against its link; --head compares the last hash with one kept
outside (the only proof that the whole chain was not rewritten).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import verify
from audit.exports import verify_file
from audit.models import AuditEvent


def _rows() -> Any:
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        yield event.sequence, event.prev_hash, event.hash, event.payload()


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log, or an exported audit CSV (--file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="an audit export (CSV) to verify offline")
        parser.add_argument("--head", help="the head hash kept outside; the last row must match")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"]:
            self._verify_file(options["file"], options["head"])
            return
        result = verify(_rows())
        if not result.intact:
            raise CommandError(
                f"Audit chain broken at sequence {result.first_bad_sequence}: {result.problem} "
                f"({result.count} events verified before it).",
                returncode=1,
            )
        if options["head"] and options["head"] != result.head_hash:
            raise CommandError(f"Head {result.head_hash} is not the one kept.", returncode=1)
        self.stdout.write(f"Audit chain intact: {result.count} events, head {result.head_hash}")

    def _verify_file(self, path: Path, head: str | None) -> None:
        if not path.is_file():
            raise CommandError(f"No file {path}.", returncode=2)
        check = verify_file(path)
        if not check.intact:
            raise CommandError(f"{path} line {check.bad_row}: {check.problem}.", returncode=1)
        if head and head != check.head:
            raise CommandError(
                f"The file ends at {check.head}, not at the head kept.", returncode=1
            )
        span = f"events {check.first}-{check.last}" if check.rows else "no events"
        start = "from the start of the chain" if check.from_genesis else "from part of the chain"
        self.stdout.write(
            f"Export intact: {check.rows} rows, {span}, {start}, {check.gaps} gap(s) "
            f"where the filters left events out, last hash {check.head}"
        )
