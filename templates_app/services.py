"""Every state change of templates, reviews, replacement requests and clearances."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from assets import profiles
from assets.criteria import CriteriaBook
from assets.models import Asset, Placement, Version, VersionState
from assets.renditions import profiles_for
from assets.resolution import Catalogue, Context, Judge, Resolution, Skipped
from assets.rights import Outcome, Rights, RightsBook, Use
from assets.selectors import clean_selectors
from audit.chain import canonical_json
from audit.services import audit_record
from govern.access import require, user_can
from govern.errors import Conflict
from govern.models import BusinessUnit
from govern.roles import Capability
from templates_app import graph, notices
from templates_app.campaign_book import CampaignBook
from templates_app.deliveries import feedback_enqueue
from templates_app.models import (
    UNSETTLED_REVIEW_STATES,
    Binding,
    CampaignItem,
    Clearance,
    Composition,
    Delivery,
    DeliveryState,
    ReplacementRequest,
    ReplacementState,
    Review,
    ReviewState,
    Template,
    TemplateKind,
    TemplateState,
    TemplateUserObjectPermission,
    Verdict,
    cause_key,
)


def _audit(action: str, template: Template, actor: User | None, **data: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        target=template,
        unit_id=template.business_unit_id,
        data={"template": template.exstream_id, **data},
    )


def template_create(
    *,
    exstream_id: str,
    name: str,
    kind: str,
    channels: list[str] | str,
    unit: BusinessUnit,
    actor: User,
    owners: list[User] | None = None,
) -> Template:
    """Register an Exstream template; its owners must be designers of the unit."""
    require(actor, Capability.EDIT_TEMPLATES, unit.pk)
    if kind not in TemplateKind.values:
        raise ValidationError({"kind": f"Use one of {', '.join(TemplateKind.values)}."})
    channel_list = clean_selectors(channels=channels).channels
    owners = (
        owners
        if owners is not None
        else ([actor] if user_can(actor, Capability.REVIEW_TEMPLATES, unit.pk) else [])
    )
    for owner in owners:
        if not user_can(owner, Capability.REVIEW_TEMPLATES, unit.pk):
            raise ValidationError({"owners": f"{owner.username} is no designer in {unit.slug}."})
    try:
        with transaction.atomic():
            template = Template.objects.create(
                exstream_id=exstream_id,
                name=name,
                kind=kind,
                channels=channel_list,
                business_unit=unit,
            )
            _set_owners(template, owners)
            _audit("template.created", template, actor, owners=[o.username for o in owners])
    except IntegrityError:
        raise Conflict(f"Template {exstream_id} is registered already.", "duplicate") from None
    return template


def _set_owners(template: Template, owners: list[User]) -> None:
    permission = Permission.objects.get(
        content_type__app_label="templates_app", codename="own_template"
    )
    TemplateUserObjectPermission.objects.bulk_create(
        [
            TemplateUserObjectPermission(user=o, permission=permission, content_object=template)
            for o in owners
        ],
        ignore_conflicts=True,
    )


def composition_add(*, parent: Template, child: Template, actor: User) -> Composition:
    """Put a component inside a template; a cycle is refused."""
    require(actor, Capability.EDIT_TEMPLATES, parent.business_unit_id)
    if parent.business_unit_id != child.business_unit_id:
        raise ValidationError({"component": "A component must belong to the same unit."})
    with transaction.atomic():
        # Lock both ends (count() would drop FOR UPDATE) so two opposite links cannot race.
        list(
            Template.objects.select_for_update().filter(pk__in=[parent.pk, child.pk]).order_by("pk")
        )
        if parent.pk in graph.contents_of(child.pk):
            raise ValidationError(
                {"component": f"{child.name} already contains {parent.name}; that is a cycle."}
            )
        composition, created = Composition.objects.get_or_create(parent=parent, child=child)
        if created:
            _audit("template.component_added", parent, actor, component=child.exstream_id)
            if child.state == TemplateState.NEEDS_REVIEW:
                _mark_needs_review([parent.pk])
    return composition


def composition_remove(*, composition: Composition, actor: User) -> None:
    parent = composition.parent
    require(actor, Capability.EDIT_TEMPLATES, parent.business_unit_id)
    with transaction.atomic():
        composition.delete()
        _audit("template.component_removed", parent, actor, component=composition.child_id)


def binding_set(
    *,
    template: Template,
    slot: str,
    actor: User,
    asset: Asset | None = None,
    version: Version | None = None,
    placement: str = "",
    print_width_mm: int | None = None,
) -> Binding:
    """Bind a slot to an asset, resolved at run time, or pin it to one version; say where the
    slot sits and how wide it prints, which licences and print renditions are judged by."""
    require(actor, Capability.EDIT_TEMPLATES, template.business_unit_id)
    if (asset is None) == (version is None):
        raise ValidationError("Bind the slot to an asset or pin it to a version, not both.")
    asset = asset or version.variant.asset  # type: ignore[union-attr]
    if asset.business_unit_id != template.business_unit_id:
        raise ValidationError({"asset": "The asset must belong to the template's unit."})
    if not slot.strip():
        raise ValidationError({"slot": "A slot needs a name."})
    if placement not in ("", *Placement.values):
        raise ValidationError({"placement": f"Use one of {', '.join(Placement.values)}."})
    with transaction.atomic():
        binding, _ = Binding.objects.update_or_create(
            template=template,
            slot=slot.strip(),
            defaults={
                "asset": asset,
                "pinned_version": version,
                "placement": placement,
                "print_width_mm": print_width_mm,
            },
        )
        _audit(
            "template.binding_set",
            template,
            actor,
            slot=slot,
            asset=asset.key,
            pinned_version=version.pk if version else None,
            placement=placement,
            print_width_mm=print_width_mm,
        )
    return binding


def binding_remove(*, binding: Binding, actor: User) -> None:
    template = binding.template
    require(actor, Capability.EDIT_TEMPLATES, template.business_unit_id)
    with transaction.atomic():
        binding.delete()
        _audit("template.binding_removed", template, actor, slot=binding.slot)


def templates_flag_for_change(
    *,
    asset: Asset,
    action: str,
    old_version: Version | None,
    new_version: Version | None,
    actor: User | None,
) -> int:
    """Open a review on every template using the asset, at any depth, and mark those templates
    as needing review; return how many."""
    cause = cause_key(
        action, asset.pk, getattr(old_version, "pk", None), getattr(new_version, "pk", None)
    )
    flagged = graph.open_reviews_for_change(
        asset_id=asset.pk,
        action=action,
        old_version_id=old_version.pk if old_version else None,
        new_version_id=new_version.pk if new_version else None,
        actor_id=actor.pk if actor else None,
        cause=cause,
    )
    opened = Review.objects.filter(cause_key=cause, state=ReviewState.OPEN).values("template_id")
    Template.objects.filter(pk__in=opened).exclude(state=TemplateState.NEEDS_REVIEW).update(
        state=TemplateState.NEEDS_REVIEW
    )
    if flagged:
        notices.templates_flagged(asset, cause, action, new_version or old_version)
    return flagged


def _mark_needs_review(template_ids: list[int]) -> None:
    Template.objects.filter(pk__in=template_ids).update(state=TemplateState.NEEDS_REVIEW)


def clear_settled(template_ids: set[int]) -> None:
    """Return templates whose reviews are all acknowledged to cleared, in one query."""
    unsettled = Review.objects.filter(state__in=UNSETTLED_REVIEW_STATES).values("template_id")
    Template.objects.filter(pk__in=template_ids).exclude(pk__in=unsettled).update(
        state=TemplateState.CLEARED
    )


def _owned(user: User, reviews: list[Review]) -> None:
    owned = set(
        TemplateUserObjectPermission.objects.filter(
            user=user, content_object_id__in={r.template_id for r in reviews}
        ).values_list("content_object_id", flat=True)
    )
    for review in reviews:
        require(user, Capability.REVIEW_TEMPLATES, review.template.business_unit_id)
        if review.template_id not in owned:
            raise PermissionDenied(f"You do not own {review.template.name}.")


def reviews_acknowledge(*, reviews: list[Review], actor: User, note: str = "") -> int:
    """Acknowledge reviews of templates the designer owns; settled templates become cleared."""
    if not reviews:
        raise ValidationError("Choose at least one review.")
    with transaction.atomic():
        locked = list(
            Review.objects.select_for_update()
            .select_related("template")
            .filter(pk__in=[r.pk for r in reviews])
        )
        _owned(actor, locked)
        settled = [r for r in locked if r.state not in UNSETTLED_REVIEW_STATES]
        if settled:
            raise Conflict(f"Review {settled[0].pk} was settled already; reload.", "stale_state")
        waiting = ReplacementRequest.objects.filter(
            review__in=locked, state__in=[ReplacementState.OPEN, ReplacementState.ANSWERED]
        ).first()
        if waiting is not None:
            raise Conflict(
                f"Review {waiting.review_id} of {waiting.review.template.name} waits for the "
                f"replacement you asked for ({waiting.get_state_display().lower()}): "
                "acknowledge it once the new version is approved.",
                "replacement_pending",
            )
        now = timezone.now()
        Review.objects.filter(pk__in=[r.pk for r in locked]).update(
            state=ReviewState.ACKNOWLEDGED, decided_by=actor, decided_at=now, note=note.strip()
        )
        clear_settled({r.template_id for r in locked})
        for review in locked:
            _audit("review.acknowledged", review.template, actor, review=review.pk, note=note)
    return len(locked)


def review_request_changes(
    *, review: Review, actor: User, reason: str, wanted_by: date | None = None
) -> ReplacementRequest:
    """Ask the unit's brand managers for a replacement; the template stays in review."""
    if not reason.strip():
        raise ValidationError({"reason": "Say what should change."})
    if wanted_by and wanted_by < timezone.localdate():
        raise ValidationError({"wanted_by": "The date is in the past."})
    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("template").get(pk=review.pk)
        _owned(actor, [review])
        if review.state != ReviewState.OPEN:
            raise Conflict("This review is not open any more; reload.", "stale_state")
        review.state, review.decided_by, review.decided_at = (
            ReviewState.CHANGES_REQUESTED,
            actor,
            timezone.now(),
        )
        review.note = reason.strip()
        review.save(update_fields=["state", "decided_by", "decided_at", "note"])
        changed = review.new_version or review.old_version
        if changed is not None:
            feedback_enqueue(
                version=changed,
                status="replacement_requested",
                reason=reason.strip(),
                suffix=f"-{review.pk}",
            )
        request = ReplacementRequest.objects.create(
            review=review,
            asset_id=review.asset_id,
            requested_by=actor,
            reason=reason.strip(),
            wanted_by=wanted_by,
        )
        _audit(
            "replacement.requested",
            review.template,
            actor,
            review=review.pk,
            request=request.pk,
            reason=reason,
            wanted_by=wanted_by,
        )
        notices.replacement_requested(request)
    return request


