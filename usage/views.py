"""The auditors' and compliance officers' pages: usage reports, where used, licences, exceptions."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assets.models import LicensePurchase, LicenseTerm, Version
from audit.models import AuditEvent
from govern.access import acting_user, get_scoped_or_404, scope_for
from govern.errors import Conflict
from govern.export_jobs import xlsx_now_or_later
from govern.exports import single_unit
from govern.pagination import page_of
from govern.roles import Capability
from govern.widgets import Select
from usage import charts, services
from usage.filters import ExceptionFilterForm, UsageFilterForm
from usage.models import (
    ExceptionCode,
    ExceptionState,
    ProductionRun,
    UsageCap,
    UsageException,
    UsageRecord,
)

PAGE_SIZE = 50
TOP_ASSETS = 10
PACKS_SHOWN = 10
GROUPS = {
    "asset": ("asset__key",),
    "version": ("version_id", "asset__key", "version__number"),
    "template": ("template__exstream_id", "template__name"),
    "unit": ("business_unit__slug",),
    "channel": ("channel",),
    "region": ("region",),
    "language": ("language",),
    "period": ("period",),
}
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
DOCUMENTS = "Documents (count)"


class ReportForm(forms.Form):
    group = forms.ChoiceField(
        widget=Select,
        required=False,
        choices=[(name, name.title()) for name in GROUPS],
        label="Group by",
    )
    period = forms.ChoiceField(
        widget=Select,
        required=False,
        choices=[(name, name.title()) for name in PERIODS],
        label="Period",
    )
    order = forms.ChoiceField(
        widget=Select,
        required=False,
        choices=[("volume", "Most documents first"), ("name", "By name")],
        label="Order",
    )


def _unit_ids(request: HttpRequest) -> set[int]:
    unit_ids = scope_for(request).unit_ids_for(Capability.READ_USAGE)
    if not unit_ids:
        raise PermissionDenied("Only auditors and compliance officers read usage.")
    return unit_ids


def _totals() -> dict[str, Any]:
    return {
        "documents": Sum("documents"),
        "pages": Sum("pages"),
        "impressions": Sum("impressions"),
        "runs": Count("run", distinct=True),
    }


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Show usage grouped as asked, with charts, filters and the downloads of the same set."""
    records = UsageRecord.objects.filter(business_unit_id__in=_unit_ids(request))
    filters, shape = UsageFilterForm(request.GET or None), ReportForm(request.GET or None)
    if filters.is_bound and not (filters.is_valid() and shape.is_valid()):
        records = records.none()
    elif filters.is_bound:
        records = filters.apply(records)
    choice = shape.cleaned_data if shape.is_bound and shape.is_valid() else {}
    group, period = choice.get("group") or "asset", choice.get("period") or "day"
    trunc = PERIODS[period]("started_at")
    grouped = records.annotate(period=trunc).values(*GROUPS[group]).annotate(**_totals())
    ordering = ["-documents", *GROUPS[group]] if choice.get("order") != "name" else GROUPS[group]
    page = page_of(request, grouped.order_by(*ordering), PAGE_SIZE)
    context = {
        "filters": filters,
        "shape": shape,
        "group": group,
        "page": page,
        "totals": records.aggregate(**_totals()),
        "charts": [
            _volume_chart(records, trunc, period),
            _assets_chart(records),
            _exceptions_chart(request),
        ],
        "query": request.GET.urlencode(),
    }
    return render(request, "usage/report.html", context)


def _volume_chart(records: QuerySet[UsageRecord], trunc: Any, period: str) -> charts.Chart:
    rows = records.annotate(bucket=trunc).values("bucket").annotate(total=Sum("documents"))
    label = {"day": "%Y-%m-%d", "week": "%G-W%V", "month": "%Y-%m"}[period]
    points = [
        charts.Point(row["bucket"].strftime(label), int(row["total"] or 0))
        for row in rows.order_by("bucket")[:366]
    ]
    zone = timezone.get_current_timezone_name()
    unit = f"ISO week, {zone}" if period == "week" else zone
    axes = charts.Axes(category=f"{period.title()} ({unit})", value=DOCUMENTS)
    return charts.column_chart(f"Documents per {period}", points, axes)


