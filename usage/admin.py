"""Admin screen for usage-limit keys; changes go through the audited service."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govern.access import acting_user
from usage.models import LimitKey
from usage.services import limit_key_set


@admin.register(LimitKey)
class LimitKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "metric", "limit", "set_by", "updated_at"]
    search_fields = ["key"]
    fields = ["key", "metric", "limit"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = limit_key_set(
            key=obj.key, metric=obj.metric, limit=obj.limit, actor=acting_user(request)
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
