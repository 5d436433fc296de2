"""Pages of the asset room: the review queue and page, the library, assets and uploads."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import get_language_from_request
from django.views.decorators.http import require_POST

from assets import annotations, previews, queue, queue_table, services, signatures
from assets.api import VERSION_UNIT, content_response, refuse_discarded
from assets.consequences import of_decisions
from assets.criteria import rules as criteria
from assets.forms import AssetForm, LibraryFilterForm, VersionForm
from assets.models import (
    Asset,
    DecisionAction,
    SignatureMeaning,
    Version,
    VersionState,
)
from assets.rights.card import licence_card
from assets.selectors import clean_selectors
from assets.uploads import read_text, read_upload
from audit.models import AuditEvent
from govern.access import acting_user, get_scoped_or_404, scope_for, scoped
from govern.errors import Conflict, RequestRejected, reason
from govern.identity import second_factor, signing
from govern.models import BusinessUnit
from govern.pagination import page_of
from govern.roles import Capability

QUEUE_PAGE_SIZE = 25
# The queue is counted up to this many versions ("1,000+"): counting 10,000 costs more than
# showing a page of them.
QUEUE_COUNT_CAP = 1000
LIBRARY_PAGE_SIZE = 25
DECISIONS: dict[str, Callable[..., Version]] = {
    "submit": services.version_submit,
    "approve": services.version_approve,
    "reject": services.version_reject,
    "withdraw": services.version_withdraw,
    "retire": services.version_retire,
    "discard": services.version_discard,
}


def _units(request: HttpRequest, capability: Capability) -> QuerySet[BusinessUnit]:
    return BusinessUnit.objects.filter(pk__in=scope_for(request).unit_ids_for(capability))


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Show the versions awaiting the compliance officer's decision in their units."""
    if not scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS):
        raise PermissionDenied("Only compliance officers have a review queue.")
    form, versions = queue.filtered(request, request.GET)
    page = page_of(
        request, queue.values(versions), QUEUE_PAGE_SIZE, cap=QUEUE_COUNT_CAP, counted=versions
    )
    carried = queue.query(form)
    page.object_list = queue.rows(page.object_list, form.unit_names, carried)
    filtered = form.is_bound and any(form.data.get(name) for name in ("q", "unit", "kind", "age"))
    context = {
        **{"form": form, "page": page, "filtered": filtered, "carried": carried},
        "rows_html": queue_table.rows_html(page.object_list),
        "together_limit": services.TOGETHER_LIMIT,
    }
    return render(request, "assets/review_queue.html", context)


@login_required
@require_POST
def queue_decide(request: HttpRequest) -> HttpResponse:
    """Approve or reject the ticked versions of the queue with one comment, all or none."""
    if not scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS):
        raise PermissionDenied("Only compliance officers decide versions.")
    carried = queue.parameters(request.POST.get("queue", ""))
    back = _carrying(reverse("assets:review-queue"), carried)
    action = request.POST.get("action", "")
    try:
        chosen, left_out = _chosen_together(request, carried)
        decided = services.versions_decide_together(
            versions=chosen,
            action=action,
            comment=request.POST.get("comment", ""),
            actor=acting_user(request),
        )
    except RequestRejected as refusal:
        return HttpResponse(str(refusal), status=400)
    except (ValidationError, Conflict, PermissionDenied) as error:
        messages.error(request, f"Nothing was decided. {reason(error)}")
        return HttpResponseRedirect(back)
    done = "approved" if action == "approve" else "rejected"
    names = ", ".join(str(version) for version in decided)
    messages.success(request, f"{done.capitalize()} {len(decided)}: {names}.{left_out}")
    return HttpResponseRedirect(back)


def _chosen_together(request: HttpRequest, carried: QueryDict) -> tuple[list[Version], str]:
    """The ticked versions, or with all=filter those of the filtered queue that may be decided
    together, and a sentence naming what that left out."""
    if request.POST.get("all") == "filter":
        found = queue.together(request, carried, services.TOGETHER_LIMIT)
        return found.versions, _left_out(found)
    raw = request.POST.getlist("versions")
    if len(raw) > services.TOGETHER_LIMIT:
        raise RequestRejected(
            f"{len(raw)} versions ticked: at most {services.TOGETHER_LIMIT} are decided together."
        )
    keys = _keys(raw)
    if keys is None:
        raise RequestRejected("Tick versions of the queue.")
    return queue.chosen(request, keys), ""