def _lock_open_request(request: ReplacementRequest, actor: User) -> ReplacementRequest:
    require(actor, Capability.EDIT_ASSETS, request.asset.business_unit_id)
    locked = (
        ReplacementRequest.objects.select_for_update()
        .select_related("asset", "review__template")
        .get(pk=request.pk)
    )
    if locked.state != ReplacementState.OPEN:
        raise Conflict("This request was answered already; reload.", "stale_state")
    return locked


def replacement_fulfil(
    *, request: ReplacementRequest, version: Version, actor: User
) -> ReplacementRequest:
    """Answer a request with a new version of the asset: the request is answered while that
    version is in review, fulfilled once it is approved, open again if it is refused
    (replacements_follow)."""
    with transaction.atomic():
        request = _lock_open_request(request, actor)
        if version.variant.asset_id != request.asset_id:
            raise ValidationError({"version": "The version must be of the requested asset."})
        if version.state not in {VersionState.DRAFT, VersionState.IN_REVIEW}:
            raise ValidationError({"version": "Link a new version (draft or in review)."})
        request.state, request.fulfilled_version = ReplacementState.ANSWERED, version
        request.decided_by, request.decided_at = actor, timezone.now()
        request.save(update_fields=["state", "fulfilled_version", "decided_by", "decided_at"])
        _audit(
            "replacement.answered",
            request.review.template,
            actor,
            request=request.pk,
            version=version.pk,
        )
        notices.replacement_answered(request)
    return request


