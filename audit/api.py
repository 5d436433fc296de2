"""Read-only API over the audit log for auditors."""

from typing import Any

from rest_framework import exceptions, generics, serializers

from audit.filters import AuditFilterForm
from audit.models import AuditEvent
from govern.access import scope_for
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


class AuditEventList(generics.ListAPIView):
    """List audit events in the auditor's units, newest first, with the page's filters."""

    serializer_class = AuditEventSerializer

    def get_queryset(self) -> Any:
        unit_ids = scope_for(self.request).unit_ids_for(Capability.READ_AUDIT)
        if not unit_ids:
            raise exceptions.PermissionDenied("Only auditors read the audit log.")
        form = AuditFilterForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        return form.apply(AuditEvent.objects.visible_to(unit_ids)).select_related("business_unit")
