"""The usage API: runs Exstream reports, their records, exceptions, caps and exports."""

import hashlib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import LicensePurchase
from govern.access import acting_user, get_scoped_or_404, scope_for, scoped
from govern.export_api import ExportJobOutput, job_accepted
from govern.export_jobs import XLSX_TYPE, attachment, xlsx_now_or_later
from govern.exports import audit_delivery, single_unit
from govern.models import BusinessUnit
from govern.roles import Capability
from govern.serializers import StrictSerializer, validated
from templates_app.models import Clearance, Template
from usage import evidence, exports, services
from usage.filters import ExceptionFilterForm, UsageFilterForm
from usage.models import (
    ExceptionState,
    Metric,
    ProductionRun,
    RunSource,
    UsageException,
    UsageRecord,
)
from usage.reports import ReportError, RunDigest, parse_header, parse_record


class UsagePagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class RunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    run_id = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    template = serializers.CharField(source="template.exstream_id")
    unit = serializers.CharField(source="business_unit.slug")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    clearance = serializers.IntegerField(source="clearance_id", allow_null=True)
    records = serializers.IntegerField(source="record_count")
    documents = serializers.IntegerField()
    content_hash = serializers.CharField()
    received_at = serializers.DateTimeField()


class ExceptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    state = serializers.CharField()
    run = serializers.IntegerField(source="run_id")
    run_id = serializers.CharField(source="run.run_id")
    unit = serializers.CharField(source="business_unit.slug")
    version = serializers.IntegerField(source="version_id", allow_null=True)
    purchase = serializers.IntegerField(source="purchase_id", allow_null=True)
    detail = serializers.CharField()
    evidence = serializers.DictField()
    documents = serializers.IntegerField()
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReportOutput(serializers.Serializer):
    run = RunOutput()
    created = serializers.BooleanField()
    exceptions = ExceptionOutput(many=True)


def usage_runs(request: Request) -> QuerySet[ProductionRun]:
    """Return the runs the caller may read (auditors and compliance officers of the unit)."""
    return _readable(request, ProductionRun.objects.all())


def _readable(request: Request, queryset: QuerySet[Any]) -> QuerySet[Any]:
    unit_ids = scope_for(request).unit_ids_for(Capability.READ_USAGE)
    if not unit_ids:
        raise exceptions.PermissionDenied("Only auditors and compliance officers read usage.")
    return queryset.filter(business_unit_id__in=unit_ids)


def parse_body(data: Any) -> tuple[RunDigest, list[Any]]:
    """Check an API report body; raise a 400 naming every bad field, records by index."""
    if not isinstance(data, Mapping):
        raise exceptions.ValidationError({"body": "Send a JSON object."})
    problems: dict[str, str] = {}
    header = None
    try:
        header = parse_header(data, extra=("records",))
    except ReportError as error:
        problems.update(error.problems)
    records = data.get("records")
    lines = []
    if not isinstance(records, list) or not records:
        problems["records"] = "must be a non-empty list"
    elif len(records) > settings.USAGE_MAX_RECORDS:
        problems["records"] = f"holds more than {settings.USAGE_MAX_RECORDS} records; send a file"
    else:
        for index, record in enumerate(records):
            try:
                if not isinstance(record, Mapping):
                    raise ReportError({"": "must be an object"})
                lines.append(parse_record(record))
            except ReportError as error:
                for name, text in error.problems.items():
                    problems[f"records[{index}].{name}".rstrip(".")] = text
    if problems or header is None:
        raise exceptions.ValidationError(problems)
    digest = RunDigest(header)
    for line in lines:
        digest.add(line)
    return digest, lines


