"""Pages of the templates room: readiness board, inbox, replacement requests, deliveries."""

from collections import Counter
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from assets.models import Asset, Channel, Version, VersionState
from assets.resolution import Context
from assets.selectors import clean_selectors
from assets.uploads import read_text, read_upload
from govern.access import acting_user, get_scoped_or_404, scope_for, scoped
from govern.errors import Conflict, RequestRejected, reason
from govern.models import BusinessUnit, SetupProblem
from govern.pagination import page_of
from govern.roles import Capability
from govern.widgets import Select
from govern.zones import WallClockField, wall_time, zone_named
from templates_app import expiry, graph, inbox_page, services
from templates_app.driver_samples import driver_sample_store
from templates_app.exstream.crosscheck import cross_check
from templates_app.models import (
    REVIEW_VERSIONS,
    UNSETTLED_REVIEW_STATES,
    Campaign,
    CampaignState,
    Delivery,
    DeliveryState,
    ReplacementRequest,
    ReplacementState,
    Review,
    Template,
    TemplateState,
)
from templates_app.outbox import services as outbox
from templates_app.preflight import preflight_run

BOARD_PAGE_SIZE = 50
# The inbox shows its reviews a page at a time (one approval can open thousands), and counts
# them only up to a cap, as the review queue does.
INBOX_PAGE_SIZE = 25
INBOX_COUNT_CAP = 1000


def _unsettled_reviews() -> Prefetch:
    reviews = Review.objects.filter(state__in=UNSETTLED_REVIEW_STATES).select_related(
        "asset", *REVIEW_VERSIONS, "actor"
    )
    return Prefetch("reviews", queryset=reviews, to_attr="unsettled")


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """List templates by state, those needing review first, with their open reviews; the
    count of each state is the count within the asset filter, so a state's tab says what it
    shows."""
    templates = scoped(request, Template.objects.select_related("business_unit"))
    if asset_key := request.GET.get("asset", ""):
        templates = templates.filter(pk__in=_users_of_key(request, asset_key))
    counts = dict(templates.order_by().values_list("state").annotate(n=Count("pk")))
    state = request.GET.get("state", "")
    if state in TemplateState.values:
        templates = templates.filter(state=state)
    ordered = templates.order_by("-state", "name").prefetch_related(_unsettled_reviews())
    page = page_of(request, ordered, BOARD_PAGE_SIZE)
    ending = expiry.soonest_by_template({template.pk for template in page.object_list})
    for template in page.object_list:
        template.licence_ending = ending.get(template.pk, (None, ""))[1]
    context = {
        "page": page,
        "state": state,
        "asset_key": asset_key,
        "counts": counts,
        "filtered": bool(state or asset_key),
        "states": TemplateState.choices,
    }
    return render(request, "templates_app/board.html", context)


def _users_of_key(request: HttpRequest, key: str) -> set[int]:
    asset = scoped(request, Asset.objects.all()).filter(key=key).first()
    return graph.users_of_asset(asset.pk) if asset else set()


@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a template's components, bindings, reviews and latest pre-flight answers."""
    template = get_scoped_or_404(request, Template.objects.select_related("business_unit"), pk=pk)
    bindings = list(template.bindings.select_related("asset", "pinned_version"))
    shown = _shown_versions(bindings)
    for binding in bindings:
        binding.shown = binding.pinned_version or shown.get(binding.asset_id)  # type: ignore[attr-defined]
    context = {
        "template": template,
        "components": Template.objects.filter(used_in_links__parent=template),
        "used_in": Template.objects.filter(component_links__child=template),
        "bindings": bindings,
        "reviews": template.reviews.select_related("asset", *REVIEW_VERSIONS, "actor"),
        "clearances": template.clearances.all()[:10],
        "campaigns": Campaign.objects.filter(reviews__template=template)
        .select_related("business_unit")
        .exclude(state__in=(CampaignState.CANCELLED, CampaignState.REJECTED))
        .distinct()
        .order_by("go_live_at")[:20],
        "preflight_form": PreflightForm(template.business_unit)
        if scope_for(request).can(Capability.RUN_PREFLIGHT, template.business_unit_id)
        else None,
        "driver_samples": template.driver_samples.select_related("added_by").order_by("pk"),
        "driver_form": DriverSampleForm()
        if scope_for(request).can(Capability.EDIT_TEMPLATES, template.business_unit_id)
        else None,
    }
    return render(request, "templates_app/template_detail.html", context)


