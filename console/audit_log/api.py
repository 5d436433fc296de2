"""Read-only API over the audit log for auditors."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from audit.exports import HEADER, event_rows
from audit.filters import AuditFilterForm
from audit.models import INSTALLATION, AuditEvent, audit_scope
from govern.access import acting_user, scope_for
from govern.export_api import ExportJobOutput, job_accepted
from govern.export_jobs import XLSX_TYPE, xlsx_now_or_later
from govern.exports import csv_response, export_recorder, single_unit
from govern.roles import Capability


class AuditEventSerializer(serializers.ModelSerializer):
    business_unit: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "created_at",
            "actor_name",
            "action",
            "target_type",
            "target_id",
            "business_unit",
            "data",
            "prev_hash",
            "hash",
        ]


def audited_events(request: Request) -> tuple[Any, AuditFilterForm, set[int]]:
    """Return the events an auditor may read, filtered as the query asks."""
    unit_ids = audit_scope(request.user, scope_for(request).unit_ids_for(Capability.READ_AUDIT))
    if not unit_ids:
        raise exceptions.PermissionDenied("Only auditors read the audit log.")
    form = AuditFilterForm(request.query_params)
    if not form.is_valid():
        raise exceptions.ValidationError(form.errors.get_json_data())
    return form.apply(AuditEvent.objects.visible_to(unit_ids)), form, unit_ids


class AuditEventList(generics.ListAPIView):
    """List audit events in the auditor's units, newest first, with the page's filters."""

    serializer_class = AuditEventSerializer

    def get_queryset(self) -> Any:
        events, _form, _units = audited_events(self.request)
        return events.select_related("business_unit")


class AuditEventExport(APIView):
    """Download the filtered audit trail, oldest first, with each event's hashes: format=csv
    streams it; format=xlsx answers with the file or, when large, 202 and its export job."""

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): bytes, (200, XLSX_TYPE): bytes, 202: ExportJobOutput},
    )
    def get(self, request: Request) -> Any:
        events, form, unit_ids = audited_events(request)
        wanted = request.query_params.get("format", "csv")
        actor = acting_user(request)
        filters = {k: str(v) for k, v in form.cleaned_data.items() if v not in ("", None)}
        unit_id = single_unit(unit_ids - {INSTALLATION})
        if wanted == "csv":
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            delivered = export_recorder("audit_events", "csv", filters, actor, unit_id)
            return csv_response(f"audit-{stamp}.csv", HEADER, event_rows(events), delivered)
        if wanted != "xlsx":
            raise exceptions.ValidationError({"format": "Use csv or xlsx."})
        answer = xlsx_now_or_later(
            kind="audit_events",
            filters=filters,
            unit_ids=unit_ids,
            unit_id=unit_id,
            actor=actor,
            filename="audit.xlsx",
        )
        return job_accepted(request, answer)
