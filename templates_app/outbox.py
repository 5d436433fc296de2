"""The outbox of pushes to Exstream: written with the approval, drained by workers.

A worker claims due rows for a lease, works on them outside any transaction, and records the
outcome only if it still holds the lease, so a worker that died or stalled cannot overwrite the
row another worker took over. Every push is safe to repeat: the transport looks for what an
earlier attempt with the same idempotency key already left in Exstream.
"""

import random
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from assets import smintio
from assets.models import Rendition, Version, VersionState
from assets.renditions import (
    RenditionRefused,
    RenditionUnavailable,
    profiles_for,
    rendition_for,
)
from assets.storage import read_content
from audit.services import audit_record
from govern.access import require, user_can
from govern.errors import Conflict
from govern.roles import Capability
from templates_app import exstream, hotfolder
from templates_app.models import DUE_STATES, Binding, Delivery, DeliveryState

CLAIM_BATCH = 10
# How often a delivery waiting for the machine's setup (a missing ICC profile) tries again.
SETUP_RETRY_SECONDS = 300
# Smint.io deliveries whose profile starts so carry a run's usage of a purchase.
USAGE_PROFILE = "usage-run-"


def deliveries_enqueue(*, version: Version) -> int:
    """Write one delivery per rendition profile of a newly approved version."""
    rows = [Delivery(version=version, profile=profile) for profile in profiles_for(version)]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def feedback_enqueue(*, version: Version, status: str, reason: str, suffix: str = "") -> None:
    """Queue a status report to Smint.io about a version that came from a purchase."""
    if version.purchase_id is None or not version.external_id:
        return
    _source, purchase_uuid, binary_uuid, _binary_version = version.external_id.split(":", 3)
    payload = {
        "license_purchase_transaction_uuid": purchase_uuid,
        "binary_uuid": binary_uuid,
        "status": status,
        "reason": reason,
        "occurred_at": timezone.now().isoformat(),
    }
    Delivery.objects.get_or_create(
        version=version,
        target="smintio",
        profile=f"feedback-{status}{suffix}",
        defaults={"payload": payload},
    )


def _due() -> Any:
    now = timezone.now()
    return Delivery.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def claim(limit: int = CLAIM_BATCH) -> list[tuple[int, datetime]]:
    """Lease up to `limit` due deliveries to this worker; return their ids and the lease."""
    lease = timezone.now() + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            _due()
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(lease_until=lease, attempts=F("attempts") + 1)
    return [(pk, lease) for pk in ids]


def _finish(pk: int, lease: datetime, **fields: Any) -> bool:
    """Record an outcome if this worker still holds the lease."""
    return bool(
        Delivery.objects.filter(pk=pk, lease_until=lease).update(lease_until=None, **fields)
    )


