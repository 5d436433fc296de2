"""Verify the audit chain: exit 0 with the count and head hash, 1 naming what is broken, 2 for
a configuration error (no checkpoint file, no key).

Broken means: a row does not match its hash or its link, an append-only trigger is missing or
disabled, or (with --checkpoints) the chain disagrees with a signed checkpoint kept outside the
database: fewer events than one saw (truncation), another hash at its size (a rewritten chain,
or events forged in before it), or a checkpoint not signed by the key.

With --file, verify an exported CSV instead, without the database: every row against its hash
and every consecutive pair against its link; --head compares the last hash with one kept
outside.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from audit import checkpoints, triggers
from audit.chain import VerifyResult, verify
from audit.exports import verify_file
from audit.models import AuditEvent

Row = tuple[int, str, str, dict[str, Any]]


def _rows(watch: set[int], seen: dict[int, str]) -> Iterator[Row]:
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if event.sequence in watch:
            seen[event.sequence] = event.hash
        yield event.sequence, event.prev_hash, event.hash, event.payload()


def broken(message: str) -> CommandError:
    return CommandError(message, returncode=1)


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log, or an exported audit CSV (--file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="an audit export (CSV) to verify offline")
        parser.add_argument("--head", help="the head hash kept outside; the last row must match")
        parser.add_argument(
            "--checkpoints",
            nargs="?",
            const="",
            help="the folder of signed checkpoints (AUDIT_CHECKPOINT_DIR when no folder is named)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"]:
            self._verify_file(options["file"], options["head"])
            return
        signed = self._read_checkpoints(options["checkpoints"])
        seen: dict[int, str] = {}
        result = verify(_rows(checkpoints.sizes(signed or []), seen))
        self._report_chain(result, options["head"])
        self._report_triggers()
        summary = f"Audit chain intact: {result.count} events, head {result.head_hash}"
        if signed is not None:
            summary += self._agree(signed, result, seen)
        self.stdout.write(summary)

    def _read_checkpoints(self, folder: str | None) -> list[checkpoints.Signed] | None:
        if folder is None:
            return None
        try:
            return checkpoints.read(Path(folder) if folder else checkpoints.directory())
        except checkpoints.CheckpointError as error:
            raise CommandError(str(error), returncode=2) from error
        except checkpoints.BadCheckpoint as error:
            raise broken(f"Audit checkpoints untrustworthy: {error}.") from error

    def _report_chain(self, result: VerifyResult, head: str | None) -> None:
        if not result.intact:
            raise broken(
                f"Audit chain broken at sequence {result.first_bad_sequence}: {result.problem} "
                f"({result.count} events verified before it)."
            )
        if head and head != result.head_hash:
            raise broken(f"Head {result.head_hash} is not the one kept.")

    def _report_triggers(self) -> None:
        absent = triggers.missing(connection)
        if absent:
            raise broken(
                f"Audit log unprotected: trigger(s) {', '.join(absent)} missing or disabled; "
                "the chain verifies, `manage.py migrate` restores them."
            )

    def _agree(
        self, signed: list[checkpoints.Signed], result: VerifyResult, seen: dict[int, str]
    ) -> str:
        agreement = checkpoints.agree(signed, result.count, seen)
        if agreement.problem:
            raise broken(f"Audit chain disagrees with its checkpoints: {agreement.problem}.")
        if agreement.last is None:
            return "; no checkpoint yet"
        last = agreement.last
        after = result.count - last.size
        return (
            f"; agrees with {agreement.checked} signed checkpoint(s), the last of {last.time} "
            f"at {last.size} events ({after} event(s) after it not yet checkpointed)"
        )

    def _verify_file(self, path: Path, head: str | None) -> None:
        if not path.is_file():
            raise CommandError(f"No file {path}.", returncode=2)
        check = verify_file(path)
        if not check.intact:
            raise broken(f"{path} line {check.bad_row}: {check.problem}.")
        if head and head != check.head:
            raise broken(f"The file ends at {check.head}, not at the head kept.")
        span = f"events {check.first}-{check.last}" if check.rows else "no events"
        start = "from the start of the chain" if check.from_genesis else "from part of the chain"
        self.stdout.write(
            f"Export intact: {check.rows} rows, {span}, {start}, {check.gaps} gap(s) "
            f"where the filters left events out, last hash {check.head}"
        )
