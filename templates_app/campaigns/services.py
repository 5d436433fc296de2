"""Every state change of a campaign: draft -> in_review -> approved -> live -> ended, or
rejected, cancelled. Reviewed as a whole, four-eyes; approval queues its renditions and opens
the template reviews; the schedule (`campaigns_tick`) moves it live and ends it, once each."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from assets.models import Asset, Version, VersionState
from assets.resolution import Context, resolve
from assets.selectors import clean_selectors
from audit.services import audit_record
from govern.access import require, user_can
from govern.errors import Conflict
from govern.models import BusinessUnit
from govern.roles import Capability
from govern.zones import local_text, zone_named
from templates_app import graph, notices
from templates_app.campaigns.book import clashes
from templates_app.campaigns.readiness import problems, readiness
from templates_app.consequences import nudge_worker
from templates_app.models import (
    Binding,
    Campaign,
    CampaignDecision,
    CampaignItem,
    CampaignState,
    Delivery,
    Review,
    ReviewState,
    Template,
    TemplateState,
)
from templates_app.outbox.services import deliveries_enqueue
from templates_app.services import clear_settled
from templates_app.webhooks import emit

MAX_ITEMS = 200
# Times outside these years are typing mistakes (and near year 9999 overflow in a zone).
FIRST_YEAR, LAST_YEAR = 2000, 2999
# A go-live this much later than planned is a catch-up, and the audit log says so.
LATE_AFTER = timedelta(minutes=2)
OPEN_STATES = (CampaignState.DRAFT, CampaignState.IN_REVIEW)
CANCELLABLE = (*OPEN_STATES, CampaignState.APPROVED, CampaignState.LIVE)


def _audit(action: str, campaign: Campaign, actor: User | None, **data: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        target=campaign,
        unit_id=campaign.business_unit_id,
        data={"campaign": campaign.pk, "name": campaign.name, **data},
    )


def _items_record(campaign: Campaign) -> list[dict[str, Any]]:
    return [
        {
            "target": item.target_label,
            "version": item.version_id,
            "sha256": item.version.sha256,
            **{name: value for name, value in item.selectors().items() if value},
        }
        for item in campaign.items.select_related("template", "asset", "version")
    ]


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone, or refuse a name that is not one."""
    return zone_named(name)


def _check_window(go_live_at: datetime, ends_at: datetime | None) -> None:
    for name, moment in (("go_live_at", go_live_at), ("ends_at", ends_at)):
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValidationError({name: f"Give a time between {FIRST_YEAR} and {LAST_YEAR}."})
    if go_live_at <= timezone.now():
        raise ValidationError({"go_live_at": "The go-live is in the past; choose a later time."})
    if ends_at is not None and ends_at <= go_live_at:
        raise ValidationError({"ends_at": "The end must come after the go-live."})


def campaign_create(
    *,
    unit: BusinessUnit,
    name: str,
    go_live_at: datetime,
    ends_at: datetime | None,
    time_zone: str,
    actor: User,
    exstream_campaign_id: str = "",
    items: list[dict[str, Any]] | None = None,
) -> Campaign:
    """Create a draft campaign with its items, all or nothing."""
    require(actor, Capability.EDIT_ASSETS, unit.pk)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the campaign."})
    zone(time_zone)
    _check_window(go_live_at, ends_at)
    if len(items or []) > MAX_ITEMS:
        raise ValidationError({"items": f"A campaign has at most {MAX_ITEMS} items."})
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            business_unit=unit,
            go_live_at=go_live_at,
            ends_at=ends_at,
            time_zone=time_zone.strip(),
            exstream_campaign_id=exstream_campaign_id.strip(),
            created_by=actor,
        )
        for data in items or []:
            _new_item(campaign, data)
        _audit("campaign.created", campaign, actor, items=_items_record(campaign))
    return campaign


