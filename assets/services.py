"""Every state change of assets and versions: one service, one transaction, one audit event."""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from assets import annotations, notices, signatures
from assets.consequences import of_decisions
from assets.criteria import rules as criteria
from assets.models import (
    REGULATED_KINDS,
    Annotation,
    ApprovalPeriod,
    Asset,
    CriteriaRuleSet,
    Decision,
    DecisionAction,
    Kind,
    LicensePurchase,
    Variant,
    Version,
    VersionLicence,
    VersionState,
)
from assets.rights.standing import standings
from assets.selectors import Selectors
from assets.storage import store_content
from assets.uploads import Content
from audit.services import audit_record
from govern.access import require, user_can
from govern.errors import Conflict
from govern.models import BusinessUnit
from govern.roles import Capability

ASSET_KEY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")


def _require(actor: User | None, capability: Capability, unit_id: int) -> None:
    """Check a person's role; None is the system acting on its own rules (a sync, an expiry)."""
    if actor is not None:
        require(actor, capability, unit_id)


def required_approvals(asset: Asset) -> int:
    """Return how many distinct compliance officers must approve a version of this asset."""
    if not asset.regulated:
        return 1
    return settings.APPROVALS_BY_KIND.get(asset.kind, settings.REGULATED_APPROVALS)


def _audit_version(action: str, version: Version, actor: User | None, **data: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        target=version,
        unit_id=version.variant.asset.business_unit_id,
        data={"asset": version.variant.asset.key, "number": version.number, **data},
    )


def asset_create(
    *,
    key: str,
    title: str,
    kind: str,
    unit: BusinessUnit,
    actor: User,
    regulated: bool | None = None,
) -> Asset:
    """Create an asset; regulated defaults to the kind's rule."""
    require(actor, Capability.EDIT_ASSETS, unit.pk)
    if not ASSET_KEY.match(key):
        raise ValidationError({"key": "Use lower-case letters and digits joined by . - or _."})
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Unknown kind '{kind}'; use {', '.join(Kind.values)}."})
    if not title.strip():
        raise ValidationError({"title": "A title is required."})
    regulated = kind in REGULATED_KINDS if regulated is None else regulated
    try:
        with transaction.atomic():
            asset = Asset.objects.create(
                key=key,
                title=title.strip(),
                kind=kind,
                business_unit=unit,
                regulated=regulated,
                created_by=actor,
            )
            audit_record(
                action="asset.created",
                actor=actor,
                target=asset,
                unit_id=unit.pk,
                data={"key": key, "kind": kind, "regulated": regulated},
            )
    except IntegrityError:
        raise Conflict(f"An asset with the key '{key}' already exists.", "duplicate_key") from None
    return asset


def version_create(
    *,
    asset: Asset,
    selectors: Selectors,
    content: Content,
    actor: User | None,
    external_id: str | None = None,
    purchase: LicensePurchase | None = None,
) -> Version:
    """Add a draft version to the variant the selectors name, creating the variant if new."""
    _require(actor, Capability.EDIT_ASSETS, asset.business_unit_id)
    is_text = content.extension == "txt"
    if is_text != asset.takes_text:
        wanted = "a text" if asset.takes_text else "an image file"
        raise ValidationError(f"A {asset.get_kind_display().lower()} version needs {wanted}.")
    with transaction.atomic():
        variant, _ = Variant.objects.get_or_create(asset=asset, **vars(selectors))
        variant = Variant.objects.select_for_update(no_key=True).get(pk=variant.pk)
        existing = (
            variant.versions.filter(sha256=content.sha256)
            .exclude(state=VersionState.DISCARDED)
            .first()
        )
        if existing is not None:
            raise Conflict(
                f"This content is already version {existing.number} of this variant "
                f"({existing.get_state_display().lower()}).",
                "duplicate_content",
            )
        latest = variant.versions.aggregate(latest=Max("number"))["latest"] or 0
        version = Version.objects.create(
            variant=variant,
            number=latest + 1,
            sha256=content.sha256,
            file="" if is_text else store_content(content),
            text=content.data.decode("utf-8") if is_text else "",
            media_type=content.media_type,
            size=len(content.data),
            metadata=content.metadata,
            created_by=actor,
            external_id=external_id,
            purchase=purchase,
        )
        _criteria_check(version)  # recorded for the review page; enforced from submission on
        version.save(update_fields=["criteria"])
        if purchase is not None:
            VersionLicence.objects.create(version=version, purchase=purchase)
        _audit_version("version.created", version, actor, sha256=content.sha256)
    return version


