"""The audit trail as a file an auditor can verify offline, row by row and link by link.

Each row carries every field the hash covers, in its canonical spelling, with the event's
previous hash and hash: `manage.py audit_verify --file` recomputes them without the database.
"""

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from audit.cells import unescape_cell
from audit.chain import GENESIS_HASH, canonical_json, canonical_time, chain_hash
from audit.models import AuditEvent

HASH = re.compile(r"[0-9a-f]{64}")
HEADER = [
    *("sequence", "created_at", "actor_id", "actor_name", "action", "target_type", "target_id"),
    *("business_unit_id", "data", "prev_hash", "hash"),
]


def event_rows(events: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    """Yield the events oldest first, each as the cells of one row."""
    for event in events.order_by("sequence").iterator(chunk_size=2000):
        yield [
            event.sequence,
            canonical_time(event.created_at),
            "" if event.actor_id is None else event.actor_id,
            event.actor_name,
            event.action,
            event.target_type,
            event.target_id,
            "" if event.business_unit_id is None else event.business_unit_id,
            canonical_json(event.data),
            event.prev_hash,
            event.hash,
        ]


@dataclass
class FileCheck:
    rows: int = 0
    first: int | None = None
    last: int | None = None
    head: str = ""
    gaps: int = 0
    from_genesis: bool = False
    problem: str = ""
    bad_row: int | None = None

    @property
    def intact(self) -> bool:
        return self.bad_row is None


def _optional_int(text: str) -> int | None:
    return int(text) if text != "" else None


def _payload(cells: dict[str, str]) -> dict[str, Any]:
    return {
        "sequence": int(cells["sequence"]),
        "created_at": cells["created_at"],
        "actor_id": _optional_int(cells["actor_id"]),
        "actor_name": cells["actor_name"],
        "action": cells["action"],
        "target_type": cells["target_type"],
        "target_id": cells["target_id"],
        "business_unit_id": _optional_int(cells["business_unit_id"]),
        "data": json.loads(cells["data"]),
    }


def verify_rows(rows: Iterable[dict[str, str]]) -> FileCheck:
    """Check each exported row's hash and every link between consecutive sequences."""
    check = FileCheck()
    previous: tuple[int, str] | None = None
    for line, raw in enumerate(rows, start=2):
        cells = {name: unescape_cell(raw.get(name) or "") for name in HEADER}
        try:
            if not (HASH.fullmatch(cells["prev_hash"]) and HASH.fullmatch(cells["hash"])):
                raise ValueError("prev_hash and hash must be 64 hexadecimal digits")
            payload = _payload(cells)
        except (ValueError, KeyError) as error:
            check.bad_row, check.problem = line, f"unreadable row: {error}"
            return check
        sequence = payload["sequence"]
        if chain_hash(cells["prev_hash"], payload) != cells["hash"]:
            check.bad_row, check.problem = line, f"event {sequence} does not match its hash"
            return check
        if previous is not None and sequence <= previous[0]:
            check.bad_row, check.problem = line, f"event {sequence} is out of order"
            return check
        follows = previous is not None and sequence == previous[0] + 1
        if follows and previous is not None and cells["prev_hash"] != previous[1]:
            check.bad_row, check.problem = line, f"event {sequence} does not link to {previous[0]}"
            return check
        if previous is not None and not follows:
            check.gaps += 1
        if previous is None:
            check.first = sequence
            check.from_genesis = sequence == 1 and cells["prev_hash"] == GENESIS_HASH
        previous = (sequence, cells["hash"])
        check.rows, check.last, check.head = check.rows + 1, sequence, cells["hash"]
    return check


def verify_file(path: Path) -> FileCheck:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        try:
            missing = set(HEADER) - set(reader.fieldnames or [])
            if missing:
                problem = f"missing columns: {', '.join(sorted(missing))}"
                return FileCheck(bad_row=1, problem=problem)
            return verify_rows(reader)
        except (csv.Error, UnicodeDecodeError) as error:
            return FileCheck(bad_row=reader.line_num, problem=f"not a readable CSV file: {error}")
