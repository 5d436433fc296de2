"""Role grants and API keys: every change audited in its transaction."""

import secrets
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from govern.models import (
    ApiKey,
    BusinessUnit,
    BusinessUnitUserObjectPermission,
    SetupProblem,
    hash_api_key,
)
from govern.roles import Role
from govern.usernames import clean_username
from govern.zones import default_zone_name

API_KEY_PREFIX = "gvk_"


def user_create(
    *,
    username: str,
    password: str | None,
    actor: User | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> tuple[User, bool]:
    """Create an account, audited; return the existing one unchanged (False) if the name is
    taken. Without a password the account cannot log in (an integration account's)."""
    username = clean_username(username)
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": email},
        )
        if not created:
            return user, False
        _password_set(user, password)
        audit_record(
            action="user.created",
            actor=actor,
            target=user,
            data={"username": username, "can_log_in": password is not None},
        )
    return user, True


def user_password_set(*, user: User, password: str, actor: User | None) -> None:
    """Give an account a new password (an administrator's reset), audited; never the password."""
    with transaction.atomic():
        _password_set(user, password)
        audit_record(
            action="user.password_set", actor=actor, target=user, data={"username": user.username}
        )


def _password_set(user: User, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])


def role_permission(role: Role) -> Permission:
    return Permission.objects.get(content_type__app_label="govern", codename=role.value)


def role_grant(*, user: User, role: Role, unit: BusinessUnit, actor: User | None) -> bool:
    """Give a user a role in a unit; return False when they already held it."""
    with transaction.atomic():
        _grant, created = BusinessUnitUserObjectPermission.objects.get_or_create(
            user=user, permission=role_permission(role), content_object=unit
        )
        if not created:
            return False
        user.groups.add(Group.objects.get(name=role.value))
        audit_record(
            action="role.granted",
            actor=actor,
            target=user,
            unit_id=unit.pk,
            data={"username": user.username, "role": role.value, "unit": unit.slug},
        )
    return True


def installation_auditor_grant(*, user: User, actor: User | None) -> bool:
    """Let a user read the audit events that belong to no unit; False when they could."""
    permission = Permission.objects.get(
        content_type__app_label="audit", codename="view_installation_events"
    )
    with transaction.atomic():
        if user.user_permissions.filter(pk=permission.pk).exists():
            return False
        user.user_permissions.add(permission)
        audit_record(
            action="role.granted",
            actor=actor,
            target=user,
            data={"username": user.username, "role": "auditor", "unit": None},
        )
    return True


def role_revoke(*, user: User, role: Role, unit: BusinessUnit, actor: User | None) -> bool:
    """Take a role in a unit away from a user; return False when they did not hold it."""
    permission = role_permission(role)
    with transaction.atomic():
        deleted, _ = BusinessUnitUserObjectPermission.objects.filter(
            user=user, permission=permission, content_object=unit
        ).delete()
        if not deleted:
            return False
        if not BusinessUnitUserObjectPermission.objects.filter(
            user=user, permission=permission
        ).exists():
            user.groups.remove(Group.objects.get(name=role.value))
        audit_record(
            action="role.revoked",
            actor=actor,
            target=user,
            unit_id=unit.pk,
            data={"username": user.username, "role": role.value, "unit": unit.slug},
        )
    return True


def api_key_name_problem(name: str) -> str | None:
    """Say why a name cannot hold API keys, or return None."""
    if ApiKey.objects.filter(name=name, revoked_at__isnull=True).exists():
        return f"An active API key named '{name}' exists; revoke it first."
    account = User.objects.filter(username=name).first()
    if account is not None and account.has_usable_password():
        return f"'{name}' is a person's account; API keys need their own name."
    return None


def _integration_account(name: str, actor: User | None) -> User:
    name = clean_username(name)
    problem = api_key_name_problem(name)
    if problem:
        raise ValidationError(problem)
    account, _created = user_create(username=name, password=None, actor=actor)
    return account


