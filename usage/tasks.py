"""Worker tasks of the usage room: safe to run twice or at once."""

import time

from django.utils import timezone

from usage.inbox import inbox_import
from usage.partitions import partitions_ahead
from usage.samples.services import sample_claim, sample_read

# One task reads samples for about this long, well inside the worker's task timeout (120 s); a
# sample not done by then is handed back with its progress and the next run goes on with it.
SAMPLES_BUDGET_SECONDS = 80


def import_usage_inbox() -> dict[str, int]:
    """Import the usage files waiting in USAGE_INBOX (every minute)."""
    return inbox_import()


def read_samples() -> dict[str, int]:
    """Read the samples waiting (or left by a reader that died), one after another."""
    outcomes: dict[str, int] = {}
    started = time.monotonic()
    while time.monotonic() - started < SAMPLES_BUDGET_SECONDS:
        sample = sample_claim()
        if sample is None:
            break
        left = SAMPLES_BUDGET_SECONDS - (time.monotonic() - started)
        outcome = sample_read(sample=sample, budget_seconds=left)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome in ("waiting", "paused"):  # the machine cannot go on now: next time
            break
    return outcomes


def make_partitions() -> list[str]:
    """Make the usage records' partitions of this month and the next ones (daily)."""
    return partitions_ahead(timezone.now())
