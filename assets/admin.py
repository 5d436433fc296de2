from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from assets.models import VocabularyMapping
from assets.services import UNIT_FIELDS, unit_create, unit_update
from assets.smintio.services import vocabulary_map
from govern.access import acting_user
from govern.models import BusinessUnit


class VocabularyMappingForm(forms.ModelForm):
    values_text = forms.CharField(
        label="Values", help_text="Comma-separated: ISO regions (DE, *), channels or BCP 47 tags."
    )

    class Meta:
        model = VocabularyMapping
        fields = ["vocabulary", "key"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["values_text"] = ", ".join(self.instance.values)


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    """Units are created and changed through the audited services; the slug never changes."""

    list_display = ["name", "slug", "industry", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "industry", "publishes_editorial"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["slug"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in UNIT_FIELDS}
        if change:
            unit_update(
                unit=BusinessUnit.objects.get(pk=obj.pk), actor=acting_user(request), **values
            )
            return
        unit, _created = unit_create(slug=obj.slug, actor=acting_user(request), **values)
        obj.pk = unit.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a unit's history (versions, audit events) outlives it


@admin.register(VocabularyMapping)
class VocabularyMappingAdmin(admin.ModelAdmin):
    """Edit what vocabulary keys mean; each save goes through the audited service."""

    form = VocabularyMappingForm
    list_display = ["vocabulary", "key", "values", "updated_by", "updated_at"]
    list_filter = ["vocabulary"]
    search_fields = ["key"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = vocabulary_map(
            vocabulary=obj.vocabulary,
            key=obj.key,
            values=form.cleaned_data["values_text"].split(","),
            actor=acting_user(request),
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
