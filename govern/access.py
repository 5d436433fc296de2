"""Who may see and do what: roles per business unit, resolved once per request."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from rest_framework.exceptions import ValidationError

from govern.models import ApiKey, BusinessUnit, BusinessUnitUserObjectPermission
from govern.roles import CAPABILITIES, Capability, Role

ModelT = TypeVar("ModelT", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """The roles a user holds, per business unit id."""

    roles_by_unit: dict[int, frozenset[Role]] = field(default_factory=dict)

    @property
    def unit_ids(self) -> set[int]:
        return set(self.roles_by_unit)

    @property
    def roles(self) -> set[Role]:
        return set().union(*self.roles_by_unit.values()) if self.roles_by_unit else set()

    def can(self, capability: Capability, unit_id: int) -> bool:
        return bool(self.roles_by_unit.get(unit_id, frozenset()) & CAPABILITIES[capability])

    def unit_ids_for(self, capability: Capability) -> set[int]:
        return {unit_id for unit_id in self.roles_by_unit if self.can(capability, unit_id)}


def holders(role: Role, unit_id: int) -> models.QuerySet[User]:
    """The active people who hold a role in a unit."""
    ids = BusinessUnitUserObjectPermission.objects.filter(
        content_object_id=unit_id, permission__codename=role.value
    ).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True)


def acting_user(request: HttpRequest) -> User:
    """Return the authenticated user of a request that passed an authentication check."""
    if not request.user.is_authenticated:
        raise PermissionDenied("Log in first.")
    return cast(User, request.user)


def user_can(user: Any, capability: Capability, unit_id: int) -> bool:
    """Say whether a user holds a role granting capability in a unit (one query)."""
    if not user.is_authenticated:
        return False
    codenames = BusinessUnitUserObjectPermission.objects.filter(
        user=user, content_object_id=unit_id
    ).values_list("permission__codename", flat=True)
    return bool({Role(c) for c in codenames if c in Role.values} & CAPABILITIES[capability])


def user_can_anywhere(user: Any, capability: Capability) -> bool:
    """Say whether a user holds a role granting capability in any unit (one query)."""
    if not user.is_authenticated:
        return False
    codenames = set(
        BusinessUnitUserObjectPermission.objects.filter(user=user).values_list(
            "permission__codename", flat=True
        )
    )
    return bool({Role(c) for c in codenames if c in Role.values} & CAPABILITIES[capability])


def require(user: Any, capability: Capability, unit_id: int) -> None:
    """Raise PermissionDenied unless the user may do this in the unit."""
    if not user_can(user, capability, unit_id):
        raise PermissionDenied(f"Your role in this unit does not allow: {capability.label}.")


def _load_scope(request: Any) -> Scope:
    user = request.user
    if not user.is_authenticated:
        return Scope()
    grants = BusinessUnitUserObjectPermission.objects.filter(user=user)
    api_key = getattr(request, "auth", None)
    if isinstance(api_key, ApiKey):  # a key acts only in the units it was issued for
        grants = grants.filter(content_object__api_keys=api_key)
    roles: dict[int, set[Role]] = defaultdict(set)
    for unit_id, codename in grants.values_list("content_object_id", "permission__codename"):
        if codename in Role.values:
            roles[unit_id].add(Role(codename))
    return Scope({unit_id: frozenset(held) for unit_id, held in roles.items()})


def scope_for(request: HttpRequest) -> Scope:
    """Return the caller's scope, computed once per request."""
    # DRF wraps the Django request; cache on the underlying one so both share it.
    holder: Any = getattr(request, "_request", request)
    scope = getattr(holder, "_govern_scope", None)
    if scope is None:
        scope = _load_scope(request)
        holder._govern_scope = scope
    return scope


def scoped(
    request: HttpRequest,
    queryset: models.QuerySet[ModelT],
    unit_field: str = "business_unit",
    capability: Capability = Capability.VIEW,
) -> models.QuerySet[ModelT]:
    """Narrow a queryset to the units where the caller holds a role granting capability."""
    unit_ids = scope_for(request).unit_ids_for(capability)
    return queryset.filter(**{f"{unit_field}_id__in": unit_ids})


def unit_named(request: HttpRequest, slug: str) -> BusinessUnit:
    """Return the caller's unit with this slug (an input names it), or a 400 naming the field."""
    unit = BusinessUnit.objects.filter(pk__in=scope_for(request).unit_ids, slug=slug).first()
    if unit is None:
        raise ValidationError({"business_unit": "No such unit among yours."})
    return unit


def get_scoped_or_404(
    request: HttpRequest,
    queryset: models.QuerySet[ModelT],
    *,
    unit_field: str = "business_unit",
    capability: Capability = Capability.VIEW,
    **lookup: Any,
) -> ModelT:
    """Return the object, 404 outside the caller's units, 403 without the capability."""
    try:
        obj = scoped(request, queryset, unit_field).get(**lookup)
    except ObjectDoesNotExist as missing:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the query.") from missing
    if not scope_for(request).can(capability, _unit_id(obj, unit_field)):
        raise PermissionDenied(f"Your role in this unit does not allow: {capability.label}.")
    return obj


def _unit_id(obj: models.Model, unit_field: str) -> int:
    """Follow a lookup path such as variant__asset__business_unit to the unit's id."""
    *path, last = unit_field.split("__")
    for name in path:
        obj = getattr(obj, name)
    return int(getattr(obj, f"{last}_id"))
