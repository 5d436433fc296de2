"""The delivery state machine: every change of a Delivery row's state, and its audit events.

pending -> (claimed for a lease) -> delivered | skipped (the version is no longer approved)
                                  | retrying (backoff; or waiting, uncounted, for the setup)
                                  | dead (out of attempts, or refused)
dead -> pending (retried by a person); every outcome is audited.

A worker claims due rows for a lease and records an outcome only while it still holds the
lease (`finish`), so a worker that died or stalled cannot overwrite the row another worker took
over. The work itself (rendering, pushing) is worker.py.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assets.models import Rendition, Version, VersionState
from assets.renditions import profiles_for
from audit.services import audit_record
from govern.access import require
from govern.errors import Conflict
from govern.retry import Backoff
from govern.roles import Capability
from templates_app import notices
from templates_app.models import (
    DUE_STATES,
    Delivery,
    DeliveryState,
    WebhookDelivery,
)

CLAIM_BATCH = 10
# How often a delivery waiting for the machine's setup (a missing ICC profile) tries again.
SETUP_RETRY_SECONDS = 300


def deliveries_enqueue(*, version: Version) -> int:
    """Write one delivery per rendition profile of a newly approved version."""
    rows = [Delivery(version=version, profile=profile) for profile in profiles_for(version)]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# The outbox's rows: pushes to Exstream and webhook deliveries share states and leases.
Outboxed = type[Delivery] | type[WebhookDelivery]


def due(model: Outboxed = Delivery) -> Any:
    now = timezone.now()
    return model.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def claim(limit: int = CLAIM_BATCH, model: Outboxed = Delivery) -> list[tuple[int, datetime]]:
    """Lease up to `limit` due rows to this worker; return their ids and the lease."""
    lease = timezone.now() + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            due(model)
            .select_for_update(skip_locked=True, no_key=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        model.objects.filter(pk__in=ids).update(lease_until=lease, attempts=F("attempts") + 1)
    return [(pk, lease) for pk in ids]


def finish(pk: int, lease: datetime, model: Outboxed = Delivery, **fields: Any) -> bool:
    """Record an outcome if this worker still holds the lease."""
    return bool(model.objects.filter(pk=pk, lease_until=lease).update(lease_until=None, **fields))


def backoff(attempts: int) -> timedelta:
    policy = Backoff(
        base=settings.DELIVERY_BACKOFF_SECONDS, cap=settings.DELIVERY_BACKOFF_CAP_SECONDS
    )
    return timedelta(seconds=policy.delay(max(attempts - 1, 0)))


def mark_delivered(
    delivery: Delivery,
    lease: datetime,
    *,
    remote_reference: str,
    rendition: Rendition | None = None,
) -> bool:
    """Record a delivery that landed, audited, if this worker still holds the lease."""
    kept: dict[str, Any] = {"rendition": rendition} if rendition is not None else {}
    with transaction.atomic():
        landed = finish(
            delivery.pk,
            lease,
            state=DeliveryState.DELIVERED,
            last_error="",
            delivered_at=timezone.now(),
            remote_reference=remote_reference,
            **kept,
        )
        if landed:
            sha256 = {"rendition_sha256": rendition.sha256} if rendition is not None else {}
            _audit(
                "delivery.delivered",
                delivery,
                None,
                target=delivery.target,
                attempts=delivery.attempts,
                remote_reference=remote_reference,
                **sha256,
            )
    return landed


def skip(delivery: Delivery, lease: datetime) -> str:
    state = delivery.version.get_state_display().lower()
    with transaction.atomic():
        reason = f"Version is {state} now."
        if finish(delivery.pk, lease, state=DeliveryState.SKIPPED, last_error=reason):
            _audit("delivery.skipped", delivery, None, reason=reason)
    return "skipped"


def retry_or_give_up(delivery: Delivery, lease: datetime, detail: str, retryable: bool) -> str:
    if not retryable or delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        return give_up(delivery, lease, detail)
    next_attempt_at = timezone.now() + backoff(delivery.attempts)
    with transaction.atomic():
        retrying = finish(
            delivery.pk,
            lease,
            state=DeliveryState.RETRYING,
            last_error=detail,
            next_attempt_at=next_attempt_at,
        )
        if retrying:
            _audit(
                "delivery.retrying",
                delivery,
                None,
                attempts=delivery.attempts,
                error=detail,
                next_attempt_at=next_attempt_at,
            )
    return "retrying"


def wait_for_setup(delivery: Delivery, lease: datetime, detail: str) -> str:
    """Keep a delivery waiting, uncounted, until the machine is set up (never dead for it)."""
    finish(
        delivery.pk,
        lease,
        state=DeliveryState.RETRYING,
        attempts=F("attempts") - 1,
        last_error=f"Waiting for the setup: {detail}",
        next_attempt_at=timezone.now() + timedelta(seconds=SETUP_RETRY_SECONDS),
    )
    return "waiting"


def give_up(delivery: Delivery, lease: datetime, reason: str) -> str:
    with transaction.atomic():
        if finish(delivery.pk, lease, state=DeliveryState.DEAD, last_error=reason):
            _audit("delivery.dead", delivery, None, attempts=delivery.attempts, error=reason)
            notices.delivery_dead(delivery, reason)
    return "dead"


def _audit(action: str, delivery: Delivery, actor: Any, **data: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        target=delivery,
        unit_id=delivery.version.variant.asset.business_unit_id,
        data={"version": delivery.version_id, "profile": delivery.profile, **data},
    )


def delivery_retry(*, delivery: Delivery, actor: Any) -> Delivery:
    """Give a dead delivery of a version still approved a fresh set of attempts, now."""
    require(actor, Capability.RETRY_DELIVERIES, delivery.version.variant.asset.business_unit_id)
    if delivery.version.state != VersionState.APPROVED:
        raise Conflict(
            f"{delivery.version} is {delivery.version.get_state_display().lower()}: "
            "its renditions are no longer wanted in Exstream.",
            "not_approved",
        )
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.DEAD).update(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            lease_until=None,
        )
        if not updated:
            raise Conflict("Only a dead delivery can be retried; reload.", "stale_state")
        _audit("delivery.retried", delivery, actor, last_error=delivery.last_error)
        notices.delivery_retried(delivery, actor)
    delivery.refresh_from_db()
    return delivery
