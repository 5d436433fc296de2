from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from assets.models import LicenseeUnit, VocabularyMapping
from assets.smintio.services import licensee_map, vocabulary_map
from govern.access import acting_user


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


@admin.register(LicenseeUnit)
class LicenseeUnitAdmin(admin.ModelAdmin):
    """Name the unit a Smint.io licensee's purchases belong to, through the audited service."""

    list_display = ["licensee_uuid", "business_unit", "updated_by", "updated_at"]
    fields = ["licensee_uuid", "business_unit"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        mapping = licensee_map(
            licensee_uuid=form.cleaned_data["licensee_uuid"],
            unit=form.cleaned_data["business_unit"],
            actor=acting_user(request),
        )
        obj.pk = mapping.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # name another unit instead: every change is audited