def api_key_create(
    *, name: str, units: list[BusinessUnit], actor: User | None
) -> tuple[ApiKey, str]:
    """Issue a key for an integration account scoped to units; return it and the raw key."""
    if not units:
        raise ValidationError("An API key needs at least one business unit.")
    prefix = secrets.token_hex(4)
    raw_key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        account = _integration_account(name, actor)
        for unit in units:
            role_grant(user=account, role=Role.INTEGRATION, unit=unit, actor=actor)
        api_key = ApiKey.objects.create(
            name=name, user=account, prefix=prefix, key_hash=hash_api_key(raw_key), created_by=actor
        )
        api_key.units.set(units)
        data = {"name": name, "prefix": prefix, "units": sorted(u.slug for u in units)}
        _audit_key("api_key.created", api_key, actor, data)
    return api_key, raw_key


def _audit_key(action: str, api_key: ApiKey, actor: User | None, data: dict[str, Any]) -> None:
    """Record a key's event once in each of its units, so each unit's auditors see it."""
    for unit_id in sorted(api_key.units.values_list("pk", flat=True)):
        audit_record(action=action, actor=actor, target=api_key, unit_id=unit_id, data=data)


def api_key_revoke(*, api_key: ApiKey, actor: User | None) -> bool:
    """Revoke a key at once; return False when it was already revoked."""
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            return False
        _audit_key(
            "api_key.revoked", api_key, actor, {"name": api_key.name, "prefix": api_key.prefix}
        )
    api_key.refresh_from_db(fields=["revoked_at"])
    return True


UNIT_FIELDS = ("name", "industry", "publishes_editorial", "time_zone", "proof_unavailable_blocks")


def unit_create(
    *,
    slug: str,
    name: str,
    actor: User | None,
    industry: str = "",
    publishes_editorial: bool = False,
    time_zone: str = "",
    proof_unavailable_blocks: bool = True,
) -> tuple[BusinessUnit, bool]:
    """Create a business unit, or return the one with this slug and name unchanged (False).

    A slug that is not a slug, a name another unit has, a slug whose unit has another name, or
    a zone that is not an IANA name is refused with the reason (ValidationError); nothing
    changes. Without a zone the unit plans in the server's (TIME_ZONE).
    """
    wanted = BusinessUnit(
        slug=slug,
        name=name.strip(),
        industry=industry,
        publishes_editorial=publishes_editorial,
        time_zone=time_zone.strip() or default_zone_name(),
        proof_unavailable_blocks=proof_unavailable_blocks,
    )
    existing = BusinessUnit.objects.filter(slug=slug).first()
    if existing is not None:
        if existing.name != wanted.name:
            raise ValidationError(f"Unit '{slug}' exists, named '{existing.name}'.")
        return existing, False
    wanted.full_clean()
    with transaction.atomic():
        wanted.save()
        audit_record(
            action="unit.created",
            actor=actor,
            target=wanted,
            unit_id=wanted.pk,
            data={"slug": slug, **{field: getattr(wanted, field) for field in UNIT_FIELDS}},
        )
    return wanted, True


def unit_update(*, unit: BusinessUnit, actor: User | None, **changes: Any) -> BusinessUnit:
    """Change a unit's name, industry, editorial flag, time zone or whether an unavailable proof
    blocks its runs (its slug is its identity)."""
    before = {field: getattr(unit, field) for field in UNIT_FIELDS}
    for field, value in changes.items():
        if field not in UNIT_FIELDS:
            raise ValidationError(f"A unit's {field} cannot be changed here.")
        setattr(unit, field, value)
    unit.full_clean()
    after = {field: getattr(unit, field) for field in UNIT_FIELDS}
    if after == before:
        return unit
    with transaction.atomic():
        unit.save(update_fields=[field for field in UNIT_FIELDS if after[field] != before[field]])
        audit_record(
            action="unit.changed",
            actor=actor,
            target=unit,
            unit_id=unit.pk,
            data={
                field: [before[field], after[field]]
                for field in after
                if after[field] != before[field]
            },
        )
    return unit


def setup_problem_report(*, part: str, detail: str) -> None:
    """Keep what stops a part of Govern working as set up, for /healthz and that part's pages."""
    SetupProblem.objects.update_or_create(
        part=part, defaults={"detail": detail[:2000], "seen_at": timezone.now()}
    )


def setup_problem_clear(*, part: str) -> None:
    """Forget a part's setup problem once the part works again."""
    SetupProblem.objects.filter(part=part).delete()
