"""What each governance event says: the data of its webhook, built from Govern's records."""

from typing import Any

from django.contrib.auth.models import User

from assets.models import Asset, Version
from templates_app.models import Review
from templates_app.webhooks.services import emit


def version_data(version: Version) -> dict[str, Any]:
    """A version as subscribers read it, with its Smint.io purchase and binary if it has one."""
    variant = version.variant
    data: dict[str, Any] = {
        "id": version.pk,
        "number": version.number,
        "state": version.state,
        "sha256": version.sha256,
        "asset": variant.asset.key,
        "variant": {
            "language": variant.language,
            "region": variant.region,
            "segment": variant.segment,
            "channels": [c for c in variant.channels.split(",") if c],
        },
        "url": version.get_absolute_url(),
    }
    if version.purchase_id is not None and (version.external_id or "").startswith("smintio:"):
        _source, purchase_uuid, binary_uuid, _number = str(version.external_id).split(":", 3)
        data["smintio"] = {
            "license_purchase_transaction_uuid": purchase_uuid,
            "binary_uuid": binary_uuid,
        }
    return data


def version_decided(version: Version, state: str, actor: User | None, comment: str) -> int:
    """version.approved, .rejected, .withdrawn, .retired or .expired: who decided and why."""
    return emit(
        f"version.{state}",
        unit=version.variant.asset.business_unit_id,
        data={
            "version": version_data(version),
            "by": actor.get_username() if actor is not None else None,
            "comment": comment,
        },
    )


FLAGGED_LISTED = 1000


def templates_flagged(
    asset: Asset, action: str, version: Version | None, cause: str, count: int
) -> int:
    """templates.flagged: which templates must be looked at again, and why (the first 1,000)."""

    def data() -> dict[str, Any]:
        opened = Review.objects.filter(cause_key=cause).select_related("template")
        listed = [
            {"id": r.template_id, "name": r.template.name, "exstream_id": r.template.exstream_id}
            for r in opened.order_by("template_id")[:FLAGGED_LISTED]
        ]
        return {
            "asset": asset.key,
            "action": action,
            "version": version_data(version) if version is not None else None,
            "count": count,
            "templates": listed,
            "truncated": count > len(listed),
        }

    return emit("templates.flagged", unit=asset.business_unit_id, data=data)


def replacement_requested(review: Review, version: Version | None, reason: str, by: User) -> int:
    """replacement.requested: a designer asks for another version of what a template uses."""
    return emit(
        "replacement.requested",
        unit=review.template.business_unit_id,
        data={
            "template": {"id": review.template_id, "name": review.template.name},
            "asset": review.asset.key,
            "version": version_data(version) if version is not None else None,
            "reason": reason,
            "by": by.get_username(),
        },
    )
