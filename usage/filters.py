"""The filters of usage lists, shared by the report pages, the API and every export."""

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from assets.models import Channel
from govern.widgets import Select
from usage.models import ExceptionCode, ExceptionState, UsageException, UsageRecord

SORTS = {
    "newest": ("-started_at", "-pk"),
    "oldest": ("started_at", "pk"),
    "documents": ("-documents", "-pk"),
}


class UsageFilterForm(forms.Form):
    unit = forms.SlugField(required=False, max_length=100)
    template = forms.CharField(required=False, max_length=200, help_text="Exstream id")
    asset = forms.CharField(required=False, max_length=200, help_text="Asset key")
    version = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    run = forms.CharField(required=False, max_length=200, help_text="Run id")
    channel = forms.ChoiceField(
        widget=Select, required=False, choices=[("", "any"), *Channel.choices]
    )
    region = forms.CharField(required=False, max_length=2)
    language = forms.CharField(required=False, max_length=35)
    segment = forms.CharField(required=False, max_length=100)
    since = forms.DateTimeField(required=False)
    until = forms.DateTimeField(required=False)
    sort = forms.ChoiceField(
        widget=Select, required=False, choices=[(name, name) for name in SORTS]
    )

    FIELDS = {
        "unit": "business_unit__slug",
        "template": "template__exstream_id",
        "asset": "asset__key",
        "version": "version_id",
        "run": "run__run_id",
        "channel": "channel",
        "region": "region",
        "language": "language",
        "segment": "segment",
        "since": "started_at__gte",
        "until": "started_at__lt",
    }

    def clean_region(self) -> str:
        return str(self.cleaned_data["region"]).upper()

    def apply(self, records: QuerySet[UsageRecord]) -> QuerySet[UsageRecord]:
        """Narrow records by the filled-in filters and sort them."""
        data = self.cleaned_data
        lookups = {
            lookup: data[name]
            for name, lookup in self.FIELDS.items()
            if data.get(name) not in ("", None)
        }
        return records.filter(**lookups).order_by(*SORTS[data.get("sort") or "newest"])

    def used(self) -> dict[str, Any]:
        """Return the filters that were set, as text (what an export records)."""
        return {
            name: str(value) for name, value in self.cleaned_data.items() if value not in ("", None)
        }


class ExceptionFilterForm(forms.Form):
    unit = forms.SlugField(required=False, max_length=100)
    code = forms.ChoiceField(
        widget=Select, required=False, choices=[("", "any"), *ExceptionCode.choices]
    )
    state = forms.ChoiceField(
        widget=Select, required=False, choices=[("", "any"), *ExceptionState.choices]
    )
    run = forms.CharField(required=False, max_length=200)

    def apply(self, exceptions: QuerySet[UsageException]) -> QuerySet[UsageException]:
        data = self.cleaned_data
        condition = Q()
        if data.get("unit"):
            condition &= Q(business_unit__slug=data["unit"])
        if data.get("code"):
            condition &= Q(code=data["code"])
        if data.get("state"):
            condition &= Q(state=data["state"])
        if data.get("run"):
            condition &= Q(run__run_id=data["run"])
        return exceptions.filter(condition)