def _criteria_check(version: Version, step: str = "") -> CriteriaRuleSet:
    """Measure the version against its kind's criteria, store the results, refuse at a step."""
    rule_set = criteria.rule_set_for(version.variant.asset)
    facts = criteria.Facts(print_width_mm=of_decisions().print_width(version))
    results = criteria.evaluate(version, rule_set, facts)
    version.criteria = criteria.record(rule_set, results)
    if step:
        criteria.refuse_failures(results, step)
    return rule_set


def _checklist_check(rule_set: CriteriaRuleSet, ticked: list[str] | None) -> list[str]:
    ticked = [item for item in (ticked or []) if item in rule_set.checklist]
    missing = [item for item in rule_set.checklist if item not in ticked]
    if missing:
        raise ValidationError(
            {"checklist": f"Tick every item before approving: {'; '.join(missing)}."}
        )
    return ticked


def _lock(version: Version, *, expected: str) -> Version:
    """Lock the variant and the version, and check the version is still in the expected state."""
    Variant.objects.select_for_update(no_key=True).filter(pk=version.variant_id).first()
    locked = (
        Version.objects.select_for_update(no_key=True)
        .select_related("variant__asset")
        .get(pk=version.pk)
    )
    if locked.state != expected:
        raise Conflict(
            f"Version {locked.number} is {locked.get_state_display().lower()} now, "
            f"not {VersionState(expected).label.lower()}; reload to see who changed it.",
            "stale_state",
        )
    return locked


def _refuse_own(version: Version, actor: User | None) -> None:
    if actor is not None and actor.pk in {version.created_by_id, version.submitted_by_id}:
        raise PermissionDenied("You created or submitted this version; someone else must decide.")


def _need_comment(comment: str, action: str) -> str:
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": f"Say why: a {action} needs a comment."})
    return comment


def version_submit(*, version: Version, actor: User | None) -> Version:
    """Send a draft to compliance review."""
    _require(actor, Capability.EDIT_ASSETS, version.variant.asset.business_unit_id)
    with transaction.atomic():
        version = _lock(version, expected=VersionState.DRAFT)
        _criteria_check(version, "submitted")
        version.state = VersionState.IN_REVIEW
        version.submitted_by, version.submitted_at = actor, timezone.now()
        version.required_approvals = required_approvals(version.variant.asset)
        version.save(
            update_fields=[
                "state",
                "submitted_by",
                "submitted_at",
                "required_approvals",
                "criteria",
            ]
        )
        _audit_version("version.submitted", version, actor)
        notices.version_waiting(version)
    return version


def version_discard(*, version: Version, actor: User) -> Version:
    """Take a draft out of the variant for good, at its author's word: it stays on record as
    discarded (its number is not reused), and its content goes unless another version shares it.
    """
    _require(actor, Capability.EDIT_ASSETS, version.variant.asset.business_unit_id)
    if actor.pk != version.created_by_id:
        raise PermissionDenied("Only the person who uploaded a draft discards it.")
    with transaction.atomic():
        version = _lock(version, expected=VersionState.DRAFT)
        name, shared = version.file, _content_shared(version)
        version.state, version.text = VersionState.DISCARDED, ""
        version.file = name if shared else ""
        version.save(update_fields=["state", "text", "file"])
        _audit_version("version.discarded", version, actor, content_removed=not shared)
        if name and not shared:
            transaction.on_commit(lambda: _remove_unused(name))
    return version


