"""What a decision on a version means for templates and deliveries (see assets/consequences.py,
where this registers itself, and assets.services.version_approve and _decide, which call it)."""

from django.contrib.auth.models import User
from django.db import transaction
from django_q.tasks import async_task

from assets.consequences import Consequences
from assets.models import Version, VersionState
from templates_app.graph import impact_summary
from templates_app.outbox.services import deliveries_enqueue
from templates_app.outbox.worker import print_width
from templates_app.services import replacements_follow, templates_flag_for_change
from templates_app.webhooks import events

# States that take a version out of use: its templates must look again.
ENDS_USE = {VersionState.WITHDRAWN, VersionState.RETIRED, VersionState.EXPIRED}


def version_approved(
    *, version: Version, superseded: Version | None, was_in_use: bool, actor: User
) -> dict[str, int]:
    """Queue the renditions, flag the templates a context now resolves differently for, and
    fulfil the replacement requests the version answered."""
    deliveries = deliveries_enqueue(version=version)
    replacements_follow(version, approved=True)
    flagged = 0
    if superseded is not None or was_in_use:
        flagged = templates_flag_for_change(
            asset=version.variant.asset,
            action="approved",
            old_version=superseded,
            new_version=version,
            actor=actor,
        )
    events.version_decided(version, "approved", actor, "")
    transaction.on_commit(nudge_worker)
    return {"deliveries": deliveries, "templates_flagged": flagged}


def version_decided(
    *, version: Version, state: VersionState, actor: User | None, comment: str
) -> int:
    """Flag the templates of a version taken out of use; tell webhook subscribers what was
    decided; reopen the replacement requests a refused version answered."""
    replacements_follow(version, approved=False)
    flagged = 0
    if state in ENDS_USE:
        flagged = templates_flag_for_change(
            asset=version.variant.asset,
            action=state.value,
            old_version=version,
            new_version=None,
            actor=actor,
        )
    events.version_decided(version, state.value, actor, comment)
    return flagged


def nudge_worker() -> None:
    """Ask a worker to drain the outbox now rather than at the next scheduled drain."""
    async_task("templates_app.tasks.drain_deliveries", task_name="drain-after-approval")


CONSEQUENCES = Consequences(
    approved=version_approved,
    decided=version_decided,
    print_width=print_width,
    impact=impact_summary,
)
