"""Pre-flight and the manifest: whether a production run may go, with every reason, and which
version fills each slot of a template for a context and a time."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from assets.api import VariantOutput
from assets.criteria import CriteriaBook
from assets.models import Asset, Version, VersionState
from assets.resolution import Catalogue, Context, Judge, Resolution, Skipped, specificity
from assets.rights import Outcome, Rights, RightsBook, Use
from audit.chain import canonical_json
from audit.services import audit_record
from govern.access import require
from govern.roles import Capability
from templates_app import graph
from templates_app.campaigns.book import CampaignBook
from templates_app.models import (
    UNSETTLED_REVIEW_STATES,
    Binding,
    CampaignItem,
    Clearance,
    Review,
    Template,
    Verdict,
)
from templates_app.outbox.book import DeliveryBook, widest_print
from templates_app.proofs import proofs_check
from templates_app.resolved import Resolved, entries
from templates_app.webhooks import emit


def preflight_run(
    *,
    template: Template,
    run_at: datetime,
    contexts: list[Context],
    actor: User,
    proof: bool = False,
) -> Clearance:
    """Decide whether a production run may go, store the clearance with its evidence, audit it.
    With `proof`, Exstream also produces a document per context, held to what was resolved
    (templates_app/proofs.py)."""
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
    check.warnings += _channel_warnings(template, contexts)
    check.reasons += _open_review_reasons(tree)
    for binding in bindings:
        _check_binding(binding, check)
    resolved = check.resolved.entries()
    each = list(entries({"resolved": resolved})) if proof else []
    proofs = proofs_check(template, contexts, each) if proof else None
    if proofs is not None:
        check.reasons += proofs.reasons
        check.warnings += proofs.warnings
    verdict = Verdict.NO_GO if check.reasons else Verdict.GO
    inputs = [{k: v for k, v in vars(context).items() if k != "at"} for context in contexts]
    evidence = {
        "template": template.exstream_id,
        "run_at": run_at.isoformat(),
        "contexts": inputs,
        "verdict": verdict.value,
        "reasons": check.reasons,
        "warnings": check.warnings,
        "resolved": resolved,
        **({"proofs": proofs.evidence} if proofs is not None else {}),
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
        audit_record(
            action="preflight.checked",
            actor=actor,
            target=template,
            unit_id=template.business_unit_id,
            data={
                "template": template.exstream_id,
                "clearance": clearance.pk,
                "verdict": verdict.value,
                "evidence_hash": evidence_hash,
            },
        )
        emit(
            "preflight.verdict",
            unit=template.business_unit_id,
            data={
                "clearance": clearance.pk,
                "template": {"id": template.pk, "exstream_id": template.exstream_id},
                "run_at": run_at.isoformat(),
                "contexts": inputs,
                "verdict": verdict.value,
                "reasons": check.reasons,
                "warnings": check.warnings,
                "evidence_hash": evidence_hash,
            },
        )
    return clearance


@dataclass
class _Check:
    """What one pre-flight reads once (versions, deliveries, licences) and what it found."""

    contexts: list[Context]
    run_at: datetime
    catalogue: Catalogue
    deliveries: DeliveryBook
    rights: RightsBook
    criteria: CriteriaBook
    campaigns: CampaignBook
    reasons: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    resolved: Resolved = field(default_factory=Resolved)
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


# Rights judged ahead for a slot: by version, its rights in each of the run's uses in order
# (None where it was not judged ahead).
Ahead = dict[int, list[Rights | None]]


def rights_judge(
    rights: RightsBook, asset: Asset, use: Use, ahead: tuple[Ahead, int] | None = None
) -> Judge:
    """Return the judge resolution asks: a version may be used unless its rights stop it.
    With `ahead`, the rights judged ahead and the use's place among them."""

    def judge(version: Version) -> tuple[str | None, Rights]:
        known = ahead[0].get(version.pk) if ahead else None
        verdict = (known[ahead[1]] if known and ahead else None) or rights.judge(version, use)
        return (verdict.summary() if rights.stops(asset, verdict) else None), verdict

    return judge