def _assets_chart(records: QuerySet[UsageRecord]) -> charts.Chart:
    rows = (
        records.exclude(asset__isnull=True)
        .values("asset__key")
        .annotate(total=Sum("documents"))
        .order_by("-total")[:TOP_ASSETS]
    )
    points = [charts.Point(row["asset__key"], int(row["total"] or 0)) for row in rows]
    axes = charts.Axes(category="Asset", value=DOCUMENTS)
    return charts.bar_chart("Top assets by documents", points, axes)


def _exceptions_chart(request: HttpRequest) -> charts.Chart:
    rows = (
        UsageException.objects.filter(business_unit_id__in=_unit_ids(request))
        .exclude(state=ExceptionState.RESOLVED)
        .values("code")
        .annotate(total=Count("pk"))
        .order_by("-total")
    )
    labels = dict(ExceptionCode.choices)
    points = [charts.Point(labels[row["code"]], row["total"]) for row in rows]
    axes = charts.Axes(category="Exception", value="Unresolved exceptions (count)")
    return charts.bar_chart("Unresolved exceptions by code", points, axes)


@login_required
def version_usage(request: HttpRequest, pk: int) -> HttpResponse:
    """Show where one version was used: runs, templates and counts."""
    version = get_scoped_or_404(
        request,
        Version.objects.select_related("variant__asset"),
        unit_field="variant__asset__business_unit",
        capability=Capability.READ_USAGE,
        pk=pk,
    )
    records = UsageRecord.objects.filter(version=version)
    by_run = (
        records.values("run_id", "run__run_id", "started_at", "template__name", "run__clearance_id")
        .annotate(**_totals())
        .order_by("-started_at")
    )
    context = {
        "version": version,
        "page": page_of(request, by_run, PAGE_SIZE),
        "templates": records.values("template__name", "template__exstream_id")
        .annotate(**_totals())
        .order_by("-documents"),
        "totals": records.aggregate(**_totals()),
        "exceptions": UsageException.objects.filter(version=version).select_related("run"),
    }
    return render(request, "usage/version_usage.html", context)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one run: what it produced, the clearance it relied on, what reconciliation found."""
    run = get_scoped_or_404(
        request,
        ProductionRun.objects.select_related("template", "clearance", "business_unit"),
        capability=Capability.READ_USAGE,
        pk=pk,
    )
    records = run.records.select_related("asset", "version").order_by("-documents", "pk")
    context = {
        "run": run,
        "page": page_of(request, records, PAGE_SIZE),
        "exceptions": run.exceptions.select_related("decided_by"),
        "packs": _packs_handed_out(run),
        **_samples_of(run),
    }
    return render(request, "usage/run_detail.html", context)


def _samples_of(run: ProductionRun) -> dict[str, Any]:
    samples = list(run.samples.prefetch_related("images__version__variant__asset").order_by("pk"))
    reading = any(sample.state in ("queued", "reading") for sample in samples)
    return {"samples": samples, "reading": reading}


@login_required
def run_samples(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's samples and their progress (an HTMX fragment, polled while one is read)."""
    run = get_scoped_or_404(
        request, ProductionRun.objects.all(), capability=Capability.READ_USAGE, pk=pk
    )
    return render(request, "usage/run_samples.html", {"run": run, **_samples_of(run)})


@dataclass(frozen=True)
class HandedOut:
    generated_at: datetime
    by: str
    sha256: str
    sequence: int


def _packs_handed_out(run: ProductionRun) -> list[HandedOut]:
    """The latest evidence packs of a run that were delivered, each with its sha256."""
    delivered = AuditEvent.objects.filter(
        action="export.delivered", target_type="usage.productionrun", target_id=str(run.pk)
    )
    return [
        HandedOut(_generated_at(event), event.actor_name, event.data["sha256"], event.sequence)
        for event in delivered.order_by("-sequence")[:PACKS_SHOWN]
    ]


def _generated_at(event: AuditEvent) -> datetime:
    """The time printed in the pack (its event's own time for events from before packs said)."""
    try:
        return datetime.fromisoformat(event.data["generated_at"])
    except (KeyError, TypeError, ValueError):
        return event.created_at


