"""Worker tasks: load ids, call the outbox; safe to run twice, at once or in any order."""

from templates_app import outbox

# Well below django-q2's 120 s task timeout, so a drain never gets killed half-way by it.
DRAIN_BUDGET_SECONDS = 90


def drain_deliveries() -> dict[str, int]:
    """Push every due delivery (the schedule runs this every minute; approvals nudge it)."""
    return dict(outbox.drain(budget_seconds=DRAIN_BUDGET_SECONDS))
