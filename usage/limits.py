"""Volume limits of purchases and what usage reports say of them, for reconciliation and rights.

purchase_facts() is what assets.rights asks (registered by usage/apps.py): per purchase, the
documents produced with its versions, the first run that used it, the limits it has passed,
and the usage-limit keys people gave a volume to.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Min, Sum

from assets.models import LicenseTerm
from assets.rights import PurchaseUse
from usage.models import LimitKey, UsageCap, UsageRecord


@dataclass(frozen=True)
class Limit:
    """A volume limit on a purchase: a compliance officer's cap, or a mapped term key."""

    key: str
    purchase_id: int
    metric: str
    limit: int
    source: dict[str, Any]


def limits_of(purchase_ids: set[int]) -> list[Limit]:
    """Return the caps on these purchases and the limits their active terms' keys map to."""
    limits = [
        Limit(f"cap:{cap.pk}", cap.purchase_id, cap.metric, cap.limit, {"cap": cap.pk})
        for cap in UsageCap.objects.filter(purchase_id__in=purchase_ids, active=True)
    ]
    mapped = {limit.key: limit for limit in LimitKey.objects.all()}
    if not mapped:
        return limits
    terms = LicenseTerm.objects.filter(purchase_id__in=purchase_ids, active=True)
    for purchase_id, keys in terms.values_list("purchase_id", "usage_limits"):
        for name in keys or []:
            if name in mapped:
                meaning = mapped[name]
                limits.append(
                    Limit(
                        f"purchase:{purchase_id}:limit:{name}",
                        purchase_id,
                        meaning.metric,
                        meaning.limit,
                        {"usage_limit": name},
                    )
                )
    return limits


def purchase_facts(purchase_ids: set[int]) -> dict[int, PurchaseUse]:
    """Return what usage reports say of each purchase (three queries, whatever the number)."""
    used = {
        row["version__purchase_id"]: row
        for row in UsageRecord.objects.filter(version__purchase_id__in=purchase_ids)
        .values("version__purchase_id")
        .annotate(
            documents=Sum("documents"),
            pages=Sum("pages"),
            impressions=Sum("impressions"),
            first=Min("started_at"),
        )
        .order_by()
    }
    exceeded: dict[int, list[str]] = {}
    for limit in limits_of(purchase_ids):
        total = int((used.get(limit.purchase_id) or {}).get(limit.metric) or 0)
        if total > limit.limit:
            exceeded.setdefault(limit.purchase_id, []).append(
                f"used for {total:,} {limit.metric}, over its limit of {limit.limit:,}"
            )
    mapped = frozenset(LimitKey.objects.values_list("key", flat=True))
    return {
        purchase_id: PurchaseUse(
            documents=int((used.get(purchase_id) or {}).get("documents") or 0),
            first_use=(used.get(purchase_id) or {}).get("first"),
            exceeded=tuple(exceeded.get(purchase_id, [])),
            mapped_limits=mapped,
        )
        for purchase_id in purchase_ids
    }
