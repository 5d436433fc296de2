"""Whether each item of a campaign may go live: its version approved, in rights for the whole
window and its contexts, passing its criteria, and (at go-live) delivered to Exstream."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from assets.criteria import CriteriaBook
from assets.models import VersionState
from assets.resolution import Context
from assets.rights import Outcome, RightsBook, Use
from govern.zones import local_text
from templates_app.campaigns.book import describe_selectors
from templates_app.models import Binding, Campaign, CampaignItem
from templates_app.outbox.book import DeliveryBook, widest_print

# The last instant of a window that ends at `ends_at` (which is excluded).
LAST_MOMENT = timedelta(seconds=1)


@dataclass
class ItemReadiness:
    item: CampaignItem
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems


def _instants(campaign: Campaign) -> list[datetime]:
    if campaign.ends_at is None:
        return [campaign.go_live_at]
    return [campaign.go_live_at, campaign.ends_at - LAST_MOMENT]


def _slot_of(item: CampaignItem, bindings: dict[tuple[int, str], Binding]) -> Binding | None:
    if item.template_id is not None:
        return bindings.get((item.template_id, item.slot))
    return None


def readiness(campaign: Campaign, *, going_live: bool = False) -> list[ItemReadiness]:
    """Judge every item; undelivered renditions are a problem only when going live."""
    items = list(
        campaign.items.select_related("template", "asset", "version__variant__asset").order_by("pk")
    )
    versions = [item.version for item in items]
    bindings = {
        (binding.template_id, binding.slot): binding
        for binding in Binding.objects.filter(
            template_id__in={item.template_id for item in items if item.template_id}
        )
    }
    widths = widest_print({version.variant.asset_id for version in versions})
    rights, criteria = RightsBook(versions), CriteriaBook(widths)
    deliveries = DeliveryBook({version.pk for version in versions})
    found = []
    for item in items:
        verdict = ItemReadiness(item)
        _judge_version(item, verdict)
        _judge_rights(campaign, item, _slot_of(item, bindings), rights, verdict)
        for failure in criteria.failures(item.version):
            verdict.problems.append(f"fails {failure.rule}: {failure.detail}")
        missing, _held = deliveries.problem(item.version, item.channel)
        if going_live and missing:
            verdict.problems.append(f"not in Exstream yet: {missing}")
        found.append(verdict)
    return found


def _judge_version(item: CampaignItem, verdict: ItemReadiness) -> None:
    version = item.version
    if version.state == VersionState.APPROVED:
        return
    if version.state == VersionState.IN_REVIEW:
        verdict.problems.append(f"{version} is in review: decide it before the campaign")
    else:
        verdict.problems.append(f"{version} is {version.get_state_display().lower()}")


def _judge_rights(
    campaign: Campaign,
    item: CampaignItem,
    binding: Binding | None,
    rights: RightsBook,
    verdict: ItemReadiness,
) -> None:
    context = Context(item.region, item.language, item.segment, item.channel)
    asset = item.version.variant.asset
    placement = binding.placement if binding else ""
    width = binding.print_width_mm if binding else None
    zone_name = campaign.business_unit.time_zone
    for at in _instants(campaign):
        judged = rights.judge(item.version, Use(context, at, placement, width))
        when = f"for {describe_selectors(item.selectors())} at {local_text(at, zone_name)}"
        if rights.stops(asset, judged):
            verdict.problems.append(f"{judged.summary()} ({when})")
            return
        if judged.outcome == Outcome.UNKNOWN:
            verdict.notes.append(f"{judged.summary()} ({when}); the unit lets it go")
    if campaign.ends_at is None:
        verdict.notes.append("no end: rights judged at go-live; pre-flight judges each run")


def problems(found: list[ItemReadiness]) -> list[str]:
    """Return every item's problems, each naming the item."""
    return [
        f"{verdict.item.target_label}: {problem}"
        for verdict in found
        for problem in verdict.problems
    ]
