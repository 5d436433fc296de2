"""Admin screens for role grants and API keys; every change goes through a service."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from govern.access import acting_user
from govern.identity.services import group_map, group_unmap
from govern.identity.sessions import sessions_end
from govern.models import (
    ApiKey,
    BusinessUnit,
    BusinessUnitUserObjectPermission,
    GroupMapping,
    UserSession,
)
from govern.roles import Role
from govern.services import (
    UNIT_FIELDS,
    api_key_create,
    api_key_name_problem,
    api_key_revoke,
    role_grant,
    role_revoke,
    unit_create,
    unit_update,
)
from govern.zones import ZONE_NAMES, default_zone_name


class RoleGrantForm(forms.ModelForm):
    role = forms.ChoiceField(choices=Role.choices)

    class Meta:
        model = BusinessUnitUserObjectPermission
        fields = ["user", "content_object"]
        labels = {"content_object": "Business unit"}


@admin.register(BusinessUnitUserObjectPermission)
class RoleGrantAdmin(admin.ModelAdmin):
    form = RoleGrantForm
    list_display = ["user", "role", "content_object"]
    list_filter = ["permission__codename", "content_object"]
    search_fields = ["user__username"]
    list_select_related = ["user", "permission", "content_object"]

    @admin.display(description="Role")
    def role(self, grant: BusinessUnitUserObjectPermission) -> str:
        return Role(grant.permission.codename).label

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        role, unit, user = Role(form.cleaned_data["role"]), obj.content_object, obj.user
        if not role_grant(user=user, role=role, unit=unit, actor=acting_user(request)):
            messages.info(request, f"{user} already held {role.label} in {unit}.")
        grant = BusinessUnitUserObjectPermission.objects.select_related("permission").get(
            user=user, content_object=unit, permission__codename=role.value
        )
        obj.pk, obj.permission = grant.pk, grant.permission

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        role = Role(obj.permission.codename)
        role_revoke(user=obj.user, role=role, unit=obj.content_object, actor=acting_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for grant in queryset.select_related("user", "permission", "content_object"):
            self.delete_model(request, grant)


class ApiKeyCreateForm(forms.ModelForm):
    units = forms.ModelMultipleChoiceField(queryset=BusinessUnit.objects.all())

    class Meta:
        model = ApiKey
        fields = ["name"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        problem = api_key_name_problem(name)
        if problem:
            raise forms.ValidationError(problem)
        return name


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyCreateForm
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        units = list(form.cleaned_data["units"])
        api_key, raw_key = api_key_create(
            name=form.cleaned_data["name"], units=units, actor=acting_user(request)
        )
        obj.pk = api_key.pk
        messages.warning(request, f"API key for {api_key.name}, shown once: {raw_key}")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Units were set by the service."""

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = sum(api_key_revoke(api_key=key, actor=acting_user(request)) for key in queryset)
        messages.success(request, f"Revoked {revoked} API key(s).")


class GroupMappingForm(forms.ModelForm):
    class Meta:
        model = GroupMapping
        fields = ["group", "role", "business_unit"]


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    """Which identity provider group gives which role in which unit (through the service)."""

    form = GroupMappingForm
    list_display = ["group", "role", "business_unit", "created_at"]
    list_filter = ["role", "business_unit"]
    search_fields = ["group"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        group_map(
            group=data["group"],
            role=Role(data["role"]),
            unit=data["business_unit"],
            actor=acting_user(request),
        )
        obj.pk = GroupMapping.objects.get(
            group=data["group"], role=data["role"], business_unit=data["business_unit"]
        ).pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        group_unmap(
            group=obj.group,
            role=Role(obj.role),
            unit=obj.business_unit,
            actor=acting_user(request),
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for mapping in queryset.select_related("business_unit"):
            self.delete_model(request, mapping)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """People's signed-in sessions; an administrator ends them (audited)."""

    list_display = ["user", "created_at", "last_seen_at", "address"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    actions = ["end"]
    fields = ["user", "created_at", "last_seen_at", "address", "agent"]
    readonly_fields = ["user", "created_at", "last_seen_at", "address", "agent"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="End selected sessions")
    def end(self, request: HttpRequest, queryset: QuerySet[UserSession]) -> None:
        ended = 0
        for session in queryset.select_related("user"):
            ended += sessions_end(
                user=session.user,
                actor=acting_user(request),
                reason="ended by an administrator",
                only=[session.pk],
            )
        messages.success(request, f"Ended {ended} session(s).")


admin.site.site_header = "Govern administration"


class BusinessUnitForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=[(name, name) for name in ZONE_NAMES],
        initial=default_zone_name,
        help_text=BusinessUnit._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = BusinessUnit
        fields = [
            "name",
            "slug",
            "industry",
            "publishes_editorial",
            "time_zone",
            "proof_unavailable_blocks",
        ]


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    """Units are created and changed through the audited services; the slug never changes."""

    form = BusinessUnitForm
    list_display = ["name", "slug", "industry", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "industry",
        "publishes_editorial",
        "time_zone",
        "proof_unavailable_blocks",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["slug"] if obj is not None else []

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {} if obj is not None else dict(self.prepopulated_fields)  # slug is read-only

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
