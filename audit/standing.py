"""Whether the audit chain verifies up to its latest signed checkpoint, cheaply enough for a page.

A page cannot walk the whole chain on every load (`manage.py audit_verify --checkpoints` does).
It checks what a rewrite or a truncation would change: the latest checkpoint's signature, the
event at its size still carrying the hash it signed, and every event after it linking to it and
matching its own hash (up to AFTER_LIMIT of them).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from audit import checkpoints
from audit.chain import GENESIS_HASH, verify
from audit.models import AuditEvent

# Checkpoints are written every few minutes; more events than this after the last one are
# left to audit_verify rather than walked on a page load.
AFTER_LIMIT = 5_000
FULL_WALK = "manage.py audit_verify --checkpoints walks the whole chain"


@dataclass(frozen=True)
class Standing:
    state: str  # "verified", "broken" or "unchecked"
    message: str


def chain_standing() -> Standing:
    """Say whether the chain agrees with its latest checkpoint and the events after it verify."""
    try:
        point = checkpoints.latest(checkpoints.directory())
    except checkpoints.CheckpointError as error:
        return Standing("unchecked", f"Not checked against a signed checkpoint: {error}")
    except OSError as error:
        return Standing("unchecked", f"The checkpoint file could not be read: {error.strerror}.")
    except checkpoints.BadCheckpoint:
        return Standing(
            "broken",
            "The latest checkpoint is malformed or not signed by the checkpoint key: "
            f"the log cannot be trusted. {FULL_WALK}.",
        )
    if point is None:
        return Standing("unchecked", "No checkpoint has been written yet.")
    problem = _disagreement(point)
    if problem:
        return Standing("broken", f"The chain disagrees with its latest checkpoint: {problem}.")
    return _after(point)


def _disagreement(point: checkpoints.Checkpoint) -> str:
    if point.size == 0:
        return "" if point.head_hash == GENESIS_HASH else "it signed an empty chain wrongly"
    stored = AuditEvent.objects.filter(sequence=point.size).values_list("hash", flat=True).first()
    if stored is None:
        return f"the checkpoint of {_when(point)} saw {point.size} events; the chain has fewer"
    if stored != point.head_hash:
        return f"event {point.size} no longer has the hash the checkpoint of {_when(point)} signed"
    return ""


def _after(point: checkpoints.Checkpoint) -> Standing:
    events = AuditEvent.objects.filter(sequence__gt=point.size).order_by("sequence")
    rows = (
        (event.sequence, event.prev_hash, event.hash, event.payload())
        for event in events[: AFTER_LIMIT + 1].iterator(chunk_size=1000)
    )
    result = verify(rows, start=point.size + 1, head=point.head_hash)
    when = _when(point)
    if not result.intact:
        return Standing(
            "broken",
            f"The chain breaks at event {result.first_bad_sequence}, after the checkpoint of "
            f"{when}: {result.problem}.",
        )
    after = f"the {min(result.count, AFTER_LIMIT):,} event(s) after it link to it and match "
    after += "their hashes" if result.count <= AFTER_LIMIT else "theirs (later ones unchecked here)"
    if result.count == 0:
        after = "no event has been recorded after it"
    return Standing(
        "verified",
        f"The chain verifies up to its latest signed checkpoint ({when}, {point.size:,} "
        f"events), and {after}. {FULL_WALK}.",
    )


def _when(point: checkpoints.Checkpoint) -> str:
    try:
        moment = datetime.fromisoformat(point.time).astimezone(UTC)
    except ValueError:
        return point.time
    return f"{moment:%Y-%m-%d %H:%M} UTC"