def _shown_versions(bindings: list[Any]) -> dict[int, Version]:
    """Per bound asset, the approved version a context that says nothing resolves to: the
    least specific variant's (one query for all the slots)."""
    approved = Version.objects.filter(
        variant__asset_id__in={binding.asset_id for binding in bindings},
        state=VersionState.APPROVED,
    ).select_related("variant")
    shown: dict[int, Version] = {}
    for version in sorted(approved, key=lambda v: (_specificity(v), v.pk)):
        shown.setdefault(version.variant.asset_id, version)
    return shown


def _specificity(version: Version) -> int:
    variant = version.variant
    return sum(
        bool(s) for s in (variant.language, variant.region, variant.segment, variant.channels)
    )


class PreflightForm(forms.Form):
    run_at = WallClockField()
    region = forms.CharField(required=False, max_length=2, label="Region")
    language = forms.CharField(required=False, max_length=35, label="Language")
    segment = forms.CharField(required=False, max_length=100, label="Segment")
    channel = forms.ChoiceField(
        widget=Select, required=False, choices=[("", "any"), *Channel.choices], label="Channel"
    )
    proof = forms.BooleanField(
        required=False,
        label="Proof",
        help_text="Have Exstream produce this context's document from its driver data and "
        "check every image and text in it.",
    )

    def __init__(self, unit: BusinessUnit, *args: Any, **kwargs: Any) -> None:
        """Ask the run time on the unit's wall clock, starting at its present minute."""
        super().__init__(*args, **kwargs)
        self.zone_name = unit.time_zone
        self.fields["run_at"].label = f"Run at ({unit.time_zone})"
        now = timezone.localtime(timezone.now(), zone_named(unit.time_zone))
        self.fields["run_at"].initial = now.replace(second=0, microsecond=0, tzinfo=None)


class DriverSampleForm(forms.Form):
    file = forms.FileField(label="Driver data (JSON or XML)")
    region = forms.CharField(required=False, max_length=2, label="Region")
    language = forms.CharField(required=False, max_length=35, label="Language")
    segment = forms.CharField(required=False, max_length=100, label="Segment")
    channel = forms.ChoiceField(
        widget=Select, required=False, choices=[("", "any"), *Channel.choices], label="Channel"
    )
    data_source = forms.CharField(
        required=False,
        max_length=200,
        label="Data source",
        help_text="The communication set's production data source (prodDsn); "
        f"{settings.EXSTREAM_DRIVER_SOURCE} when empty.",
    )


@login_required
@require_POST
def driver_sample_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep driver data for one context of the template, for pre-flight's proofs."""
    template = get_scoped_or_404(
        request,
        Template.objects.select_related("business_unit"),
        capability=Capability.EDIT_TEMPLATES,
        pk=pk,
    )
    form = DriverSampleForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a JSON or XML file and a valid context.")
        return redirect(template.get_absolute_url())
    data = dict(form.cleaned_data)
    upload = data.pop("file")
    if upload.size > settings.DRIVER_SAMPLE_MAX_BYTES:
        limit = settings.DRIVER_SAMPLE_MAX_BYTES // 1000
        messages.error(request, f"Driver data may be at most {limit} KB.")
        return redirect(template.get_absolute_url())
    try:
        sample, created = driver_sample_store(
            template=template,
            data=upload.read(),
            file_name=upload.name or "",
            actor=acting_user(request),
            **data,
        )
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
        return redirect(template.get_absolute_url())
    kept = "kept" if created else "replaced"
    messages.success(request, f"Driver data for {sample.context().describe()} {kept}.")
    return redirect(template.get_absolute_url())