@login_required
def licences(request: HttpRequest) -> HttpResponse:
    """Show each purchase's use against its caps, and the terms ending within 30 days."""
    unit_ids = _unit_ids(request)
    purchases = (
        LicensePurchase.objects.filter(asset__business_unit_id__in=unit_ids)
        .select_related("asset")
        .annotate(
            documents=Sum("versions__usage_records__documents"),
            pages=Sum("versions__usage_records__pages"),
            impressions=Sum("versions__usage_records__impressions"),
        )
        .order_by("asset__key")
    )
    caps: dict[int, list[UsageCap]] = {}
    for cap in UsageCap.objects.filter(active=True, purchase__in=purchases):
        caps.setdefault(cap.purchase_id, []).append(cap)
    now = timezone.now()
    ending = LicenseTerm.objects.filter(
        active=True,
        purchase__asset__business_unit_id__in=unit_ids,
        valid_until__gte=now,
        valid_until__lte=now + timedelta(days=30),
    ).select_related("purchase__asset")
    rows = [{"purchase": p, "caps": _utilisation(p, caps.get(p.pk, []))} for p in purchases]
    context = {"rows": rows, "ending": ending.order_by("valid_until")}
    return render(request, "usage/licences.html", context)


def _utilisation(purchase: Any, caps: list[UsageCap]) -> list[dict[str, Any]]:
    shown = []
    for cap in caps:
        used = int(getattr(purchase, cap.metric) or 0)
        share = min(100, round(100 * used / cap.limit)) if cap.limit else 100
        shown.append({"cap": cap, "used": used, "share": share, "over": used > cap.limit})
    return shown


class DecideForm(forms.Form):
    state = forms.ChoiceField(
        widget=Select,
        choices=[(ExceptionState.EXPLAINED, "Explain"), (ExceptionState.RESOLVED, "Resolve")],
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


@login_required
def exception_queue(request: HttpRequest) -> HttpResponse:
    """List the exceptions of the user's units, open first, with a decision form for officers."""
    unit_ids = _unit_ids(request)
    form = ExceptionFilterForm(request.GET or {"state": ExceptionState.OPEN})
    found = UsageException.objects.filter(business_unit_id__in=unit_ids)
    found = form.apply(found) if form.is_valid() else found.none()
    found = found.select_related("run", "business_unit", "decided_by", "version__variant__asset")
    deciding = scope_for(request).unit_ids_for(Capability.DECIDE_EXCEPTIONS)
    context = {
        "form": form,
        "page": page_of(request, found.order_by("-created_at", "-pk"), PAGE_SIZE),
        "deciding": deciding,
        "counts": dict(
            UsageException.objects.filter(business_unit_id__in=unit_ids, state="open")
            .values_list("code")
            .annotate(n=Count("pk"))
        ),
        "decide_form": DecideForm(),
    }
    return render(request, "usage/exception_queue.html", context)


@login_required
@require_POST
def exception_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Explain or resolve one exception, then go back to the queue."""
    exception = get_scoped_or_404(
        request, UsageException.objects.all(), capability=Capability.DECIDE_EXCEPTIONS, pk=pk
    )
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose explain or resolve and say why.")
        return redirect("usage:exceptions")
    try:
        services.exception_decide(
            exception=exception,
            state=form.cleaned_data["state"],
            comment=form.cleaned_data["comment"],
            actor=acting_user(request),
        )
    except Conflict as conflict:
        messages.error(request, conflict.detail)
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
    else:
        messages.success(request, f"Exception {exception.pk} is {form.cleaned_data['state']}.")
    return redirect("usage:exceptions")


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """Download the report's records as XLSX, or follow a worker writing a large one."""
    unit_ids = _unit_ids(request)
    form = UsageFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Correct the filters before downloading.")
        return redirect("usage:report")
    filters = form.used()
    unit_id = single_unit(unit_ids)
    answer = xlsx_now_or_later(
        kind="usage_records",
        filters=filters,
        unit_ids=unit_ids,
        unit_id=unit_id,
        actor=acting_user(request),
        filename="usage.xlsx",
    )
    if isinstance(answer, HttpResponse):
        return answer
    return redirect("export-detail", pk=answer.pk)
