"""Forms of the asset pages; the services do the real checking."""

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from assets.models import Asset, Channel, Kind, Version, VersionState
from govern.models import BusinessUnit
from govern.widgets import Select

AGE_CHOICES = [
    ("", "Any age"),
    ("1", "Waiting over a day"),
    ("3", "Over 3 days"),
    ("7", "Over a week"),
]


class UnitFilterForm(forms.Form):
    """A filter form whose unit choices are the user's own units, by slug (one query for
    their slugs and names: a unit's model is not needed to filter by it), read only when the
    form is shown or a unit is asked for. `unit_names` maps their keys to names, so a list of
    their rows need not join the units to name them."""

    unit = forms.ChoiceField(widget=Select, required=False)
    kind = forms.ChoiceField(
        widget=Select, choices=[("", "All kinds"), *Kind.choices], required=False
    )

    def __init__(self, *args: Any, units: QuerySet[BusinessUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._units = units
        self.fields["unit"].choices = self._unit_choices  # type: ignore[attr-defined]

    @cached_property
    def _found_units(self) -> list[tuple[int, str, str]]:
        return list(self._units.order_by("name").values_list("pk", "slug", "name"))

    @property
    def unit_names(self) -> dict[int, str]:
        return {pk: name for pk, _slug, name in self._found_units}

    def _unit_choices(self) -> list[tuple[str, str]]:
        return [("", "All my units"), *((slug, name) for _pk, slug, name in self._found_units)]


# The queue's orders: each ends on the primary key, so a position in the queue is stable.
QUEUE_SORTS = {
    "oldest": ("Oldest first", ("submitted_at", "pk")),
    "newest": ("Newest first", ("-submitted_at", "-pk")),
    "unit": ("By unit", ("variant__asset__business_unit__name", "submitted_at", "pk")),
    "kind": ("By kind", ("variant__asset__kind", "submitted_at", "pk")),
    "asset": ("By asset", ("variant__asset__key", "number", "pk")),
}


def key_or_title(text: str, prefix: str = "") -> Q:
    """Rows whose asset key or title contains the text."""
    return Q(**{f"{prefix}key__icontains": text}) | Q(**{f"{prefix}title__icontains": text})


class QueueFilterForm(UnitFilterForm):
    q = forms.CharField(required=False, max_length=200, label="Search key or title")
    age = forms.ChoiceField(widget=Select, choices=AGE_CHOICES, required=False)
    sort = forms.ChoiceField(
        widget=Select,
        choices=[(name, label) for name, (label, _) in QUEUE_SORTS.items()],
        required=False,
        label="Order",
    )

    field_order = ["q", "unit", "kind", "age", "sort"]

    def apply(self, versions: QuerySet[Version]) -> QuerySet[Version]:
        data = self.cleaned_data
        if data.get("q"):
            versions = versions.filter(key_or_title(data["q"], "variant__asset__"))
        if data.get("unit"):
            versions = versions.filter(variant__asset__business_unit__slug=data["unit"])
        if data.get("kind"):
            versions = versions.filter(variant__asset__kind=data["kind"])
        if data.get("age"):
            cutoff = timezone.now() - timedelta(days=int(data["age"]))
            versions = versions.filter(submitted_at__lte=cutoff)
        _, order = QUEUE_SORTS[data.get("sort") or "oldest"]
        return versions.order_by(*order)


class LibraryFilterForm(UnitFilterForm):
    q = forms.CharField(required=False, max_length=200, label="Search key or title")
    state = forms.ChoiceField(
        widget=Select,
        choices=[("", "Any state"), *VersionState.choices],
        required=False,
        label="Has a version that is",
    )

    field_order = ["q", "unit", "kind", "state"]

    def apply(self, assets: QuerySet[Asset]) -> QuerySet[Asset]:
        data = self.cleaned_data
        if data.get("q"):
            assets = assets.filter(key_or_title(data["q"]))
        if data.get("unit"):
            assets = assets.filter(business_unit__slug=data["unit"])
        if data.get("kind"):
            assets = assets.filter(kind=data["kind"])
        if data.get("state"):
            assets = assets.filter(variants__versions__state=data["state"]).distinct()
        return assets


class AssetForm(forms.Form):
    key = forms.CharField(max_length=200, help_text="Stable id, e.g. brand.logo.primary")
    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(widget=Select, choices=Kind.choices)
    business_unit = forms.ModelChoiceField(widget=Select, queryset=BusinessUnit.objects.none())
    regulated = forms.ChoiceField(
        widget=Select,
        choices=[("", "As the kind says"), ("yes", "Regulated"), ("no", "Not regulated")],
        required=False,
        help_text="Disclaimers, disclosure graphics and legal artwork are regulated by default.",
    )

    def __init__(self, *args: Any, units: QuerySet[BusinessUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = units  # type: ignore[attr-defined]

    def regulated_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("regulated") or "")


class VersionForm(forms.Form):
    file = forms.FileField(required=False, help_text="PNG, JPEG, TIFF, WebP or SVG")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    language = forms.CharField(
        required=False, max_length=35, help_text="e.g. de or de-CH; empty: any"
    )
    region = forms.CharField(required=False, max_length=2, help_text="e.g. DE; empty: any")
    segment = forms.CharField(required=False, max_length=100, help_text="empty: any")
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="none ticked: every channel",
    )

    def __init__(self, *args: Any, asset: Asset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asset = asset
        del self.fields["file" if asset.takes_text else "text"]
