"""The outbox's work: render and push what a claimed delivery names; send webhooks.

Rows are written with the approval and change state only through services.py
(claim, lease, outcome, audit). A worker works on claimed rows outside any transaction. Every
push is safe to repeat: the transport looks for what an earlier attempt with the same
idempotency key already left in Exstream.
"""

import time
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db.models import Max

from assets.models import Rendition, Version, VersionState
from assets.renditions import (
    RenditionRefused,
    RenditionUnavailable,
    rendition_for,
)
from assets.storage import read_content
from govern.services import setup_problem_clear, setup_problem_report
from templates_app.exstream import client as exstream
from templates_app.exstream import gateway, hotfolder
from templates_app.models import Binding, Delivery, WebhookDelivery
from templates_app.outbox import services as deliveries
from templates_app.webhooks import sender as webhooks


def deliver(pk: int, lease: datetime) -> str:
    """Make the rendition and push it; return the outcome."""
    delivery = Delivery.objects.select_related("version__variant__asset", "campaign").get(pk=pk)
    version = delivery.version
    if delivery.target != "exstream":  # a Smint.io write-back queued before webhooks
        return deliveries.give_up(delivery, lease, "Smint.io has no API to write back to.")
    if not _still_approved(version):
        return deliveries.skip(delivery, lease)
    try:
        rendition = rendition_for(version, delivery.profile, print_width(version))
        if not _still_approved(version):  # rendering takes a while; a newer one may have won
            return deliveries.skip(delivery, lease)
        reference = _push(delivery, version, rendition)
    except RenditionRefused as refusal:
        return deliveries.give_up(delivery, lease, str(refusal))
    except RenditionUnavailable as missing:
        return deliveries.wait_for_setup(delivery, lease, str(missing))
    except exstream.SetupError as problem:
        setup_problem_report(part="exstream", detail=problem.detail)
        return deliveries.wait_for_setup(delivery, lease, problem.detail)
    except exstream.ExstreamError as error:
        return deliveries.retry_or_give_up(delivery, lease, error.detail, error.retryable)
    except Exception as error:  # noqa: BLE001 - one bad row must not stall the outbox
        return deliveries.retry_or_give_up(
            delivery, lease, f"{type(error).__name__}: {error}", True
        )
    deliveries.mark_delivered(delivery, lease, rendition=rendition, remote_reference=reference)
    setup_problem_clear(part="exstream")
    return "delivered"


def _still_approved(version: Version) -> bool:
    version.refresh_from_db(fields=["state"])
    return version.state == VersionState.APPROVED


# Webhooks claimed at once: each may take WEBHOOK_TIMEOUT_SECONDS per phase (connect, write,
# read), so a batch ends well inside the lease (DELIVERY_LEASE_SECONDS, 300 by default).
WEBHOOK_BATCH = 5


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
    if delivery.campaign is not None:  # queued ahead of a campaign's go-live
        entry["campaign"] = (
            delivery.campaign.exstream_campaign_id or f"govern-{delivery.campaign_id}"
        )
    if settings.EXSTREAM_TRANSPORT == "hotfolder":
        extension = rendition.file.rsplit(".", 1)[-1]
        return hotfolder.publish(
            directory=settings.EXSTREAM_HOTFOLDER,
            name=name,
            data=data,
            extension=extension,
            entry=entry,
        )
    pushed = gateway.push_image(
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
        claimed = deliveries.claim()
        for pk, lease in claimed:
            outcomes[deliver(pk, lease)] += 1
        hooks = deliveries.claim(WEBHOOK_BATCH, WebhookDelivery)
        for pk, lease in hooks:
            outcomes[f"webhook {webhooks.send(pk, lease)}"] += 1
        claimed += hooks
        out_of_time = budget_seconds is not None and time.monotonic() - started > budget_seconds
        if not claimed or not until_idle or out_of_time:
            return outcomes
