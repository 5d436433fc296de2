"""The audit log's filters, shared by the page and the API."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Actor (username)")
    action = forms.CharField(required=False, max_length=100, label="Action")
    target_type = forms.CharField(required=False, max_length=100, label="Target type")
    target_id = forms.CharField(required=False, max_length=100, label="Target id")
    since = forms.DateTimeField(
        required=False, label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        required=False, label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("'From' must be before 'Until'.")
        return cleaned

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """Return the events that match the cleaned filters."""
        data = self.cleaned_data
        lookups = {
            "actor_name": data.get("actor"),
            "action__startswith": data.get("action"),
            "target_type": data.get("target_type"),
            "target_id": data.get("target_id"),
            "created_at__gte": data.get("since"),
            "created_at__lte": data.get("until"),
        }
        return events.filter(**{key: value for key, value in lookups.items() if value})
