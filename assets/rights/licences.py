"""When licences end, computed once for everyone who asks: the expiry schedule below and the
warnings before an end (templates_app/expiry.py, which the template board shows too).

A version's licence is every purchase that licenses it (its own and any re-purchase) and is not
cancelled. The licence ends when the last of those purchases' active terms does; a term without
valid_until never ends. Its first use must start by the latest to_be_used_until.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q
from django.utils import timezone

from assets.models import LicensePurchase, LicenseTerm, Version, VersionLicence, VersionState
from assets.services import version_expire
from govern.errors import Conflict


@dataclass(frozen=True)
class LicenceEnd:
    purchase_ids: frozenset[int]  # the purchases that license the version, not cancelled
    ends_at: datetime | None  # None: a term runs without end
    first_use_by: datetime | None


def licence_ends(version_ids: Iterable[int]) -> dict[int, LicenceEnd]:
    """Return, per licensed version, its licence's purchases and ends (in four queries).
    Versions with no active term on a valid purchase are left out: nothing ends for them."""
    purchases: dict[int, set[int]] = {}
    own = Version.objects.filter(pk__in=list(version_ids), purchase__isnull=False)
    for version_id, purchase_id in own.values_list("pk", "purchase_id"):
        purchases[version_id] = {purchase_id}
    for version_id, purchase_id in VersionLicence.objects.filter(
        version_id__in=list(purchases)
    ).values_list("version_id", "purchase_id"):
        purchases[version_id].add(purchase_id)
    every = {pk for held in purchases.values() for pk in held}
    valid = set(
        LicensePurchase.objects.filter(pk__in=every)
        .exclude(state="cancelled")
        .values_list("pk", flat=True)
    )
    terms = {
        row["purchase_id"]: row
        for row in LicenseTerm.objects.filter(purchase_id__in=valid, active=True)
        .values("purchase_id")
        .annotate(
            last=Max("valid_until"),
            endless=Count("pk", filter=Q(valid_until__isnull=True)),
            first_use_by=Max("to_be_used_until"),
        )
    }
    found = {}
    for version_id, held in purchases.items():
        rows = [terms[pk] for pk in held & valid if pk in terms]
        if rows:
            endless = any(row["endless"] for row in rows)
            firsts = [row["first_use_by"] for row in rows if row["first_use_by"]]
            found[version_id] = LicenceEnd(
                purchase_ids=frozenset(row["purchase_id"] for row in rows),
                ends_at=None if endless else max(row["last"] for row in rows),
                first_use_by=max(firsts) if firsts else None,
            )
    return found


def lapsed(now: datetime | None = None) -> list[tuple[Version, datetime]]:
    """Return the approved versions whose licence has ended, with when it ended."""
    moment = now or timezone.now()
    approved = Version.objects.filter(state=VersionState.APPROVED, purchase__isnull=False)
    ends = licence_ends(approved.values_list("pk", flat=True))
    ended = {pk: end.ends_at for pk, end in ends.items() if end.ends_at and end.ends_at < moment}
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