class RunCollection(generics.ListAPIView):
    """List reported runs; POST reports a run (integration keys, compliance officers)."""

    serializer_class = RunOutput
    pagination_class = UsagePagination

    def get_queryset(self) -> Any:
        return usage_runs(self.request).select_related("template", "business_unit")

    @extend_schema(request=dict[str, Any], responses={201: ReportOutput, 200: ReportOutput})
    def post(self, request: Request) -> Response:
        templates = scoped(request, Template.objects.all(), capability=Capability.VIEW)
        if not scope_for(request).unit_ids_for(Capability.REPORT_USAGE):
            raise exceptions.PermissionDenied("Your roles do not allow reporting usage.")
        digest, lines = parse_body(request.data)
        run_id = digest.header.run_id
        outcome = services.runs_ingest(
            digests=[digest],
            records=lambda: ((run_id, line) for line in lines),
            source=RunSource.API,
            actor=acting_user(request),
            templates=templates,
        )
        created = bool(outcome.created)
        run = (outcome.created or outcome.unchanged)[0]
        body = {
            "run": RunOutput(run).data,
            "created": created,
            "exceptions": ExceptionOutput(
                outcome.exceptions if created else run.exceptions.all(), many=True
            ).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RunDetail(generics.RetrieveAPIView):
    """Return one run with its totals."""

    serializer_class = RunOutput

    def get_queryset(self) -> Any:
        return usage_runs(self.request).select_related("template", "business_unit")


class RecordOutput(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.CharField(source="run__run_id")
    template = serializers.CharField(source="template__exstream_id")
    unit = serializers.CharField(source="business_unit__slug")
    started_at = serializers.DateTimeField()
    asset = serializers.CharField(source="asset__key", allow_null=True)
    version = serializers.IntegerField(source="version_id", allow_null=True)
    version_number = serializers.IntegerField(source="version__number", allow_null=True)
    reported = serializers.CharField()
    sha256 = serializers.CharField()
    channel = serializers.CharField()
    region = serializers.CharField()
    language = serializers.CharField()
    segment = serializers.CharField()
    documents = serializers.IntegerField()
    pages = serializers.IntegerField()
    impressions = serializers.IntegerField()


RECORD_COLUMNS = [
    *("id", "run__run_id", "template__exstream_id", "business_unit__slug", "started_at"),
    *("asset__key", "version_id", "version__number", "reported", "sha256", "channel", "region"),
    *("language", "segment", "documents", "pages", "impressions"),
]


def filtered_records(request: Request) -> tuple[QuerySet[UsageRecord], UsageFilterForm]:
    form = UsageFilterForm(request.query_params)
    if not form.is_valid():
        raise exceptions.ValidationError(form.errors.get_json_data())
    return form.apply(_readable(request, UsageRecord.objects.all())), form


@extend_schema(parameters=[OpenApiParameter(name, str) for name in UsageFilterForm.base_fields])
class RecordList(generics.ListAPIView):
    """List usage records with the report page's filters."""

    serializer_class = RecordOutput
    pagination_class = UsagePagination

    def get_queryset(self) -> Any:
        records, _form = filtered_records(self.request)
        return records.values(*RECORD_COLUMNS)


def export_unit(request: Request, filters: dict[str, Any]) -> int | None:
    """Return the unit an export belongs to: the one filtered on, or the caller's only one."""
    unit_ids = scope_for(request).unit_ids_for(Capability.READ_USAGE)
    if "unit" in filters:
        unit = BusinessUnit.objects.filter(slug=filters["unit"], pk__in=unit_ids).first()
        return unit.pk if unit else None
    return single_unit(unit_ids)


class RecordExport(APIView):
    """Download the filtered records: format=csv streams them; format=xlsx answers with the file,
    or, for more than a few thousand rows, 202 and the export job a worker is writing."""

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): bytes, (200, XLSX_TYPE): bytes, 202: ExportJobOutput},
    )
    def get(self, request: Request) -> Any:
        records, form = filtered_records(request)
        wanted = request.query_params.get("format", "csv")
        filters, actor = form.used(), acting_user(request)
        unit_id = export_unit(request, filters)
        if wanted == "csv":
            return exports.records_csv(records, filters, actor, unit_id)
        if wanted != "xlsx":
            raise exceptions.ValidationError({"format": "Use csv or xlsx."})
        answer = xlsx_now_or_later(
            kind="usage_records",
            filters=filters,
            unit_ids=scope_for(request).unit_ids_for(Capability.READ_USAGE),
            unit_id=unit_id,
            actor=actor,
            filename="usage.xlsx",
        )
        return job_accepted(request, answer)


class ExceptionList(generics.ListAPIView):
    """List reconciliation exceptions: ?code=&state=&unit=&run=."""

    serializer_class = ExceptionOutput
    pagination_class = UsagePagination

    def get_queryset(self) -> Any:
        form = ExceptionFilterForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        exceptions_in_scope = _readable(self.request, UsageException.objects.all())
        return form.apply(exceptions_in_scope).select_related("run", "business_unit", "decided_by")


