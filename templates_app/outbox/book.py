"""What the outbox holds, read once for a check: which renditions of which versions are in
Exstream, and the widest print slot each asset fills (what its renditions and criteria need)."""

from django.db.models import Max

from assets import profiles
from assets.models import Version
from assets.renditions import profiles_for
from templates_app.models import (
    Binding,
    Delivery,
    DeliveryState,
)


def widest_print(asset_ids: set[int]) -> dict[int, int]:
    """Per asset, the widest slot (mm) any template prints it at: what its criteria judge."""
    return dict(
        Binding.objects.filter(asset_id__in=asset_ids)
        .values("asset_id")
        .annotate(widest=Max("print_width_mm"))
        .filter(widest__isnull=False)
        .order_by()
        .values_list("asset_id", "widest")
    )


class DeliveryBook:
    """The Exstream deliveries of the versions a pre-flight resolves, loaded in one query: for
    each version and profile its state and its rendition's sha256, not the deliveries' rows."""

    def __init__(self, version_ids: set[int]) -> None:
        rows = Delivery.objects.filter(version_id__in=version_ids, target="exstream")
        self._rows: dict[tuple[int, str], tuple[str, str | None]] = {
            (version_id, profile): (state, sha256)
            for version_id, profile, state, sha256 in rows.values_list(
                "version_id", "profile", "state", "rendition__sha256"
            )
        }
        self._answers: dict[tuple[int, str], tuple[str | None, tuple[str, ...]]] = {}

    def problem(self, version: Version, channel: str) -> tuple[str | None, tuple[str, ...]]:
        """Say which renditions for the channel Exstream does not hold yet; and their sha256s
        (worked out once per version and channel: a check asks in every context)."""
        key = (version.pk, channel)
        if key not in self._answers:
            problem, held = self._problem(version, channel)
            self._answers[key] = (problem, tuple(held))
        return self._answers[key]

    def _problem(self, version: Version, channel: str) -> tuple[str | None, list[str]]:
        needed = [
            profile
            for profile in profiles_for(version)
            if profile == "text"
            or not channel
            or profiles.PROFILES.get(profile, {}).get("channel") == channel
        ]
        missing, held = [], []
        for profile in needed:
            state, sha256 = self._rows.get((version.pk, profile), (None, None))
            if state != DeliveryState.DELIVERED:
                said = DeliveryState(state).label.lower() if state else "never queued"
                missing.append(f"{profile} ({said})")
            elif sha256 is not None:
                held.append(sha256)
        if not needed:
            missing.append(f"no rendition for the {channel} channel")
        return ("; ".join(missing) or None), held
