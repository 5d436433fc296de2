"""Worker tasks of the usage room: safe to run twice or at once."""

import time

from usage.inbox import inbox_import
from usage.samples.services import sample_claim, sample_read

# One task reads samples for at most this long; the schedule (every minute) goes on after.
SAMPLES_BUDGET_SECONDS = 240


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
        outcome = sample_read(sample=sample)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "waiting":  # the machine cannot read samples yet: try next time
            break
    return outcomes