def _in_unit(model: Any, pk: Any, unit: BusinessUnit, unit_field: str) -> Any:
    """Return the unit's object, or 404 for one outside it (as if it did not exist)."""
    found = model.objects.filter(pk=pk, **{unit_field: unit.pk}).first()
    if found is None:
        raise Http404(f"No {model._meta.verbose_name} {pk} in {unit.name}.")
    return found


def _new_item(campaign: Campaign, data: dict[str, Any]) -> CampaignItem:
    unit = campaign.business_unit
    version = _in_unit(Version, data.get("version"), unit, "variant__asset__business_unit")
    template, slot, asset = None, (data.get("slot") or "").strip(), None
    if data.get("template") is not None:
        template = _in_unit(Template, data["template"], unit, "business_unit")
        binding = Binding.objects.filter(template=template, slot=slot).select_related("asset")
        found = binding.first()
        if found is None:
            raise ValidationError({"slot": f"{template.name} has no slot '{slot[:100]}'."})
        target = found.asset
    elif data.get("asset") is not None:
        asset = _in_unit(Asset, data["asset"], unit, "business_unit")
        target = asset
        slot = ""
    else:
        raise ValidationError({"items": "Each item names a template and slot, or an asset."})
    _check_fits(version, target)
    selectors = clean_selectors(
        language=data.get("language", ""),
        region=data.get("region", ""),
        segment=data.get("segment", ""),
        channels=data.get("channel", ""),
    )
    if "," in selectors.channels:
        raise ValidationError({"channel": "An item names one channel."})
    return CampaignItem.objects.create(
        campaign=campaign,
        template=template,
        slot=slot,
        asset=asset,
        version=version,
        region=selectors.region,
        language=selectors.language,
        segment=selectors.segment,
        channel=selectors.channels,
    )


def _check_fits(version: Version, target: Asset) -> None:
    """Refuse a version that cannot stand in the slot: a text for an image, or the reverse."""
    if version.variant.asset_id == target.pk:
        raise ValidationError(
            {
                "version": f"{version} is the slot's own asset: a new version of "
                f"{target.key} goes through its own review, not a campaign."
            }
        )
    if version.is_text != target.takes_text:
        wanted = "a text" if target.takes_text else "an image"
        raise ValidationError(
            {"version": f"{version} cannot stand in for {target.key}: the slot takes {wanted}."}
        )
    if version.state not in (VersionState.APPROVED, VersionState.IN_REVIEW, VersionState.DRAFT):
        raise ValidationError(
            {"version": f"{version} is {version.get_state_display().lower()}: choose another."}
        )


def _lock(campaign: Campaign, *expected: str) -> Campaign:
    locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
    if locked.state not in expected:
        raise Conflict(
            f"{locked.name} is {locked.get_state_display().lower()}; "
            + (
                "a change to it is refused: create a new campaign or cancel this one."
                if locked.state in (CampaignState.APPROVED, CampaignState.LIVE)
                else "reload to see who changed it."
            ),
            "stale_state",
        )
    return locked


def campaign_item_add(*, campaign: Campaign, data: dict[str, Any], actor: User) -> CampaignItem:
    """Add an item to a draft; a campaign in review or decided is not changed (409)."""
    require(actor, Capability.EDIT_ASSETS, campaign.business_unit_id)
    with transaction.atomic():
        campaign = _lock(campaign, CampaignState.DRAFT)
        if campaign.items.count() >= MAX_ITEMS:
            raise ValidationError({"items": f"A campaign has at most {MAX_ITEMS} items."})
        item = _new_item(campaign, data)
        _audit("campaign.item_added", campaign, actor, target=item.target_label)
    return item


def campaign_item_remove(*, item: CampaignItem, actor: User) -> None:
    require(actor, Capability.EDIT_ASSETS, item.campaign.business_unit_id)
    with transaction.atomic():
        campaign = _lock(item.campaign, CampaignState.DRAFT)
        label = item.target_label
        item.delete()
        _audit("campaign.item_removed", campaign, actor, target=label)