@login_required
@require_POST
def preflight(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask pre-flight from the template page for one context, and show every reason."""
    template = get_scoped_or_404(
        request,
        Template.objects.select_related("business_unit"),
        capability=Capability.RUN_PREFLIGHT,
        pk=pk,
    )
    form = PreflightForm(template.business_unit, request.POST)
    if not form.is_valid():
        messages.error(request, "Give a run date and a valid context.")
        return redirect(template.get_absolute_url())
    data = form.cleaned_data
    try:
        selectors = clean_selectors(
            region=data["region"], language=data["language"], segment=data["segment"]
        )
        run_at = wall_time(data["run_at"], form.zone_name, "run_at")
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
        return redirect(template.get_absolute_url())
    context = Context(selectors.region, selectors.language, selectors.segment, data["channel"])
    clearance = preflight_run(
        template=template,
        run_at=run_at.moment,
        contexts=[context],
        actor=acting_user(request),
        proof=data["proof"],
    )
    verdict = "go" if clearance.verdict == "go" else f"no-go, {len(clearance.reasons)} reason(s)"
    messages.success(request, f"Pre-flight {clearance.pk}: {verdict}.")
    if run_at.note:
        messages.warning(request, run_at.note)
    return redirect(template.get_absolute_url())


def _designer_units(request: HttpRequest) -> set[int]:
    units = scope_for(request).unit_ids_for(Capability.REVIEW_TEMPLATES)
    if not units:
        raise PermissionDenied("Only communication designers have a review inbox.")
    return units


def _unsettled(request: HttpRequest) -> QuerySet[Review]:
    """The unsettled reviews of the designer's own templates, oldest first."""
    return Review.objects.filter(
        template__business_unit_id__in=_designer_units(request),
        template__templateuserobjectpermission__user=acting_user(request),
        state__in=UNSETTLED_REVIEW_STATES,
    ).order_by("created_at", "pk")


def _inbox_reviews(request: HttpRequest) -> QuerySet[Review]:
    """The designer's unsettled reviews as models, to act on. The versions on either side come
    in queries of their own: joined in, eleven tables cost PostgreSQL 14 ms to plan."""
    versions = Version.objects.select_related("variant__asset")
    return (
        _unsettled(request)
        .select_related("template", "asset", "actor")
        .prefetch_related(
            Prefetch("old_version", queryset=versions), Prefetch("new_version", queryset=versions)
        )
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Show the open reviews of the designer's templates, with the change side by side, oldest
    first, a page at a time."""
    unsettled = _unsettled(request)
    rows = inbox_page.values(unsettled)
    page = page_of(request, rows, INBOX_PAGE_SIZE, cap=INBOX_COUNT_CAP, counted=unsettled)
    reviews = inbox_page.cards(list(page.object_list))
    requests = ReplacementRequest.objects.filter(requested_by=acting_user(request)).select_related(
        "asset", "fulfilled_version"
    )[:20]
    context = {"page": page, "reviews": reviews, "requests": requests}
    return render(request, "templates_app/inbox.html", context)


@login_required
@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    """Acknowledge the ticked reviews with one note."""
    ids = [int(value) for value in request.POST.getlist("review") if value.isdigit()]
    reviews = list(_inbox_reviews(request).filter(pk__in=ids))
    try:
        count = services.reviews_acknowledge(
            reviews=reviews, actor=acting_user(request), note=request.POST.get("note", "")
        )
    except (ValidationError, Conflict) as error:
        messages.error(request, reason(error))
    else:
        messages.success(request, f"Acknowledged {count} review{'s' if count != 1 else ''}.")
    return redirect("templates:inbox")


class RequestChangesForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    wanted_by = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Wanted by"
    )


@login_required
def request_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the unit's brand managers for a replacement of the changed asset."""
    review = get_scoped_or_404(
        request, _inbox_reviews(request), unit_field="template__business_unit", pk=pk
    )
    form = RequestChangesForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_request_changes(
                review=review,
                actor=acting_user(request),
                reason=form.cleaned_data["reason"],
                wanted_by=form.cleaned_data["wanted_by"],
            )
        except (ValidationError, Conflict) as error:
            form.add_error(None, reason(error))
        else:
            messages.success(request, f"Asked the brand managers to replace {review.asset.key}.")
            return redirect("templates:inbox")
    status = 400 if form.errors else 200
    context = {"review": review, "form": form}
    return render(request, "templates_app/request_changes.html", context, status=status)


def _replacements(request: HttpRequest) -> QuerySet[ReplacementRequest]:
    units = scope_for(request).unit_ids_for(Capability.EDIT_ASSETS)
    if not units:
        raise PermissionDenied("Replacement requests go to brand managers.")
    return ReplacementRequest.objects.filter(asset__business_unit_id__in=units).select_related(
        "asset", "requested_by", "review__template", "fulfilled_version"
    )


@login_required
def replacements(request: HttpRequest) -> HttpResponse:
    """Show the unit's replacement requests, open first, with the versions that could answer."""
    requests = list(_replacements(request).order_by("-state", "wanted_by", "created_at")[:100])
    open_assets = {r.asset_id for r in requests if r.state == ReplacementState.OPEN}
    candidates: dict[int, list[Version]] = {}
    for version in Version.objects.filter(
        variant__asset_id__in=open_assets, state__in=[VersionState.DRAFT, VersionState.IN_REVIEW]
    ).select_related("variant"):
        candidates.setdefault(version.variant.asset_id, []).append(version)
    for replacement in requests:
        replacement.candidates = candidates.get(replacement.asset_id, [])  # type: ignore[attr-defined]
    return render(request, "templates_app/replacements.html", {"requests": requests})


@login_required
@require_POST
def replacement_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Fulfil a request with a version, or decline it with a reason."""
    replacement = get_scoped_or_404(
        request, _replacements(request), unit_field="asset__business_unit", pk=pk
    )
    try:
        if request.POST.get("action") == "decline":
            services.replacement_decline(
                request=replacement,
                actor=acting_user(request),
                reason=request.POST.get("reason", ""),
            )
        elif request.POST.get("action") == "upload":
            _answer_with_upload(request, replacement)
        else:
            version = Version.objects.filter(pk=request.POST.get("version") or 0).first()
            if version is None:
                raise ValidationError("Choose the version that answers the request.")
            services.replacement_fulfil(
                request=replacement, version=version, actor=acting_user(request)
            )
    except (ValidationError, Conflict, RequestRejected) as error:
        messages.error(request, reason(error))
    else:
        messages.success(request, f"Answered the request for {replacement.asset.key}.")
    return redirect("templates:replacements")


def _answer_with_upload(request: HttpRequest, replacement: ReplacementRequest) -> None:
    """Answer with a new version uploaded in place (a file, or a text for disclaimers)."""
    if replacement.asset.takes_text:
        content = read_text(request.POST.get("text", ""))
    elif upload := request.FILES.get("file"):
        content = read_upload(upload)
    else:
        raise RequestRejected("Choose the file of the new version.")
    services.replacement_answer_with_content(
        request=replacement, content=content, actor=acting_user(request)
    )


UNIT = "version__variant__asset__business_unit"


def _deliveries(request: HttpRequest) -> QuerySet[Delivery]:
    return scoped(request, Delivery.objects.select_related("version__variant__asset"), UNIT)


def _progress(deliveries: list[Delivery]) -> dict[str, Any]:
    counts = Counter(delivery.state for delivery in deliveries)
    unfinished = counts[DeliveryState.PENDING] + counts[DeliveryState.RETRYING]
    return {
        "total": len(deliveries),
        "delivered": counts[DeliveryState.DELIVERED],
        "dead": counts[DeliveryState.DEAD],
        "unfinished": unfinished,
        "counts": counts,
    }


@login_required
def version_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the deliveries of one version (an HTMX fragment that polls while any is due)."""
    version = get_scoped_or_404(
        request, Version.objects.all(), unit_field="variant__asset__business_unit", pk=pk
    )
    deliveries = list(_deliveries(request).filter(version=version).order_by("profile"))
    context = {
        "version": version,
        "deliveries": deliveries,
        **_progress(deliveries),
        "can_retry": _can_retry(request, version.variant.asset.business_unit_id),
    }
    return render(request, "templates_app/version_deliveries.html", context)


@login_required
def asset_exstream_uses(request: HttpRequest, pk: int) -> HttpResponse:
    """Return Exstream's own view of where an asset is used beside Govern's (an HTMX fragment)."""
    asset = get_scoped_or_404(request, Asset.objects.all(), unit_field="business_unit", pk=pk)
    context = {"asset": asset, "check": cross_check(asset)}
    return render(request, "templates_app/asset_exstream_uses.html", context)


def _can_retry(request: HttpRequest, unit_id: int) -> bool:
    return scope_for(request).can(Capability.RETRY_DELIVERIES, unit_id)


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    """Show every unfinished or dead delivery of the units where the user may retry them."""
    if not scope_for(request).unit_ids_for(Capability.RETRY_DELIVERIES):
        raise PermissionDenied("Only compliance officers see and retry deliveries.")
    retryable = scoped(request, _deliveries(request), UNIT, Capability.RETRY_DELIVERIES)
    recent = list(retryable.order_by("-created_at")[:500])
    attention = [d for d in recent if d.state != DeliveryState.DELIVERED][:100]
    setup_problem = SetupProblem.objects.filter(part="exstream").first()
    context = {"attention": attention, "setup_problem": setup_problem, **_progress(recent)}
    partial = bool(getattr(request, "htmx", False))  # django-htmx: a poll refreshes the body
    template = "templates_app/deliveries_body.html" if partial else "templates_app/deliveries.html"
    return render(request, template, context)


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a dead delivery new attempts (audited), then show the version's deliveries."""
    delivery = get_scoped_or_404(request, _deliveries(request), unit_field=UNIT, pk=pk)
    try:
        outbox.delivery_retry(delivery=delivery, actor=acting_user(request))
    except Conflict as conflict:
        messages.error(request, conflict.detail)
    else:
        messages.success(request, f"Retrying {delivery.profile} of {delivery.version}.")
    following = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()}):
        following = reverse("templates:deliveries")
    return redirect(following)