def _left_out(found: queue.Together) -> str:
    parts = []
    if found.regulated:
        parts.append(f"{found.regulated} regulated")
    if found.held:
        parts.append(f"{found.held} whose licence is unknown or restrictive")
    if not parts:
        return ""
    return f" Left out, to decide one by one on their pages: {' and '.join(parts)}."


def _keys(raw: list[str]) -> list[int] | None:
    """Version keys from a form, None when one is not a number; a number too long for the
    database stands for no version (0), so the choice is a 404."""
    if not all(k.isascii() and k.isdigit() for k in raw):
        return None
    return [int(key) if len(key) < 19 else 0 for key in raw]


def _version(request: HttpRequest, pk: int) -> Version:
    return get_scoped_or_404(
        request, Version.objects.with_context(), unit_field=VERSION_UNIT, pk=pk
    )


def _approved_sibling(version: Version) -> Version | None:
    return (
        Version.objects.filter(variant_id=version.variant_id, state=VersionState.APPROVED)
        .exclude(pk=version.pk)
        .select_related("created_by", "submitted_by")
        .first()
    )


def _comparison(version: Version, approved: Version | None) -> dict[str, Any]:
    if approved is None:
        return {}
    if version.is_text:
        return {"word_diff": previews.word_diff(approved.text, version.text)}
    if version.is_svg or approved.is_svg:
        return {}
    diff = previews.pixel_diff(version, approved)
    return {"changed_percent": round(diff.changed_share * 100, 1), "focus": _centre(diff)}


def _centre(diff: previews.PixelDiff) -> str:
    """Where zooming centres: the middle of the changed region, as fractions "x y"."""
    if diff.changed_box is None:
        return ""
    x, y, width, height = diff.changed_box
    return f"{x + width / 2:.4f} {y + height / 2:.4f}"


def metadata_rows(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the metadata a reviewer reads, labelled in words."""
    rows = []
    if metadata.get("width") and metadata.get("height"):
        rows.append(("Dimensions", f"{metadata['width']:g} × {metadata['height']:g} px"))
    if dpi := metadata.get("dpi"):
        rows.append(("Resolution", f"{dpi[0]:g} × {dpi[1]:g} dpi"))
    if mode := metadata.get("mode"):
        rows.append(("Colour mode", mode))
    if "icc_profile" in metadata:
        rows.append(("ICC profile", "embedded" if metadata["icc_profile"] else "none"))
    if metadata.get("view_box"):
        rows.append(("View box", metadata["view_box"]))
    if "words" in metadata:
        rows.append(("Length", f"{metadata['words']} words, {metadata['characters']} characters"))
    if metadata.get("file_name"):
        rows.append(("File name", metadata["file_name"]))
    if metadata.get("smintio_binary"):
        kind = metadata.get("binary_type") or "type not stated"
        culture = metadata.get("culture") or "not stated"
        rows.append(
            ("Smint.io binary", f"{metadata['smintio_binary']} ({kind}, culture {culture})")
        )
    if metadata.get("binary_usage"):
        rows.append(("Binary usage", metadata["binary_usage"]))
    return rows


def metadata_compared(
    version: Version, approved: Version | None
) -> list[tuple[str, str, str | None, bool]]:
    """(label, this version's value, the approved one's, whether they differ) per row."""
    mine = dict(metadata_rows(version.metadata))
    mine["Type"] = f"{version.media_type}, {filesizeformat(version.size)}"
    theirs: dict[str, str] = {}
    if approved is not None:
        theirs = dict(metadata_rows(approved.metadata))
        theirs["Type"] = f"{approved.media_type}, {filesizeformat(approved.size)}"
    labels = ["Type", *(label for label in mine if label != "Type")]
    labels += [label for label in theirs if label not in mine]
    return [
        (
            label,
            mine.get(label, "—"),
            theirs.get(label, "—") if approved else None,
            bool(approved) and mine.get(label) != theirs.get(label),
        )
        for label in labels
    ]


@login_required
def version_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a version beside the approved one, with its difference, metadata and history."""
    version = _version(request, pk)
    approved = _approved_sibling(version)
    scope = scope_for(request)
    unit_id = version.variant.asset.business_unit_id
    history = AuditEvent.objects.filter(
        target_type="assets.version", target_id=str(version.pk)
    ).order_by("sequence")
    decisions = list(version.decisions.select_related("actor", "signature"))
    can_decide = scope.can(Capability.DECIDE_VERSIONS, unit_id)
    is_own = request.user.pk in {version.created_by_id, version.submitted_by_id}
    approved_by_me = any(
        d.actor_id == request.user.pk and d.action == DecisionAction.APPROVE for d in decisions
    )
    context = {
        **_queue_context(request, version),
        "version": version,
        "approved": approved,
        "history": history,
        "decisions": decisions,
        "approved_by_me": approved_by_me,
        # The decision bar: an officer of the unit, not its author, who has not yet approved.
        "deciding": version.state == VersionState.IN_REVIEW
        and can_decide
        and not is_own
        and not approved_by_me,
        "approvals_missing": _approvals_missing(version),
        "signs_at_provider": signing.signs_through_provider(request),
        "signs_with_code": second_factor.has_second_factor(request.user)  # type: ignore[arg-type]
        and not signing.signs_through_provider(request),
        "enlarged": _enlarged(version),
        **_threads_context(version, scope),
        "approved_enlarged": _enlarged(approved) if approved else 1,
        "signed": [
            (decision.signature, signatures.verifies(decision.signature, version))
            for decision in decisions
            if hasattr(decision, "signature")
        ],
        "can_decide": can_decide,
        "can_edit": scope.can(Capability.EDIT_ASSETS, unit_id),
        "is_own": is_own,
        "metadata_rows": metadata_compared(version, approved),
        "impact": of_decisions().impact(version.variant.asset_id),
        "asset_in_use": Version.objects.filter(
            variant__asset_id=version.variant.asset_id, state=VersionState.APPROVED
        )
        .exclude(pk=version.pk)
        .exists(),
        "licence": licence_card(version, get_language_from_request(request)),
        **_criteria_context(version),
        **({} if version.state == VersionState.DISCARDED else _comparison(version, approved)),
    }
    response = render(request, "assets/version_review.html", context)
    if context["signs_at_provider"]:  # its decision bar and licence readings sign there
        return signing.let_forms_reach_provider(response)
    return response


def _queue_context(request: HttpRequest, version: Version) -> dict[str, Any]:
    """Where the version stands in the officer's queue as filtered on the queue page."""
    if not scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS):
        return {"queue_position": None, "carried": ""}
    form, versions = queue.filtered(request, request.GET)
    return {
        "queue_position": queue.position(versions, version.pk, QUEUE_COUNT_CAP),
        "carried": queue.query(form),
    }


