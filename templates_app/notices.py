"""Who hears of what happens to templates: owners when theirs are flagged, brand managers when
a replacement is asked for or a delivery dies, the requester when a request is answered.

Each notice goes through govern.notify (once per cause, email by a worker after the commit).
"""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from assets.models import Asset, Version
from govern.access import holders
from govern.notify import notices_settle, notify
from govern.roles import Role
from govern.zones import local_text
from templates_app.models import (
    Campaign,
    Delivery,
    ReplacementRequest,
    Review,
    TemplateUserObjectPermission,
)


def templates_flagged(asset: Asset, cause: str, action: str, version: Version | None) -> None:
    """Tell each owner of a flagged template how many of theirs wait for review."""
    flagged = Review.objects.filter(cause_key=cause).values("template_id")
    owners = (
        TemplateUserObjectPermission.objects.filter(
            permission__codename="own_template", content_object_id__in=flagged
        )
        .values("user_id")
        .annotate(templates=Count("content_object_id"))
    )
    what = f"{version}" if version is not None else asset.key
    for owner in owners:
        count = owner["templates"]
        notify(
            users=_people([owner["user_id"]]),
            key=f"templates-flagged:{cause}",
            subject=f"{what} {action}: {count} of your templates to review",
            body=f"{asset.title} changed ({action}). Look at {count} template"
            f"{'s' if count != 1 else ''} before their next production run.",
            url=reverse("templates:inbox"),
        )


def replacement_requested(request: ReplacementRequest) -> None:
    """Tell the asset's brand managers a designer wants a new version."""
    asset = request.asset
    notify(
        users=holders(Role.BRAND_MANAGER, asset.business_unit_id),
        key=f"replacement-requested:{request.pk}",
        subject=f"A replacement of {asset.key} is asked for",
        body=f"{request.requested_by} asks for a new version of {asset.title}: "
        f"“{request.reason}”" + (f", wanted by {request.wanted_by}." if request.wanted_by else "."),
        url=reverse("templates:replacements"),
    )


def replacement_answered(request: ReplacementRequest) -> None:
    """Settle the other brand managers' notices of the request (one of them answered it); tell
    the designer who asked how (theirs by name: mailed at once)."""
    notices_settle(keys=[f"replacement-requested:{request.pk}"], by=request.decided_by)
    if request.fulfilled_version is not None:
        outcome = f"answered with {request.fulfilled_version}"
        body = f"{outcome}, now in compliance review"
    else:
        outcome, body = "declined", f"declined: “{request.decline_reason}”"
    notify(
        users=_people([request.requested_by_id]),
        key=f"replacement-answered:{request.pk}:{request.state}",
        subject=f"Your request for {request.asset.key} was {outcome}",
        body=f"Your request for a new {request.asset.title} was {body}.",
        url=reverse("templates:inbox"),
        urgent=True,
    )


def delivery_dead(delivery: Delivery, reason: str) -> None:
    """Tell the unit's brand managers and compliance officers a rendition will not arrive."""
    unit_id = delivery.version.variant.asset.business_unit_id
    people = holders(Role.BRAND_MANAGER, unit_id) | holders(Role.COMPLIANCE_OFFICER, unit_id)
    notify(
        users=people.distinct(),
        key=f"delivery-dead:{delivery.pk}:{timezone.now().isoformat()}",
        subject=f"The {delivery.profile} rendition of {delivery.version} did not reach Exstream",
        body=f"Govern gave up after {delivery.attempts} attempts: {reason}. A compliance "
        "officer can retry it once Exstream answers again.",
        url=delivery.version.get_absolute_url(),
    )


def delivery_retried(delivery: Delivery, actor: User) -> None:
    """Someone retried a dead delivery: the notices of its death settle."""
    notices_settle(prefix=f"delivery-dead:{delivery.pk}:", by=actor)


def _people(ids: list[int]) -> list[User]:
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _owners_of(template_ids: Any) -> list[User]:
    owners = TemplateUserObjectPermission.objects.filter(
        permission__codename="own_template", content_object_id__in=template_ids
    ).values_list("user_id", flat=True)
    return _people(list(owners))


def _go_live(campaign: Campaign) -> str:
    return local_text(campaign.go_live_at, campaign.business_unit.time_zone)


def campaign_waiting(campaign: Campaign, submitter: User) -> None:
    """Tell the unit's compliance officers (not the submitter) a campaign waits for them."""
    officers = holders(Role.COMPLIANCE_OFFICER, campaign.business_unit_id).exclude(pk=submitter.pk)
    notify(
        users=officers,
        key=f"campaign-waiting:{campaign.pk}",
        subject=f"Campaign {campaign.name} waits for your decision",
        body=f"{campaign.items.count()} item(s), going live {_go_live(campaign)}.",
        url=campaign.get_absolute_url(),
    )


def campaign_decided(campaign: Campaign, actor: User | None) -> None:
    """Someone decided or cancelled the campaign: the officers' "waits" notices settle."""
    notices_settle(keys=[f"campaign-waiting:{campaign.pk}"], by=actor)


def campaign_rejected(campaign: Campaign, comment: str) -> None:
    notify(
        users=_people([pk for pk in (campaign.created_by_id, campaign.submitted_by_id) if pk]),
        key=f"campaign-rejected:{campaign.pk}",
        subject=f"Campaign {campaign.name} was rejected",
        body=comment,
        url=campaign.get_absolute_url(),
        urgent=True,
    )


def campaign_flagged(campaign: Campaign) -> None:
    """Tell the owners of every template the approved campaign reaches to look before go-live."""
    flagged = Review.objects.filter(campaign=campaign).values("template_id")
    notify(
        users=_owners_of(flagged),
        key=f"campaign-flagged:{campaign.pk}",
        subject=f"Campaign {campaign.name} reaches your templates: review before go-live",
        body=f"It goes live {_go_live(campaign)}.",
        url=reverse("templates:inbox"),
    )


def campaign_cancelled(campaign: Campaign, was: str, reason: str) -> None:
    """Tell the owners of the templates a cancelled campaign reached that it will not run."""
    flagged = Review.objects.filter(campaign=campaign).values("template_id")
    reverted = (
        "its templates use their everyday versions again"
        if was == "live"
        else ("it will not go live")
    )
    notify(
        users=_owners_of(flagged),
        key=f"campaign-cancelled:{campaign.pk}",
        subject=f"Campaign {campaign.name} was cancelled",
        body=f"{reverted}." + (f" Reason: {reason}" if reason else ""),
        url=campaign.get_absolute_url(),
    )