def replacements_follow(version: Version, approved: bool) -> int:
    """Move the requests a version answered: fulfilled when it is approved, open again (to be
    answered anew) when it is refused or taken back; audited; return how many moved."""
    answered = list(
        ReplacementRequest.objects.select_for_update()
        .select_related("review__template")
        .filter(state=ReplacementState.ANSWERED, fulfilled_version=version)
    )
    for request in answered:
        if approved:
            request.state = ReplacementState.FULFILLED
        else:
            request.state, request.fulfilled_version = ReplacementState.OPEN, None
        request.save(update_fields=["state", "fulfilled_version"])
        action = "replacement.fulfilled" if approved else "replacement.reopened"
        _audit(action, request.review.template, None, request=request.pk, version=version.pk)
    return len(answered)


def replacement_decline(
    *, request: ReplacementRequest, actor: User, reason: str
) -> ReplacementRequest:
    """Decline a request, saying why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the request is declined."})
    with transaction.atomic():
        request = _lock_open_request(request, actor)
        request.state, request.decline_reason = ReplacementState.DECLINED, reason.strip()
        request.decided_by, request.decided_at = actor, timezone.now()
        request.save(update_fields=["state", "decline_reason", "decided_by", "decided_at"])
        _audit(
            "replacement.declined",
            request.review.template,
            actor,
            request=request.pk,
            reason=reason,
        )
        notices.replacement_answered(request)
    return request


def preflight_run(
    *, template: Template, run_at: datetime, contexts: list[Context], actor: User
) -> Clearance:
    """Decide whether a production run may go, store the clearance with its evidence, audit it."""
    require(actor, Capability.RUN_PREFLIGHT, template.business_unit_id)
    if not contexts:
        raise ValidationError({"contexts": "Name at least one context of the run."})
    tree = graph.contents_of(template.pk)
    bindings = list(
        Binding.objects.filter(template_id__in=tree)
        .select_related("asset", "template", "pinned_version__variant__asset")
        .order_by("template_id", "slot")
    )
    check = _Check.of(bindings, contexts, run_at)
    check.reasons += _open_review_reasons(tree)
    for binding in bindings:
        _check_binding(binding, check)
    verdict = Verdict.NO_GO if check.reasons else Verdict.GO
    inputs = [{k: v for k, v in vars(context).items() if k != "at"} for context in contexts]
    evidence = {
        "template": template.exstream_id,
        "run_at": run_at.isoformat(),
        "contexts": inputs,
        "verdict": verdict.value,
        "reasons": check.reasons,
        "warnings": check.warnings,
        "resolved": check.resolved,
    }
    evidence_hash = hashlib.sha256(canonical_json(evidence).encode()).hexdigest()
    with transaction.atomic():
        clearance = Clearance.objects.create(
            template=template,
            requested_by=actor,
            run_at=run_at,
            contexts=inputs,
            verdict=verdict,
            reasons=check.reasons,
            warnings=check.warnings,
            evidence=evidence,
            evidence_hash=evidence_hash,
        )
        _audit(
            "preflight.checked",
            template,
            actor,
            clearance=clearance.pk,
            verdict=verdict.value,
            evidence_hash=evidence_hash,
        )
    return clearance


@dataclass
class _Check:
    """What one pre-flight reads once (versions, deliveries, licences) and what it found."""

    contexts: list[Context]
    run_at: datetime
    catalogue: Catalogue
    deliveries: "DeliveryBook"
    rights: RightsBook
    criteria: CriteriaBook
    campaigns: CampaignBook
    reasons: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    criteria_seen: set[tuple[int, int]] = field(default_factory=set)
    blocked_seen: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, bindings: list[Binding], contexts: list[Context], run_at: datetime) -> "_Check":
        catalogue = Catalogue(binding.asset_id for binding in bindings)
        campaigns = CampaignBook(bindings, run_at)
        pinned = [b.pinned_version for b in bindings if b.pinned_version is not None]
        versions = [*catalogue.approved.values(), *pinned, *campaigns.versions()]
        widths = widest_print({binding.asset_id for binding in bindings})
        return cls(
            contexts,
            run_at,
            catalogue,
            DeliveryBook({version.pk for version in versions}),
            RightsBook(versions),
            CriteriaBook(widths),
            campaigns,
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


def rights_judge(rights: RightsBook, asset: Asset, use: Use) -> Judge:
    """Return the judge resolution asks: a version may be used unless its rights stop it."""

    def judge(version: Version) -> tuple[str | None, Rights]:
        verdict = rights.judge(version, use)
        return (verdict.summary() if rights.stops(asset, verdict) else None), verdict

    return judge


def _criteria_reasons(
    binding: Binding, where: str, version: Version, check: _Check
) -> list[dict[str, str]]:
    """Report, once per slot and version, the blocking criteria it fails today."""
    if (binding.pk, version.pk) in check.criteria_seen:
        return []
    check.criteria_seen.add((binding.pk, version.pk))
    return [
        {
            "code": "criteria_failed",
            "detail": f"{where}: {version} fails {failure.rule}: {failure.detail}.",
            "object": f"version:{version.pk}",
        }
        for failure in check.criteria.failures(version)
    ]


def binding_resolution(
    binding: Binding, context: Context, catalogue: Catalogue, judge: Judge
) -> Resolution:
    """Resolve a slot in a context: its pinned version if the judge lets it, else by variant."""
    pinned = binding.pinned_version
    if pinned is None:
        return catalogue.resolve(binding.asset, context, judge)
    problem, verdict = judge(pinned)
    if problem is None:
        return Resolution(binding.asset, pinned, verdict=verdict)
    return Resolution(binding.asset, None, problem, (Skipped(pinned, problem, verdict),))


def _rights_reason(where: str, asset: Asset, context: Context, skipped: Skipped) -> dict[str, str]:
    verdict: Rights = skipped.verdict
    code = "out_of_rights" if verdict.outcome == Outcome.NOT_COVERED else "licence_unknown"
    return {
        "code": code,
        "detail": f"{where}: {skipped.version} for {context.describe()}: {skipped.reason}.",
        "object": f"version:{skipped.version.pk}",
    }


def _check_binding(binding: Binding, check: _Check) -> None:
    where = f"{binding.template.name}.{binding.slot}"
    everyday = []
    for context in check.contexts:
        check.reasons += _blocked_reasons(binding, where, context, check)
        item = check.campaigns.item_for(binding, context)
        if item is None:
            everyday.append(context)
        else:
            _check_campaign_item(binding, where, context, item, check)
    if everyday:
        _check_everyday(binding, where, everyday, check)


def _blocked_reasons(
    binding: Binding, where: str, context: Context, check: _Check
) -> list[dict[str, str]]:
    """Say, once per campaign, that a blocked campaign should fill this slot at run time."""
    found = []
    for campaign in check.campaigns.blocking(binding, context):
        if campaign.pk in check.blocked_seen:
            continue
        check.blocked_seen.add(campaign.pk)
        why = "; ".join(campaign.blocked_reasons) or "an item is not ready"
        found.append(
            {
                "code": "campaign_blocked",
                "detail": f"{where}: campaign {campaign.name} should fill it at this time but "
                f"is blocked: {why}.",
                "object": f"campaign:{campaign.pk}",
            }
        )
    return found


def campaign_resolution(
    binding: Binding, item: CampaignItem, use: Use, rights: RightsBook
) -> Resolution:
    """Resolve a slot a campaign fills: its version, while approved and in rights for the use."""
    version = item.version
    if version.state != VersionState.APPROVED:
        state = version.get_state_display().lower()
        why = f"campaign {item.campaign.name} brings {version}, which is {state}"
        return Resolution(binding.asset, None, why)
    problem, verdict = rights_judge(rights, version.variant.asset, use)(version)
    if problem is None:
        return Resolution(binding.asset, version, verdict=verdict)
    return Resolution(binding.asset, None, problem, (Skipped(version, problem, verdict),))


def _check_campaign_item(
    binding: Binding, where: str, context: Context, item: CampaignItem, check: _Check
) -> None:
    use = Use(context, check.run_at, binding.placement, binding.print_width_mm)
    resolution = campaign_resolution(binding, item, use, check.rights)
    if resolution.version is None and not resolution.skipped:
        check.reasons.append(
            {
                "code": "campaign_not_approved",
                "detail": f"{where}: {resolution.reason}.",
                "object": f"version:{item.version_id}",
            }
        )
        return
    _check_resolution(binding, where, context, resolution, check, campaign=item.campaign_id)


def _check_everyday(binding: Binding, where: str, contexts: list[Context], check: _Check) -> None:
    pinned = binding.pinned_version
    if pinned is not None and pinned.state != VersionState.APPROVED:
        check.reasons.append(
            {
                "code": "pinned_not_approved",
                "detail": f"{where} pins {binding.asset.key} v{pinned.number}, which is "
                f"{pinned.get_state_display().lower()}.",
                "object": f"binding:{binding.pk}",
            }
        )
        return
    for context in contexts:
        use = Use(context, check.run_at, binding.placement, binding.print_width_mm)
        judge = rights_judge(check.rights, binding.asset, use)
        resolution = binding_resolution(binding, context, check.catalogue, judge)
        _check_resolution(binding, where, context, resolution, check)


def _check_resolution(
    binding: Binding,
    where: str,
    context: Context,
    resolution: Resolution,
    check: _Check,
    campaign: int | None = None,
) -> None:
    version = resolution.version
    if version is None:
        if resolution.skipped:
            check.reasons += [
                _rights_reason(where, binding.asset, context, skipped)
                for skipped in resolution.skipped
            ]
        else:
            check.reasons.append(
                {
                    "code": "unresolved",
                    "detail": f"{where}: {resolution.reason}",
                    "object": f"binding:{binding.pk}",
                }
            )
        return
    verdict: Rights = resolution.verdict
    if verdict.outcome == Outcome.UNKNOWN:
        check.warnings.append(
            {
                "code": "licence_unknown",
                "detail": f"{where}: {version} for {context.describe()}: {verdict.summary()}.",
                "object": f"version:{version.pk}",
            }
        )
    missing, held = _delivery_reasons(binding, version, context, check.deliveries)
    check.reasons += missing + _criteria_reasons(binding, where, version, check)
    check.resolved.append(
        {
            "binding": binding.pk,
            "context": context.describe(),
            "version": version.pk,
            "sha256": version.sha256,
            "renditions": held,
            "rights": verdict.outcome.value,
            "skipped": [skipped.as_dict() for skipped in resolution.skipped],
            **({"campaign": campaign} if campaign else {}),
        }
    )


def _open_review_reasons(tree: set[int]) -> list[dict[str, str]]:
    reviews = Review.objects.filter(
        template_id__in=tree, state__in=UNSETTLED_REVIEW_STATES
    ).select_related("template", "asset", "old_version", "new_version")
    return [
        {
            "code": "open_review",
            "detail": f"{review.template.name} must be reviewed: "
            + (review.detail or f"{review.asset.key} {_change(review)}")
            + ".",
            "object": f"review:{review.pk}",
        }
        for review in reviews
    ]


def _change(review: Review) -> str:
    old = f"v{review.old_version.number}" if review.old_version else "-"
    new = f"v{review.new_version.number}" if review.new_version else "-"
    return f"{review.action} ({old} → {new})"


class DeliveryBook:
    """The Exstream deliveries of the versions a pre-flight resolves, loaded in one query."""

    def __init__(self, version_ids: set[int]) -> None:
        self._rows: dict[tuple[int, str], Delivery] = {
            (delivery.version_id, delivery.profile): delivery
            for delivery in Delivery.objects.filter(
                version_id__in=version_ids, target="exstream"
            ).select_related("rendition")
        }

    def problem(self, version: Version, channel: str) -> tuple[str | None, list[str]]:
        """Say which renditions for the channel Exstream does not hold yet; and their sha256s."""
        needed = [
            profile
            for profile in profiles_for(version)
            if profile == "text"
            or not channel
            or profiles.PROFILES.get(profile, {}).get("channel") == channel
        ]
        missing, held = [], []
        for profile in needed:
            delivery = self._rows.get((version.pk, profile))
            if delivery is None or delivery.state != DeliveryState.DELIVERED:
                state = delivery.get_state_display().lower() if delivery else "never queued"
                missing.append(f"{profile} ({state})")
            elif delivery.rendition is not None:
                held.append(delivery.rendition.sha256)
        if not needed:
            missing.append(f"no rendition for the {channel} channel")
        return ("; ".join(missing) or None), held


def _delivery_reasons(
    binding: Binding, version: Version, context: Context, deliveries: DeliveryBook
) -> tuple[list[dict[str, str]], list[str]]:
    problem, held = deliveries.problem(version, context.channel)
    if problem is None:
        return [], held
    where = f"{binding.template.name}.{binding.slot}"
    reason = {
        "code": "not_delivered",
        "detail": f"{where}: {version} for {context.describe()} is not in Exstream yet: {problem}.",
        "object": f"version:{version.pk}",
    }
    return [reason], held