def _backoff(attempts: int) -> timedelta:
    ceiling = min(
        settings.DELIVERY_BACKOFF_CAP_SECONDS,
        settings.DELIVERY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return timedelta(seconds=random.uniform(0, ceiling))  # noqa: S311 - full jitter


def deliver(pk: int, lease: datetime) -> str:
    """Make the rendition and push it; return the outcome."""
    delivery = Delivery.objects.select_related("version__variant__asset").get(pk=pk)
    version = delivery.version
    if delivery.target == "smintio":
        return _report_to_smintio(delivery, lease)
    if not _still_approved(version):
        return _skip(delivery, lease)
    try:
        rendition = rendition_for(version, delivery.profile, print_width(version))
        if not _still_approved(version):  # rendering takes a while; a newer one may have won
            return _skip(delivery, lease)
        reference = _push(delivery, version, rendition)
    except RenditionRefused as refusal:
        return _give_up(delivery, lease, str(refusal))
    except RenditionUnavailable as missing:
        return _wait_for_setup(delivery, lease, str(missing))
    except exstream.ExstreamError as error:
        return _retry_or_give_up(delivery, lease, error.detail, error.retryable)
    except Exception as error:  # noqa: BLE001 - one bad row must not stall the outbox
        return _retry_or_give_up(delivery, lease, f"{type(error).__name__}: {error}", True)
    _finish(
        pk,
        lease,
        state=DeliveryState.DELIVERED,
        rendition=rendition,
        remote_reference=reference,
        last_error="",
        delivered_at=timezone.now(),
    )
    return "delivered"


def _still_approved(version: Version) -> bool:
    version.refresh_from_db(fields=["state"])
    return version.state == VersionState.APPROVED


def _skip(delivery: Delivery, lease: datetime) -> str:
    state = delivery.version.get_state_display().lower()
    _finish(delivery.pk, lease, state=DeliveryState.SKIPPED, last_error=f"Version is {state} now.")
    return "skipped"


def _retry_or_give_up(delivery: Delivery, lease: datetime, detail: str, retryable: bool) -> str:
    if not retryable or delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        return _give_up(delivery, lease, detail)
    _finish(
        delivery.pk,
        lease,
        state=DeliveryState.RETRYING,
        last_error=detail,
        next_attempt_at=timezone.now() + _backoff(delivery.attempts),
    )
    return "retrying"


def _wait_for_setup(delivery: Delivery, lease: datetime, detail: str) -> str:
    """Keep a delivery waiting, uncounted, until the machine is set up (never dead for it)."""
    _finish(
        delivery.pk,
        lease,
        state=DeliveryState.RETRYING,
        attempts=F("attempts") - 1,
        last_error=f"Waiting for the setup: {detail}",
        next_attempt_at=timezone.now() + timedelta(seconds=SETUP_RETRY_SECONDS),
    )
    return "waiting"


def _report_to_smintio(delivery: Delivery, lease: datetime) -> str:
    api = smintio.client()
    send = api.usage_report if delivery.profile.startswith(USAGE_PROFILE) else api.feedback
    try:
        answer = send(payload=delivery.payload, key=str(delivery.idempotency_key))
    except smintio.SmintioError as error:
        return _retry_or_give_up(delivery, lease, error.detail, error.retryable)
    _finish(
        delivery.pk,
        lease,
        state=DeliveryState.DELIVERED,
        last_error="",
        remote_reference=str(answer.get("uuid", "")),
        delivered_at=timezone.now(),
    )
    return "delivered"


def _give_up(delivery: Delivery, lease: datetime, reason: str) -> str:
    with transaction.atomic():
        if _finish(delivery.pk, lease, state=DeliveryState.DEAD, last_error=reason):
            audit_record(
                action="delivery.dead",
                target=delivery,
                unit_id=delivery.version.variant.asset.business_unit_id,
                data={
                    "version": delivery.version_id,
                    "profile": delivery.profile,
                    "attempts": delivery.attempts,
                    "error": reason,
                },
            )
    return "dead"


def remote_name(version: Version, profile: str) -> str:
    """Name the Exstream image for an asset variant in one profile: key/variant/profile."""
    variant = version.variant
    parts = [variant.language, variant.region, variant.segment, variant.channels.replace(",", "+")]
    return f"{variant.asset.key}/{'.'.join(p for p in parts if p) or 'any'}/{profile}"


def print_width(version: Version) -> int | None:
    """Return the widest print width of the slots that use the version's asset, if any says."""
    widest = Binding.objects.filter(asset_id=version.variant.asset_id).aggregate(
        widest=Max("print_width_mm")
    )["widest"]
    return int(widest) if widest else None


def _push(delivery: Delivery, version: Version, rendition: Rendition) -> str:
    data = read_content(rendition.file)
    name = remote_name(version, delivery.profile)
    entry = {
        "govern_version": version.pk,
        "number": version.number,
        "sha256": rendition.sha256,
        "source_sha256": version.sha256,
        "profile": delivery.profile,
        "media_type": rendition.media_type,
    }
    if settings.EXSTREAM_TRANSPORT == "hotfolder":
        extension = rendition.file.rsplit(".", 1)[-1]
        return hotfolder.publish(
            directory=settings.EXSTREAM_HOTFOLDER,
            name=name,
            data=data,
            extension=extension,
            entry=entry,
        )
    pushed = exstream.push_image(
        name=name,
        data=data,
        media_type=rendition.media_type,
        properties=entry,
        key=str(delivery.idempotency_key),
    )
    return pushed.reference


def drain(*, until_idle: bool = True, budget_seconds: float | None = None) -> Counter[str]:
    """Deliver due rows batch by batch until none is due (or the time budget is spent)."""
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    while True:
        claimed = claim()
        for pk, lease in claimed:
            outcomes[deliver(pk, lease)] += 1
        out_of_time = budget_seconds is not None and time.monotonic() - started > budget_seconds
        if not claimed or not until_idle or out_of_time:
            return outcomes


def delivery_retry(*, delivery: Delivery, actor: Any) -> Delivery:
    """Give a dead delivery a fresh set of attempts, now."""
    unit_id = delivery.version.variant.asset.business_unit_id
    if not user_can(actor, Capability.EDIT_ASSETS, unit_id):
        require(actor, Capability.DECIDE_VERSIONS, unit_id)
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.DEAD).update(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            lease_until=None,
        )
        if not updated:
            raise Conflict("Only a dead delivery can be retried; reload.", "stale_state")
        audit_record(
            action="delivery.retried",
            actor=actor,
            target=delivery,
            unit_id=delivery.version.variant.asset.business_unit_id,
            data={
                "version": delivery.version_id,
                "profile": delivery.profile,
                "last_error": delivery.last_error,
            },
        )
    delivery.refresh_from_db()
    return delivery