def judged_ahead(versions: list[Version], uses: list[Use], rights: RightsBook) -> Ahead:
    """The rights of each version a slot may resolve to in each of the run's uses, judged for
    all the uses at once: they share the moment and the slot, and differ only in where."""
    return {version.pk: list(rights.judge_many(version, uses)) for version in versions}


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
    if not check.campaigns.touches(binding):
        _check_everyday(binding, where, check.contexts, check)
        return
    everyday = []
    chosen = [check.campaigns.item_for(binding, context) for context in check.contexts]
    ahead = _campaigns_ahead(binding, chosen, check)
    for place, (context, item) in enumerate(zip(check.contexts, chosen, strict=True)):
        check.reasons += _blocked_reasons(binding, where, context, check)
        if item is None:
            everyday.append(context)
        else:
            _check_campaign_item(binding, where, context, item, check, (ahead, place))
    if everyday:
        _check_everyday(binding, where, everyday, check)


def _campaigns_ahead(binding: Binding, chosen: list[CampaignItem | None], check: _Check) -> Ahead:
    """The rights of each approved version a campaign brings to the slot in the contexts it
    is chosen for (`chosen`: the item of each context of the run), judged at once per version
    as an everyday version's are."""
    places: dict[int, list[int]] = defaultdict(list)
    brought: dict[int, Version] = {}
    for place, item in enumerate(chosen):
        if item is not None and item.version.state == VersionState.APPROVED:
            places[item.version_id].append(place)
            brought[item.version_id] = item.version
    ahead: Ahead = {}
    for key, where in places.items():
        uses = [_use(binding, check.contexts[place], check) for place in where]
        row: list[Rights | None] = [None] * len(check.contexts)
        for place, verdict in zip(where, check.rights.judge_many(brought[key], uses), strict=True):
            row[place] = verdict
        ahead[key] = row
    return ahead


def _use(binding: Binding, context: Context, check: _Check) -> Use:
    return Use(context, check.run_at, binding.placement, binding.print_width_mm)


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
    binding: Binding,
    item: CampaignItem,
    use: Use,
    rights: RightsBook,
    ahead: tuple[Ahead, int] | None = None,
) -> Resolution:
    """Resolve a slot a campaign fills: its version, while approved and in rights for the use
    (judged ahead, with the use's place, when given)."""
    version = item.version
    if version.state != VersionState.APPROVED:
        state = version.get_state_display().lower()
        why = f"campaign {item.campaign.name} brings {version}, which is {state}"
        return Resolution(binding.asset, None, why)
    problem, verdict = rights_judge(rights, version.variant.asset, use, ahead)(version)
    if problem is None:
        return Resolution(binding.asset, version, verdict=verdict)
    return Resolution(binding.asset, None, problem, (Skipped(version, problem, verdict),))


def _check_campaign_item(
    binding: Binding,
    where: str,
    context: Context,
    item: CampaignItem,
    check: _Check,
    ahead: tuple[Ahead, int],
) -> None:
    use = _use(binding, context, check)
    resolution = campaign_resolution(binding, item, use, check.rights, ahead)
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
    uses = [_use(binding, context, check) for context in contexts]
    candidates = [pinned] if pinned is not None else check.catalogue.versions_of(binding.asset)
    ahead = judged_ahead(candidates, uses, check.rights)
    variants = check.catalogue.variants.get(binding.asset_id, []) if pinned is None else []
    found: dict[tuple[Any, ...], Resolution] = {}
    for place, (context, use) in enumerate(zip(contexts, uses, strict=True)):
        # Resolution reads only how each variant fits and the rights judged: contexts alike
        # in both (rights judged alike are one object) resolve alike where a version is found.
        alike = (
            tuple(specificity(variant, context) for variant in variants),
            tuple(id(row[place]) for row in ahead.values()),
        )
        resolution = found.get(alike) or binding_resolution(
            binding,
            context,
            check.catalogue,
            rights_judge(check.rights, binding.asset, use, (ahead, place)),
        )
        if resolution.version is not None:
            found[alike] = resolution
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
        check.reasons += _unresolved_reasons(binding, where, context, resolution)
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
    check.reasons += missing
    if _record(binding, where, context, version, resolution, held, check, campaign):
        check.reasons += _criteria_reasons(binding, where, version, check)


