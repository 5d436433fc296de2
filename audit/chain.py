"""The hash chain of the audit log: canonical form, hashing and verification."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Return the one JSON spelling of a value: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """Return sha256 over the previous hash and the canonical JSON of an event."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_json(payload).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    count: int
    head_hash: str
    first_bad_sequence: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.first_bad_sequence is None


def verify(
    rows: Iterable[tuple[int, str, str, dict[str, Any]]],
    *,
    start: int = 1,
    head: str = GENESIS_HASH,
) -> VerifyResult:
    """Walk (sequence, prev_hash, hash, payload) rows in sequence order and find the first break;
    `start` and `head` begin the walk after a trusted point (a checkpoint) instead of genesis."""
    expected, count = start, 0
    for sequence, prev_hash, stored_hash, payload in rows:
        if sequence != expected:
            problem = f"sequence {expected} is missing or out of order (found {sequence})"
            return VerifyResult(count, head, expected, problem)
        if prev_hash != head:
            return VerifyResult(count, head, sequence, "previous hash does not match the chain")
        if chain_hash(prev_hash, payload) != stored_hash:
            return VerifyResult(count, head, sequence, "content does not match its hash")
        head, expected, count = stored_hash, expected + 1, count + 1
    return VerifyResult(count, head)