def _criteria_context(version: Version) -> dict[str, Any]:
    """Today's criteria measured on the version, and the checklist an approver ticks."""
    rule_set = criteria.rule_set_for(version.variant.asset)
    facts = criteria.Facts(print_width_mm=of_decisions().print_width(version))
    measured = version.state != VersionState.DISCARDED
    return {
        "criteria_results": criteria.evaluate(version, rule_set, facts) if measured else [],
        "criteria_label": criteria.label(rule_set),
        "checklist": rule_set.checklist,
    }


@login_required
def version_preview(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Return a thumbnail (or the sanitised SVG, sandboxed) for the review pages; `?size=row`
    a small one for the queue's rows."""
    version = _version(request, pk)
    refuse_discarded(version)
    if version.is_text or version.is_svg:
        return content_response(version)
    row = request.GET.get("size") == "row"
    side = previews.ROW_THUMBNAIL_SIDE if row else previews.THUMBNAIL_SIDE
    response = HttpResponse(previews.thumbnail(version, side), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def version_diff(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    """Return the pixel difference between two raster versions of one variant."""
    version, other = _version(request, pk), _version(request, other_pk)
    refuse_discarded(version)
    refuse_discarded(other)
    if version.variant_id != other.variant_id or version.is_text or version.is_svg or other.is_svg:
        return HttpResponse("These versions cannot be compared pixel by pixel.", status=400)
    response = HttpResponse(previews.pixel_diff(version, other).png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def version_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply one workflow action from the review page, then move on to the next version."""
    version = _version(request, pk)
    action = request.POST.get("action", "")
    meaning = request.POST.get("meaning", "")
    if action == "sign":  # a regulated decision: the meaning chosen says which
        action = {"approved": "approve", "rejected": "reject"}.get(meaning, "")
    carried = queue.parameters(request.POST.get("queue", ""))
    service = DECISIONS.get(action)
    if service is None:
        return HttpResponse("Unknown action.", status=400)
    comment = request.POST.get("comment", "")
    arguments: dict[str, Any] = {} if action in {"submit", "discard"} else {"comment": comment}
    if action == "approve":
        arguments["checklist"] = request.POST.getlist("checklist")
    moves_on = action in {"approve", "reject"}
    place = queue.keys(queue.filtered(request, carried)[1], QUEUE_COUNT_CAP) if moves_on else []
    try:
        if moves_on and version.variant.asset.regulated:
            arguments["signature"] = _signed_intent(request, meaning)
        service(version=version, actor=acting_user(request), **arguments)
    except signing.FreshLoginNeeded:
        what = f"{SignatureMeaning(meaning).label.split(':')[0]} {version}"
        return redirect(signing.begin(request, request.path, dict(request.POST.lists()), what))
    except (ValidationError, Conflict, SignatureRefused) as error:
        messages.error(request, reason(error))
        return HttpResponseRedirect(_carrying(version.get_absolute_url(), carried))
    version = _version(request, pk)
    if action == "discard":
        messages.success(request, f"{version} discarded.")
        return redirect(version.variant.asset.get_absolute_url())
    messages.success(request, _decided_message(version, action))
    if not moves_on:
        return redirect(version.get_absolute_url())
    return _next_in_queue(request, carried, place.index(pk) if pk in place else 0)


class SignatureRefused(Exception):
    """The password given at signing was wrong (or the signer is locked out)."""


def _signed_intent(request: HttpRequest, meaning: str) -> signatures.Intent:
    """Prove the signer (signatures.intent_from): FreshLoginNeeded under single sign-on until
    they logged in again, SignatureRefused when the proof fails."""
    try:
        return signatures.intent_from(request, meaning)
    except PermissionDenied as refusal:
        raise SignatureRefused(str(refusal)) from refusal


def _threads_context(version: Version, scope: Any) -> dict[str, Any]:
    """The comment threads shown on the version, and the open regions drawn on its preview."""
    threads = list(annotations.threads_for(version))
    unit_id = version.variant.asset.business_unit_id
    return {
        "threads": threads,
        "pinned_regions": [
            (number, thread)
            for number, thread in enumerate(threads, 1)
            if thread.is_region and not thread.resolved_at
        ],
        "may_comment": any(scope.can(c, unit_id) for c in annotations.ANNOTATORS),
    }


def _enlarged(version: Version) -> int:
    """How many times the preview enlarges a tiny raster image (1: shown as it is)."""
    width, height = version.metadata.get("width"), version.metadata.get("height")
    if (
        version.is_text
        or version.is_svg
        or not isinstance(width, int)
        or not isinstance(height, int)
    ):
        return 1
    return previews.enlargement(width, height)


def _approvals_missing(version: Version) -> int:
    """How many more approvals a version loaded with_context() needs."""
    counted: int = getattr(version, "approval_count", 0)
    return max(0, version.required_approvals - counted)


def _decided_message(version: Version, action: str) -> str:
    missing = _approvals_missing(version)
    if action == "approve" and version.state == VersionState.IN_REVIEW and missing > 0:
        officers = "officer" if missing == 1 else "officers"
        return f"You approved {version}; waiting for {missing} more {officers}."
    return f"{version}: {version.get_state_display().lower()}."


def _next_in_queue(request: HttpRequest, carried: QueryDict, index: int) -> HttpResponse:
    """Go on to the version that followed the decided one in the filtered queue, or back to
    the queue when it is empty; the filters go along."""
    remaining = queue.keys(queue.filtered(request, carried)[1], QUEUE_COUNT_CAP)
    if not remaining:
        return HttpResponseRedirect(_carrying(reverse("assets:review-queue"), carried))
    following = remaining[min(index, len(remaining) - 1)]
    url = reverse("assets:version-review", args=[following])
    return HttpResponseRedirect(_carrying(url, carried))


def _carrying(url: str, carried: QueryDict) -> str:
    return f"{url}?{carried.urlencode()}" if carried else url


@login_required
def library(request: HttpRequest) -> HttpResponse:
    """Show the assets of the user's units with search and filters."""
    units = _units(request, Capability.VIEW)
    form = LibraryFilterForm(request.GET or None, units=units)
    assets = scoped(request, Asset.objects.select_related("business_unit"))
    if form.is_bound:
        assets = form.apply(assets) if form.is_valid() else assets.none()
    page = page_of(request, assets.order_by("key"), LIBRARY_PAGE_SIZE)
    page.object_list = _with_latest(list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "filtered": form.is_bound and any(form.data.get(name) for name in form.fields),
        "can_create": bool(scope_for(request).unit_ids_for(Capability.EDIT_ASSETS)),
    }
    return render(request, "assets/library.html", context)


def _with_latest(assets: list[Asset]) -> list[Asset]:
    """Give each asset its latest version (not a discarded one) and the number of the version
    approved now, for the library's cards (two queries for the page)."""
    latest = {
        version.variant.asset_id: version
        for version in Version.objects.filter(
            pk__in=Version.objects.filter(variant__asset_id__in=[a.pk for a in assets])
            .exclude(state=VersionState.DISCARDED)
            .values("variant__asset_id")
            .annotate(latest=Max("pk"))
            .values("latest")
        ).select_related("variant")
    }
    approved = dict(
        Version.objects.filter(
            variant__asset_id__in=[a.pk for a in assets], state=VersionState.APPROVED
        )
        .order_by("variant__asset_id", "pk")  # the newest last, so it stays
        .values_list("variant__asset_id", "number")
    )
    for asset in assets:
        asset.latest = latest.get(asset.pk)  # type: ignore[attr-defined]
        asset.approved_number = approved.get(asset.pk)  # type: ignore[attr-defined]
    return assets


@login_required
def asset_create(request: HttpRequest) -> HttpResponse:
    """Create an asset in one of the brand manager's units."""
    units = _units(request, Capability.EDIT_ASSETS)
    if not units:
        raise PermissionDenied("Only brand managers create assets.")
    form = AssetForm(request.POST if request.method == "POST" else None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.asset_create(
                key=form.cleaned_data["key"],
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                unit=form.cleaned_data["business_unit"],
                actor=acting_user(request),
                regulated=form.regulated_value(),
            )
        except (ValidationError, Conflict) as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Created {asset.key}. Upload its first version.")
            return redirect(asset.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, "assets/asset_form.html", {"form": form}, status=status)


def _add_errors(form: Any, error: ValidationError | Conflict | RequestRejected) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    else:
        form.add_error(None, error.detail)


@login_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an asset's variants and versions, and take a new version from a brand manager."""
    asset = get_scoped_or_404(request, Asset.objects.select_related("business_unit"), pk=pk)
    can_edit = scope_for(request).can(Capability.EDIT_ASSETS, asset.business_unit_id)
    posted = request.method == "POST"
    form = VersionForm(
        request.POST if posted else None, request.FILES if posted else None, asset=asset
    )
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only brand managers upload versions.")
        created = _create_version(request, asset, form)
        if created is not None:
            _uploaded_message(request, created)
            return HttpResponseRedirect(reverse("assets:asset-detail", args=[asset.pk]))
        status = 409 if getattr(form, "conflict", False) else 400
    variants = asset.variants.prefetch_related("versions")
    context = {"asset": asset, "variants": variants, "form": form, "can_edit": can_edit}
    return render(request, "assets/asset_detail.html", context, status=status)


def _uploaded_message(request: HttpRequest, version: Version) -> None:
    """Say the upload worked and, before anyone submits, which blocking criteria it fails."""
    failing = [
        f"{r['rule']}: {r['detail']}"
        for r in version.criteria.get("results", [])
        if r["blocking"] and not r["passed"]
    ]
    if failing:
        messages.warning(
            request,
            f"Uploaded {version}, but it cannot be submitted as it is: {'; '.join(failing)}.",
        )
    else:
        messages.success(request, f"Uploaded {version}. Submit it when it is ready.")


def _create_version(request: HttpRequest, asset: Asset, form: VersionForm) -> Version | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        selectors = clean_selectors(
            language=data["language"],
            region=data["region"],
            segment=data["segment"],
            channels=data["channels"],
        )
        if asset.takes_text:
            content = read_text(data.get("text") or "")
        elif data.get("file"):
            content = read_upload(data["file"])
        else:
            raise RequestRejected("Choose a file to upload.")
        return services.version_create(
            asset=asset, selectors=selectors, content=content, actor=acting_user(request)
        )
    except (ValidationError, Conflict, RequestRejected) as error:
        form.conflict = isinstance(error, Conflict)  # type: ignore[attr-defined]
        _add_errors(form, error)
        return None