def campaign_submit(
    *, campaign: Campaign, actor: User, stop_if_not_ready: bool = False
) -> Campaign:
    """Send a draft to compliance review as a whole. With stop_if_not_ready, a draft with an
    item not ready is refused (409 "not_ready", naming them) so that the person can confirm;
    otherwise it goes, and the audit event names what was not ready."""
    require(actor, Capability.EDIT_ASSETS, campaign.business_unit_id)
    with transaction.atomic():
        campaign = _lock(campaign, CampaignState.DRAFT)
        items = list(campaign.items.select_related("version"))
        if not items:
            raise ValidationError({"items": "Add at least one item before submitting."})
        if campaign.go_live_at <= timezone.now():
            raise ValidationError({"go_live_at": "The go-live has passed; create a new campaign."})
        not_ready = problems(readiness(campaign))
        if not_ready and stop_if_not_ready:
            raise Conflict("Not ready: " + "; ".join(not_ready), "not_ready")
        campaign.required_approvals = max(item.version.required_approvals for item in items)
        campaign.state = CampaignState.IN_REVIEW
        campaign.submitted_by, campaign.submitted_at = actor, timezone.now()
        campaign.save(update_fields=["required_approvals", "state", "submitted_by", "submitted_at"])
        extra = {"not_ready": not_ready} if not_ready else {}
        _audit("campaign.submitted", campaign, actor, items=_items_record(campaign), **extra)
        notices.campaign_waiting(campaign, actor)
    return campaign


def _refuse_own(campaign: Campaign, actor: User) -> None:
    if actor.pk in {campaign.created_by_id, campaign.submitted_by_id}:
        raise PermissionDenied("You created or submitted this campaign; someone else must decide.")


def campaign_approve(*, campaign: Campaign, actor: User, comment: str = "") -> Campaign:
    """Record an approval; with enough distinct approvers the campaign is approved: its
    renditions are queued (tagged with it) and every template it reaches is flagged."""
    require(actor, Capability.DECIDE_VERSIONS, campaign.business_unit_id)
    with transaction.atomic():
        # One approval at a time per unit, so that two meeting campaigns cannot both pass the
        # conflict check before either is approved.
        BusinessUnit.objects.select_for_update(no_key=True).filter(
            pk=campaign.business_unit_id
        ).first()
        campaign = _lock(campaign, CampaignState.IN_REVIEW)
        _refuse_own(campaign, actor)
        if campaign.decisions.filter(actor=actor, approved=True).exists():
            raise Conflict("You already approved this campaign; another officer must.", "repeat")
        if campaign.go_live_at <= timezone.now():
            raise Conflict("Its go-live has passed; reject it and create a new one.", "too_late")
        blocked = problems(readiness(campaign))
        if blocked:
            raise Conflict("The campaign is blocked: " + "; ".join(blocked), "campaign_blocked")
        met = clashes(campaign)
        if met:
            raise Conflict(
                "It meets another campaign: " + "; ".join(clash.describe() for clash in met),
                "campaign_conflict",
            )
        CampaignDecision.objects.create(
            campaign=campaign, actor=actor, approved=True, comment=comment.strip()
        )
        approvals = campaign.decisions.filter(approved=True).count()
        if approvals < campaign.required_approvals:
            _audit(
                "campaign.approval_recorded",
                campaign,
                actor,
                approvals=approvals,
                required=campaign.required_approvals,
                comment=comment,
            )
            return campaign
        campaign.state, campaign.decided_at = CampaignState.APPROVED, timezone.now()
        campaign.save(update_fields=["state", "decided_at"])
        queued = _queue_renditions(campaign)
        flagged = _open_reviews(campaign, actor)
        _audit(
            "campaign.approved",
            campaign,
            actor,
            comment=comment,
            deliveries=queued,
            templates_flagged=flagged,
            items=_items_record(campaign),
        )
        notices.campaign_decided(campaign, actor)
    return campaign