def _remove_unused(name: str) -> None:
    """Delete a stored file no version in use holds (looked at again: an upload of the same
    bytes may have come in meanwhile)."""
    if not Version.objects.filter(file=name).exclude(state=VersionState.DISCARDED).exists():
        default_storage.delete(name)


def _content_shared(version: Version) -> bool:
    """Whether another version holds the same content (the file is stored once per hash)."""
    others = Version.objects.filter(sha256=version.sha256).exclude(pk=version.pk)
    return others.exclude(state=VersionState.DISCARDED).exists()


def version_approve(
    *,
    version: Version,
    actor: User,
    comment: str = "",
    checklist: list[str] | None = None,
    signature: signatures.Intent | None = None,
) -> Version:
    """Record an approval; with enough distinct approvers the version replaces the approved one
    and its consequences follow in the same transaction (assets/consequences.py).

    The criteria are measured again (a blocking failure refuses) and every checklist item of
    the kind's rule set must be ticked; the decision records both. A regulated version's
    approval is signed (assets/signatures.py).
    """
    require(actor, Capability.DECIDE_VERSIONS, version.variant.asset.business_unit_id)
    with transaction.atomic():
        version = _lock(version, expected=VersionState.IN_REVIEW)
        _refuse_own(version, actor)
        if version.decisions.filter(actor=actor, action=DecisionAction.APPROVE).exists():
            raise Conflict("You already approved this version; another officer must.", "repeat")
        rule_set = _criteria_check(version, "approved")
        ticked = _checklist_check(rule_set, checklist)
        _need_signature(version, actor, signature)
        version.save(update_fields=["criteria"])
        decision = Decision.objects.create(
            version=version,
            actor=actor,
            action=DecisionAction.APPROVE,
            comment=comment.strip(),
            criteria=criteria.label(rule_set),
            checklist=ticked,
        )
        signed = _sign(decision, signature)
        approvals = version.decisions.filter(action=DecisionAction.APPROVE).count()
        if approvals < version.required_approvals:
            _audit_version(
                "version.approval_recorded",
                version,
                actor,
                approvals=approvals,
                required=version.required_approvals,
                comment=comment,
                **signed,
            )
            return version
        superseded = _supersede_approved(version)
        version.state, version.decided_at = VersionState.APPROVED, timezone.now()
        version.save(update_fields=["state", "decided_at"])
        ApprovalPeriod.objects.create(version=version, started_at=version.decided_at)
        # Renditions queued, templates flagged where a context now resolves differently.
        counts = of_decisions().approved(
            version=version,
            superseded=superseded,
            was_in_use=_asset_had_approved(version),
            actor=actor,
        )
        _audit_version(
            "version.approved",
            version,
            actor,
            approvals=approvals,
            superseded=superseded.number if superseded else None,
            templates_flagged=counts["templates_flagged"],
            deliveries=counts["deliveries"],
            comment=comment,
            **signed,
        )
        notices.version_decided(version, actor, "approved", comment)
    return version


def _asset_had_approved(version: Version) -> bool:
    """Say whether another variant of the asset has an approved version (a fallback in use)."""
    return (
        Version.objects.filter(
            variant__asset_id=version.variant.asset_id, state=VersionState.APPROVED
        )
        .exclude(pk=version.pk)
        .exists()
    )


def _supersede_approved(version: Version) -> Version | None:
    """Mark the variant's approved version superseded and return it."""
    current = (
        Version.objects.select_for_update(no_key=True)
        .filter(variant_id=version.variant_id, state=VersionState.APPROVED)
        .first()
    )
    if current is None:
        return None
    current.state = VersionState.SUPERSEDED
    current.save(update_fields=["state"])
    _end_approval(current, VersionState.SUPERSEDED)
    return current


def _end_approval(version: Version, state: VersionState) -> None:
    ApprovalPeriod.objects.filter(version=version, ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_as=state
    )