class DecisionInput(StrictSerializer):
    comment = serializers.CharField(max_length=5000)


class ExceptionDecide(APIView):
    """Explain or resolve an exception with a comment (compliance officers of the unit)."""

    state: str = ExceptionState.RESOLVED

    @extend_schema(request=DecisionInput, responses=ExceptionOutput)
    def post(self, request: Request, pk: int) -> Response:
        exception = get_scoped_or_404(
            request,
            UsageException.objects.select_related("run", "business_unit"),
            capability=Capability.DECIDE_EXCEPTIONS,
            pk=pk,
        )
        data = validated(DecisionInput, request)
        decided = services.exception_decide(
            exception=exception,
            state=self.state,
            comment=data["comment"],
            actor=acting_user(request),
        )
        return Response(ExceptionOutput(decided).data)


class CapInput(StrictSerializer):
    purchase = serializers.CharField(max_length=100, help_text="The purchase's Smint.io uuid")
    metric = serializers.ChoiceField(choices=Metric.choices)
    limit = serializers.IntegerField(min_value=0, max_value=10**12)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CapOutput(serializers.Serializer):
    id = serializers.IntegerField()
    purchase = serializers.CharField(source="purchase.uuid")
    metric = serializers.CharField()
    limit = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class CapSet(APIView):
    """Cap a purchase's volume on one metric (compliance officers of the unit)."""

    @extend_schema(request=CapInput, responses={201: CapOutput})
    def post(self, request: Request) -> Response:
        data = validated(CapInput, request)
        purchase = get_scoped_or_404(
            request,
            LicensePurchase.objects.select_related("asset"),
            unit_field="asset__business_unit",
            capability=Capability.DECIDE_EXCEPTIONS,
            uuid=data["purchase"],
        )
        cap = services.cap_set(
            purchase=purchase,
            metric=data["metric"],
            limit=data["limit"],
            comment=data["comment"],
            actor=acting_user(request),
        )
        return Response(CapOutput(cap).data, status=status.HTTP_201_CREATED)


def _pdf(request: Request, name: str, stamp: evidence.Stamp, data: bytes, target: Any) -> Any:
    """Send a pack, its sha256 in a header, and audit its delivery with that sha256."""
    digest = hashlib.sha256(data).hexdigest()
    unit_id = target_unit(target)
    audit_delivery(
        stamp.kind,
        "pdf",
        {"id": target.pk},
        acting_user(request),
        unit_id,
        digest,
        len(data),
        target=target,
        generated_at=stamp.at,
    )
    return attachment(data, "application/pdf", name)


def target_unit(target: Any) -> int:
    """The unit of a run or of a clearance (through its template)."""
    if isinstance(target, ProductionRun):
        return target.business_unit_id
    return int(target.template.business_unit_id)


def stamp_for(request: Request, kind: str) -> evidence.Stamp:
    return evidence.Stamp(kind=kind, by=acting_user(request).get_username(), at=timezone.now())


class RunEvidence(APIView):
    """Download a run's evidence pack (PDF): clearance, versions, approvals, usage, hashes; the
    pack's own sha256 is in the X-Content-SHA256 header and in its export.delivered event."""

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, pk: int) -> Any:
        run = get_scoped_or_404(
            request,
            ProductionRun.objects.select_related(
                "template", "clearance__template", "business_unit"
            ),
            capability=Capability.READ_USAGE,
            pk=pk,
        )
        stamp = stamp_for(request, "run_evidence")
        data = evidence.run_pack(run, stamp)
        return _pdf(request, f"run-{run.pk}-evidence.pdf", stamp, data, run)


class ClearanceEvidence(APIView):
    """Download a clearance's evidence pack (PDF), its sha256 in the X-Content-SHA256 header."""

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, pk: int) -> Any:
        clearance = get_scoped_or_404(
            request,
            Clearance.objects.select_related("template"),
            unit_field="template__business_unit",
            capability=Capability.READ_USAGE,
            pk=pk,
        )
        stamp = stamp_for(request, "clearance_evidence")
        data = evidence.clearance_pack(clearance, stamp)
        return _pdf(request, f"clearance-{clearance.pk}-evidence.pdf", stamp, data, clearance)