def _queue_renditions(campaign: Campaign) -> int:
    queued = 0
    items = campaign.items.select_related("version__variant__asset")
    for version in {item.version for item in items}:
        before = set(Delivery.objects.filter(version=version).values_list("pk", flat=True))
        queued += deliveries_enqueue(version=version)
        Delivery.objects.filter(version=version, campaign__isnull=True).exclude(
            pk__in=before
        ).update(campaign=campaign)
    transaction.on_commit(nudge_worker)
    return queued


def _when(campaign: Campaign) -> str:
    """The campaign's window in its unit's zone, for the reviews it opens."""
    zone_name = campaign.business_unit.time_zone
    start = local_text(campaign.go_live_at, zone_name)
    if campaign.ends_at is None:
        return f"from {start}, with no end"
    return f"from {start} to {local_text(campaign.ends_at, zone_name)}"


def _used_now(asset: Asset, item: CampaignItem) -> Version | None:
    """The version a run in the item's context would use now, without the campaign: what a
    review shows as Before."""
    context = Context(
        region=item.region, language=item.language, segment=item.segment, channel=item.channel
    )
    return resolve(asset, context).version


def _open_reviews(campaign: Campaign, actor: User) -> int:
    """Open a review on every template an item reaches, and every template containing one."""
    flagged: set[int] = set()
    rows = []
    for item in campaign.items.select_related("template", "asset", "version__variant__asset"):
        if item.template_id is not None:
            reached = graph.containers_of(item.template_id)
            binding = Binding.objects.select_related("asset", "pinned_version").get(
                template_id=item.template_id, slot=item.slot
            )
            asset, what = binding.asset, item.slot
            before = binding.pinned_version or _used_now(binding.asset, item)
        elif item.asset is not None:
            reached = graph.users_of_asset(item.asset.pk)
            asset, what = item.asset, item.asset.key
            before = _used_now(item.asset, item)
        else:
            continue
        detail = f"{campaign.name} replaces {what} {_when(campaign)}"
        cause = f"campaign:{campaign.pk}:{item.pk}"
        rows += [
            Review(
                template_id=template_id,
                asset=asset,
                old_version=before,
                new_version=item.version,
                action="campaign",
                actor=actor,
                cause_key=cause,
                detail=detail[:300],
                campaign=campaign,
            )
            for template_id in reached
        ]
        flagged |= reached
    Review.objects.bulk_create(rows, ignore_conflicts=True)
    Template.objects.filter(pk__in=flagged).update(state=TemplateState.NEEDS_REVIEW)
    notices.campaign_flagged(campaign)
    return len(flagged)


def campaign_reject(*, campaign: Campaign, actor: User, comment: str) -> Campaign:
    require(actor, Capability.DECIDE_VERSIONS, campaign.business_unit_id)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "Say why: a rejection needs a comment."})
    with transaction.atomic():
        campaign = _lock(campaign, CampaignState.IN_REVIEW)
        _refuse_own(campaign, actor)
        CampaignDecision.objects.create(
            campaign=campaign, actor=actor, approved=False, comment=comment
        )
        campaign.state, campaign.decided_at = CampaignState.REJECTED, timezone.now()
        campaign.save(update_fields=["state", "decided_at"])
        _audit("campaign.rejected", campaign, actor, comment=comment)
        notices.campaign_decided(campaign, actor)
        notices.campaign_rejected(campaign, comment)
    return campaign


def campaign_cancel(*, campaign: Campaign, actor: User, reason: str = "") -> Campaign:
    """Cancel a campaign; a live one reverts at once: the everyday versions resolve again."""
    unit = campaign.business_unit_id
    if not (
        user_can(actor, Capability.EDIT_ASSETS, unit)
        or user_can(actor, Capability.DECIDE_VERSIONS, unit)
    ):
        require(actor, Capability.EDIT_ASSETS, unit)
    with transaction.atomic():
        campaign = _lock(campaign, *CANCELLABLE)
        was = campaign.state
        campaign.state, campaign.finished_at = CampaignState.CANCELLED, timezone.now()
        campaign.save(update_fields=["state", "finished_at"])
        settled = _settle_reviews(campaign)
        _audit(
            "campaign.cancelled",
            campaign,
            actor,
            was=was,
            reason=reason.strip(),
            reviews_settled=settled,
            items=_items_record(campaign),
        )
        notices.campaign_decided(campaign, actor)
        if was in (CampaignState.APPROVED, CampaignState.LIVE):
            notices.campaign_cancelled(campaign, was, reason.strip())
    return campaign