def version_reject(
    *,
    version: Version,
    actor: User | None,
    comment: str,
    signature: signatures.Intent | None = None,
) -> Version:
    """Refuse a version in review, saying why (actor None: the system, e.g. a cancelled
    licence); a person's rejection of a regulated version is signed."""
    _require(actor, Capability.DECIDE_VERSIONS, version.variant.asset.business_unit_id)
    comment = _need_comment(comment, "rejection")
    with transaction.atomic():
        version = _lock(version, expected=VersionState.IN_REVIEW)
        _refuse_own(version, actor)
        _need_signature(version, actor, signature)
        return _decide(
            version, actor, DecisionAction.REJECT, VersionState.REJECTED, comment, signature
        )


# At most this many versions in one decision taken together.
TOGETHER_LIMIT = 100


def versions_decide_together(
    *, versions: list[Version], action: str, comment: str, actor: User
) -> list[Version]:
    """Approve or reject several non-regulated versions with one comment.

    Each decision is its own: four-eyes, checked and audited one by one, as if made on its
    page. They stand or fall together: any refusal (a regulated version, your own, one decided
    meanwhile) refuses them all, naming the version and why, and records nothing.
    """
    deciders: dict[str, Callable[..., Version]] = {
        "approve": version_approve,
        "reject": version_reject,
    }
    decide = deciders.get(action)
    if decide is None:
        raise ValidationError({"action": "Say approve or reject."})
    if not versions or len(versions) > TOGETHER_LIMIT:
        raise ValidationError({"versions": f"Tick from 1 to {TOGETHER_LIMIT} versions."})
    regulated = [str(version) for version in versions if version.variant.asset.regulated]
    if regulated:
        raise ValidationError(
            {"versions": f"Regulated versions are decided one by one: {', '.join(regulated)}."}
        )
    _licences_judged(versions)
    decided = []
    with transaction.atomic():
        for version in versions:
            try:
                decided.append(decide(version=version, actor=actor, comment=comment))
            except ValidationError as error:
                raise ValidationError(f"{version}: {' '.join(error.messages)}") from error
            except Conflict as conflict:
                raise Conflict(f"{version}: {conflict.detail}", conflict.code) from conflict
            except PermissionDenied as refusal:
                raise PermissionDenied(f"{version}: {refusal}") from refusal
    return decided


def _licences_judged(versions: list[Version]) -> None:
    """Refuse licensed versions whose licence is unknown or restrictive: one click must not
    approve what nobody has weighed against its terms."""
    found = standings(versions)
    held = [f"{v} ({found[v.pk].reason})" for v in versions if not found[v.pk].one_click]
    if held:
        raise ValidationError(
            {
                "versions": "Licensed versions whose terms are unknown or restrictive are "
                f"decided one by one, beside their licence: {'; '.join(held)}."
            }
        )


def version_withdraw(*, version: Version, actor: User | None, comment: str) -> Version:
    """Recall an approved version (a compliance recall, or the system when a licence ends)."""
    _require(actor, Capability.DECIDE_VERSIONS, version.variant.asset.business_unit_id)
    comment = _need_comment(comment, "withdrawal")
    with transaction.atomic():
        version = _lock(version, expected=VersionState.APPROVED)
        return _decide(version, actor, DecisionAction.WITHDRAW, VersionState.WITHDRAWN, comment)


def version_retire(*, version: Version, actor: User, comment: str = "") -> Version:
    """Take an approved version out of use at the end of its life."""
    unit_id = version.variant.asset.business_unit_id
    if not user_can(actor, Capability.EDIT_ASSETS, unit_id):
        require(actor, Capability.DECIDE_VERSIONS, unit_id)
    with transaction.atomic():
        version = _lock(version, expected=VersionState.APPROVED)
        return _decide(version, actor, DecisionAction.RETIRE, VersionState.RETIRED, comment.strip())