def _unresolved_reasons(
    binding: Binding, where: str, context: Context, resolution: Resolution
) -> list[dict[str, str]]:
    """Why a slot has no version in a context: the versions its rights kept out, or none."""
    if resolution.skipped:
        return [
            _rights_reason(where, binding.asset, context, skipped) for skipped in resolution.skipped
        ]
    return [
        {
            "code": "unresolved",
            "detail": f"{where}: {resolution.reason}",
            "object": f"binding:{binding.pk}",
        }
    ]


def _record(
    binding: Binding,
    where: str,
    context: Context,
    version: Version,
    resolution: Resolution,
    held: tuple[str, ...],
    check: _Check,
    campaign: int | None,
) -> bool:
    """Keep the version that filled the slot in the context in the evidence; say whether it
    is an outcome the check had not met before (one entry per slot and outcome)."""
    verdict: Rights = resolution.verdict
    passed = tuple((skipped.version.pk, skipped.reason) for skipped in resolution.skipped)
    key = (binding.pk, version.pk, campaign, verdict.outcome, held, passed)
    if check.resolved.add(key, context.describe()):
        return False
    entry = {
        "binding": binding.pk,
        "version": version.pk,
        "sha256": version.sha256,
        "slot": where,
        "asset": version.variant.asset.key,
        "number": version.number,
        "renditions": list(held),
        "rights": verdict.outcome.value,
        "skipped": [skipped.as_dict() for skipped in resolution.skipped],
        **({"campaign": campaign} if campaign else {}),
    }
    check.resolved.first(key, context.describe(), entry)
    return True


def _channel_warnings(template: Template, contexts: list[Context]) -> list[dict[str, str]]:
    """Warn of a context in a channel the template does not have (it says which it has)."""
    have = template.channel_list
    if not have:
        return []
    return [
        {
            "code": "channel_not_in_template",
            "detail": f"{template.name} has no {context.channel} channel (it has "
            f"{', '.join(have)}): a run in {context.describe()} is not one it makes.",
            "object": f"template:{template.pk}",
        }
        for context in contexts
        if context.channel and context.channel not in have
    ]


def _open_review_reasons(tree: set[int]) -> list[dict[str, str]]:
    reviews = Review.objects.filter(
        template_id__in=tree, state__in=UNSETTLED_REVIEW_STATES
    ).select_related("template", "asset", "old_version", "new_version")  # their numbers only
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


def _delivery_reasons(
    binding: Binding, version: Version, context: Context, deliveries: DeliveryBook
) -> tuple[list[dict[str, str]], tuple[str, ...]]:
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


def build_manifest(
    template: Template, at: datetime, context: Context | None, given_at: bool = True
) -> dict[str, Any]:
    """Return every binding of the template and its components with the versions it may use.

    With a context: per binding the one version resolution chooses there at `at`, past the
    variants whose rights stop them, and what it skipped. Without: every approved version,
    with its rights at `at` for each context its variant serves (the template's channels).
    """
    tree = graph.contents_of(template.pk)
    bindings = list(
        Binding.objects.filter(template_id__in=tree)
        .select_related("template", "asset", "pinned_version__variant__asset")
        .order_by("template__exstream_id", "slot")
    )
    catalogue = Catalogue(binding.asset_id for binding in bindings)
    campaigns = CampaignBook(bindings, at)
    versions = [*catalogue.approved.values()] + [
        b.pinned_version for b in bindings if b.pinned_version is not None
    ]
    chosen = {}
    if context is not None:  # a campaign's version is judged only where it is chosen
        chosen = {binding.pk: campaigns.item_for(binding, context) for binding in bindings}
        versions += [item.version for item in chosen.values() if item is not None]
    rights = RightsBook(versions)
    entries = []
    for binding in bindings:
        entry = {
            "template": binding.template.exstream_id,
            "slot": binding.slot,
            "asset": binding.asset.key,
            "pinned": binding.pinned_version_id is not None,
        }
        if context is None:
            entry["versions"] = _every_version(binding, catalogue, rights, at)
            if items := campaigns.in_window(binding):
                entry["campaigns"] = [_campaign_version(item) for item in items]
        elif item := chosen[binding.pk]:
            entry.update(_campaign_chosen(binding, item, rights, at, context))
        else:
            entry.update(_chosen_version(binding, catalogue, rights, at, context))
            if blocked := campaigns.blocking(binding, context):  # pre-flight refuses the run
                entry["blocked_campaigns"] = sorted(campaign.pk for campaign in blocked)
        entries.append(entry)
    manifest: dict[str, Any] = {"template": template.exstream_id}
    if given_at:  # a manifest for now stays the same, and its ETag too, until rights change
        manifest["at"] = at.isoformat()
    if context is not None:
        manifest["context"] = {k: v for k, v in vars(context).items() if k != "at"}
    return {**manifest, "bindings": entries}