def _settle_reviews(campaign: Campaign) -> int:
    """Settle the open reviews a cancelled campaign opened: there is nothing left to look at."""
    reviews = Review.objects.filter(campaign=campaign, state=ReviewState.OPEN)
    templates = set(reviews.values_list("template_id", flat=True))
    settled = reviews.update(
        state=ReviewState.ACKNOWLEDGED,
        decided_at=timezone.now(),
        note="The campaign was cancelled.",
    )
    clear_settled(templates)
    return settled


def campaigns_tick(now: datetime | None = None) -> dict[str, int]:
    """Move approved campaigns whose go-live came to live (when every item is ready, else mark
    them blocked) and live or approved ones whose end came to ended; each move once."""
    now = now or timezone.now()
    moved = {"live": 0, "ended": 0, "blocked": 0}
    due_end = Campaign.objects.filter(
        state__in=(CampaignState.APPROVED, CampaignState.LIVE), ends_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due_end):
        moved["ended"] += _end(pk, now)
    due_live = (
        Campaign.objects.filter(state=CampaignState.APPROVED, go_live_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .values_list("pk", flat=True)
    )
    for pk in list(due_live):
        outcome = _go_live(pk, now)
        if outcome:
            moved[outcome] += 1
    return moved


def _late(planned: datetime, now: datetime) -> dict[str, Any]:
    if now - planned <= LATE_AFTER:
        return {}
    minutes = int((now - planned).total_seconds() // 60)
    return {"caught_up": True, "late_by_minutes": minutes}


def _go_live(pk: int, now: datetime) -> str:
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(no_key=True)
            .filter(pk=pk, state=CampaignState.APPROVED)
            .first()
        )
        if campaign is None:
            return ""
        blocked = problems(readiness(campaign, going_live=True))
        if blocked:
            if campaign.blocked and campaign.blocked_reasons == blocked:
                return ""
            campaign.blocked, campaign.blocked_reasons = True, blocked
            campaign.save(update_fields=["blocked", "blocked_reasons"])
            _audit("campaign.blocked", campaign, None, reasons=blocked)
            return "blocked"
        campaign.state, campaign.went_live_at = CampaignState.LIVE, now
        campaign.blocked, campaign.blocked_reasons = False, []
        campaign.save(update_fields=["state", "went_live_at", "blocked", "blocked_reasons"])
        _audit(
            "campaign.live",
            campaign,
            None,
            planned=campaign.go_live_at.isoformat(),
            items=_items_record(campaign),
            **_late(campaign.go_live_at, now),
        )
        emit(
            "campaign.live",
            unit=campaign.business_unit_id,
            data={
                "campaign": {"id": campaign.pk, "name": campaign.name},
                "exstream_campaign_id": campaign.exstream_campaign_id,
                "went_live_at": now.isoformat(),
                "planned": campaign.go_live_at.isoformat(),
                "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
                "items": _items_record(campaign),
            },
        )
    return "live"


def _end(pk: int, now: datetime) -> int:
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(no_key=True)
            .filter(pk=pk, state__in=(CampaignState.APPROVED, CampaignState.LIVE))
            .first()
        )
        if campaign is None or campaign.ends_at is None:
            return 0
        ends_at = campaign.ends_at
        was = campaign.state
        campaign.state, campaign.finished_at = CampaignState.ENDED, now
        campaign.save(update_fields=["state", "finished_at"])
        extra = _late(ends_at, now)
        if was == CampaignState.APPROVED:
            extra["never_live"] = True  # the worker was down for the whole window
        _audit(
            "campaign.ended",
            campaign,
            None,
            planned=ends_at.isoformat(),
            items=_items_record(campaign),
            **extra,
        )
    return 1