def version_expire(*, version: Version, reason: str) -> Version:
    """Take an approved version out of use because its licence ended (the system decides)."""
    with transaction.atomic():
        version = _lock(version, expected=VersionState.APPROVED)
        return _decide(version, None, DecisionAction.EXPIRE, VersionState.EXPIRED, reason)


def _need_signature(
    version: Version, actor: User | None, signature: signatures.Intent | None
) -> None:
    """A person's decision on a regulated version is signed, by that person."""
    if actor is None or not version.variant.asset.regulated:
        return
    if signature is None:
        raise ValidationError(
            {"password": "A regulated decision is signed: enter your password and its meaning."}
        )
    if signature.signer.pk != actor.pk:
        raise PermissionDenied("Only the person deciding signs their decision.")


def _sign(decision: Decision, signature: signatures.Intent | None) -> dict[str, Any]:
    """Record the signature of a decision that needs one; what the audit event says of it."""
    if signature is None or not decision.version.variant.asset.regulated:
        return {}
    signed = signatures.record(signature, decision, decision.comment)
    return {"signature": signatures.described(signed)}


def _decide(
    version: Version,
    actor: User | None,
    action: DecisionAction,
    state: VersionState,
    comment: str,
    signature: signatures.Intent | None = None,
) -> Version:
    decision = Decision.objects.create(version=version, actor=actor, action=action, comment=comment)
    signed = _sign(decision, signature)
    version.state, version.decided_at = state, timezone.now()
    version.save(update_fields=["state", "decided_at"])
    if state in {VersionState.WITHDRAWN, VersionState.RETIRED, VersionState.EXPIRED}:
        _end_approval(version, state)
    # Templates flagged for a version taken out of use; Smint.io told what a person decided.
    flagged = of_decisions().decided(version=version, state=state, actor=actor, comment=comment)
    _audit_version(
        f"version.{state.value}",
        version,
        actor,
        comment=comment,
        templates_flagged=flagged,
        **signed,
    )
    notices.version_decided(version, actor, state.label.lower(), comment)
    return version


def annotation_add(
    *,
    version: Version,
    author: User,
    body: str,
    pin: annotations.Pin | None = None,
    parent: Annotation | None = None,
) -> Annotation:
    """Pin a comment to the version (or answer one in its thread)."""
    annotations.may_annotate(author, version)
    body = body.strip()
    if not body or len(body) > annotations.MAX_BODY:
        raise ValidationError(
            {"body": f"Write the comment (1 to {annotations.MAX_BODY} characters)."}
        )
    if parent is not None and parent.version.variant_id != version.variant_id:
        raise ValidationError({"parent": "Answer a comment of this variant's versions."})
    where = {} if parent is not None else annotations.checked_pin(version, pin or annotations.Pin())
    with transaction.atomic():
        annotation = Annotation.objects.create(
            version=version, author=author, body=body, parent=parent, **where
        )
        _audit_annotation("annotation.added", annotation, author)
    return annotation


def annotation_resolve(*, annotation: Annotation, actor: User) -> Annotation:
    """Mark a thread resolved (once: a second time is a conflict)."""
    annotations.may_annotate(actor, annotation.version)
    if annotation.parent_id is not None:
        raise ValidationError({"annotation": "Resolve the thread, from its first comment."})
    with transaction.atomic():
        updated = Annotation.objects.filter(pk=annotation.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=actor
        )
        if not updated:
            raise Conflict("This comment was resolved already; reload.", "stale_state")
        annotation.refresh_from_db()
        _audit_annotation("annotation.resolved", annotation, actor)
    return annotation


def _audit_annotation(action: str, annotation: Annotation, actor: User) -> None:
    version = annotation.version
    audit_record(
        action=action,
        actor=actor,
        target=version,
        unit_id=version.variant.asset.business_unit_id,
        data={
            "asset": version.variant.asset.key,
            "number": version.number,
            "annotation": annotation.pk,
            "body": annotation.body[:200],
        },
    )
