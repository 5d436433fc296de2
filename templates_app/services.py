"""Every state change of templates, reviews, replacement requests and clearances."""

from datetime import date
from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.models import Asset, Placement, Version, VersionState
from assets.selectors import clean_selectors
from assets.services import version_create, version_submit
from assets.uploads import Content
from audit.services import audit_record
from govern.access import require, user_can
from govern.errors import Conflict
from govern.models import BusinessUnit
from govern.roles import Capability
from templates_app import graph, notices
from templates_app.models import (
    UNSETTLED_REVIEW_STATES,
    Binding,
    Composition,
    ReplacementRequest,
    ReplacementState,
    Review,
    ReviewState,
    Template,
    TemplateKind,
    TemplateState,
    TemplateUserObjectPermission,
    cause_key,
)
from templates_app.webhooks import events


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
            Template.objects.select_for_update(no_key=True)
            .filter(pk__in=[parent.pk, child.pk])
            .order_by("pk")
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
    if flagged:
        notices.templates_flagged(asset, cause, action, new_version or old_version)
        events.templates_flagged(asset, action, new_version or old_version, cause, flagged)
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
            Review.objects.select_for_update(no_key=True)
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
        review = (
            Review.objects.select_for_update(no_key=True)
            .select_related("template")
            .get(pk=review.pk)
        )
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
        events.replacement_requested(review, changed, reason.strip(), actor)
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
        ReplacementRequest.objects.select_for_update(no_key=True)
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


def replacement_answer_with_content(
    *, request: ReplacementRequest, content: Content, actor: User
) -> ReplacementRequest:
    """Answer a request with new content, all or nothing: a version in the variant the review
    was about, created, submitted for approval and linked to the request."""
    changed = request.review.new_version or request.review.old_version
    variant = changed.variant if changed is not None else None
    selectors = clean_selectors(
        language=variant.language if variant else "",
        region=variant.region if variant else "",
        segment=variant.segment if variant else "",
        channels=variant.channels if variant else "",
    )
    with transaction.atomic():
        version = version_create(
            asset=request.asset, selectors=selectors, content=content, actor=actor
        )
        version = version_submit(version=version, actor=actor)
        return replacement_fulfil(request=request, version=version, actor=actor)


def replacements_follow(version: Version, approved: bool) -> int:
    """Move the requests a version answered: fulfilled when it is approved, open again (to be
    answered anew) when it is refused or taken back; audited; return how many moved."""
    answered = list(
        ReplacementRequest.objects.select_for_update(no_key=True)
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
