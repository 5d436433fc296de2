"""When licences end, computed once for everyone who asks: the expiry schedule below and the
warnings before an end (templates_app/expiry.py, which the template board shows too).

A version's licence is every purchase that licenses it (its own and any re-purchase) and is not
cancelled. The licence ends when the last of those purchases' active terms does; a term without
valid_until never ends. Its first use must start by the latest to_be_used_until.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from assets.models import LicensePurchase, LicenseTerm, Version, VersionLicence, VersionState
from assets.services import version_expire
from govern.errors import Conflict


@dataclass(frozen=True)
class LicenceEnd:
    purchase_ids: frozenset[int]  # the purchases that license the version, not cancelled
    ends_at: datetime | None  # None: a term runs without end
    first_use_by: datetime | None


def licence_ends(versions: QuerySet[Version]) -> dict[int, LicenceEnd]:
    """Return, per licensed version among these, its licence's purchases and ends, in three
    queries whatever their number (the versions stay a subquery). Versions with no active term
    on a purchase that is not cancelled are left out: nothing ends for them."""
    ids = versions.values("pk")
    purchases: dict[int, set[int]] = defaultdict(set)
    own = Version.objects.filter(pk__in=ids, purchase__isnull=False)
    again = VersionLicence.objects.filter(version_id__in=ids)
    for version_id, purchase_id in [
        *own.values_list("pk", "purchase_id"),
        *again.values_list("version_id", "purchase_id"),
    ]:
        purchases[version_id].add(purchase_id)
    valid = LicensePurchase.objects.filter(
        Q(versions__in=ids) | Q(licensed_versions__version__in=ids)
    ).exclude(state="cancelled")
    terms = {
        row["purchase_id"]: row
        for row in LicenseTerm.objects.filter(purchase_id__in=valid.values("pk"), active=True)
        .values("purchase_id")
        .annotate(
            last=Max("valid_until"),
            endless=Count("pk", filter=Q(valid_until__isnull=True)),
            first_use_by=Max("to_be_used_until"),
        )
        .order_by()
    }
    return {
        version_id: _end([terms[pk] for pk in held if pk in terms])
        for version_id, held in purchases.items()
        if held & terms.keys()
    }


def _end(rows: list[dict[str, Any]]) -> LicenceEnd:
    """Combine the term summaries of a version's valid purchases into one licence end."""
    firsts = [row["first_use_by"] for row in rows if row["first_use_by"]]
    return LicenceEnd(
        purchase_ids=frozenset(row["purchase_id"] for row in rows),
        ends_at=None if any(row["endless"] for row in rows) else max(row["last"] for row in rows),
        first_use_by=max(firsts) if firsts else None,
    )


def lapsed(now: datetime | None = None) -> list[tuple[Version, datetime]]:
    """Return the approved versions whose licence has ended, with when it ended."""
    moment = now or timezone.now()
    approved = Version.objects.filter(state=VersionState.APPROVED, purchase__isnull=False)
    ended = {
        pk: end.ends_at
        for pk, end in licence_ends(approved).items()
        if end.ends_at and end.ends_at < moment
    }
    return [(version, ended[version.pk]) for version in approved.filter(pk__in=list(ended))]


def versions_expire() -> int:
    """Expire every lapsed version (flagging the templates that use it); return how many."""
    count = 0
    for version, ended_at in lapsed():
        try:
            version_expire(version=version, reason=f"The licence ended on {ended_at:%Y-%m-%d}.")
        except Conflict:  # withdrawn or retired a moment ago: nothing left to expire
            continue
        count += 1
    return count