def _binding_versions(binding: Binding, catalogue: Catalogue) -> list[Version]:
    pinned = binding.pinned_version
    if pinned is not None:
        return [pinned] if pinned.state == VersionState.APPROVED else []
    return catalogue.approved_versions(binding.asset_id)


def _every_version(
    binding: Binding, catalogue: Catalogue, rights: RightsBook, at: datetime
) -> list[dict[str, Any]]:
    channels = binding.template.channel_list or [""]
    listed = []
    for version in _binding_versions(binding, catalogue):
        variant = version.variant
        served = [c for c in channels if not variant.channels or c in variant.channel_list]
        contexts = {}
        for channel in served or variant.channel_list:
            context = Context(variant.region, variant.language, variant.segment, channel)
            use = Use(context, at, binding.placement, binding.print_width_mm)
            contexts[context.describe()] = rights.judge(version, use).as_dict()
        listed.append({**_manifest_version(version), "rights": contexts})
    return listed


def _chosen_version(
    binding: Binding, catalogue: Catalogue, rights: RightsBook, at: datetime, context: Context
) -> dict[str, Any]:
    use = Use(context, at, binding.placement, binding.print_width_mm)
    judge = rights_judge(rights, binding.asset, use)
    pinned = binding.pinned_version
    if pinned is not None and pinned.state != VersionState.APPROVED:
        return {"versions": [], "skipped": []}
    resolution = binding_resolution(binding, context, catalogue, judge)
    chosen_list = []
    if resolution.version is not None:
        chosen_list = [
            {**_manifest_version(resolution.version), "rights": resolution.verdict.as_dict()}
        ]
    return {
        "versions": chosen_list,
        "skipped": [skipped.as_dict() for skipped in resolution.skipped],
    }


def _campaign_version(item: CampaignItem) -> dict[str, Any]:
    return {
        "campaign": item.campaign_id,
        "name": item.campaign.name,
        "selectors": {name: value for name, value in item.selectors().items() if value},
        **_manifest_version(item.version),
    }


def _campaign_chosen(
    binding: Binding, item: CampaignItem, rights: RightsBook, at: datetime, context: Context
) -> dict[str, Any]:
    """The campaign's version for the slot, when it is still approved and in rights."""
    use = Use(context, at, binding.placement, binding.print_width_mm)
    resolution = campaign_resolution(binding, item, use, rights)
    chosen = resolution.version
    return {
        "campaign": item.campaign_id,
        "versions": [{**_manifest_version(chosen), "rights": resolution.verdict.as_dict()}]
        if chosen is not None
        else [],
        "skipped": [skipped.as_dict() for skipped in resolution.skipped],
    }


def _manifest_version(version: Version) -> dict[str, Any]:
    return {
        "asset": version.variant.asset.key,  # a campaign's version may be of another asset
        "version": version.pk,
        "number": version.number,
        "variant": dict(VariantOutput(version.variant).data),
        "media_type": version.media_type,
        "sha256": version.sha256,
        "content_url": f"/api/v1/versions/{version.pk}/content",
    }
