"""People from the identity provider: the account a provider's subject is, and the roles its
groups give, through group mappings administrators keep.

A person's grants follow the provider at each sign-in (and each provisioning call): a mapped
group the person is in gives its role in its unit; a role the provider gave and no group gives
any more is taken away. A grant given by hand is never taken away by the provider: only grants
the provider made are recorded as its own (ProviderGrant).
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from govern.api_only import is_integration_account
from govern.models import BusinessUnit, ExternalIdentity, GroupMapping, ProviderGrant
from govern.roles import Role
from govern.services import role_grant, role_revoke

MAX_GROUPS = 500
MAX_GROUP_LENGTH = 255


def clean_groups(value: Any) -> list[str]:
    """The group names a claim gives: a list of strings (a single string is one group)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return sorted({g for g in value[:MAX_GROUPS] if isinstance(g, str) and g.strip()})


def person_from_claims(claims: dict[str, Any], issuer: str) -> User:
    """The account of the person the provider signed in, made or linked the first time, with
    their grants following their groups. Raise PermissionDenied for an account that may not
    sign in this way."""
    subject = str(claims["sub"])
    username = str(claims.get(settings.OIDC_USERNAME_CLAIM) or subject)[:150]
    groups = clean_groups(claims.get(settings.OIDC_GROUPS_CLAIM))
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update(no_key=True)
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        user = identity.user if identity is not None else _account(username, claims, issuer)
        if not user.is_active:
            raise PermissionDenied("This account is deactivated.")
        if is_integration_account(user):
            raise PermissionDenied("Integration accounts sign in with API keys only.")
        if identity is None:
            identity = ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        identity.groups, identity.last_login_at = groups, timezone.now()
        identity.save(update_fields=["groups", "last_login_at"])
        grants_follow(user, groups, source=issuer)
    return user


def _account(username: str, claims: dict[str, Any], issuer: str) -> User:
    """Link the account of that username, or make one without a password."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        if ExternalIdentity.objects.filter(user=user).exclude(issuer=issuer).exists():
            raise PermissionDenied("This account signs in through another identity provider.")
        audit_record(
            action="auth.identity_linked",
            actor=user,
            target=user,
            data={"issuer": issuer, "subject": str(claims["sub"])[:255]},
        )
        return user
    user = User(
        username=username,
        email=str(claims.get("email") or "")[:254],
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    user.set_unusable_password()
    user.save()
    audit_record(
        action="user.created",
        target=user,
        data={"username": username, "by": issuer},
    )
    return user


def grants_follow(user: User, groups: list[str], *, source: str) -> tuple[int, int]:
    """Give the roles the person's mapped groups give, take away those the provider gave
    that no group gives any more; return how many were given and taken."""
    wanted = {
        (mapping.role, mapping.business_unit_id)
        for mapping in GroupMapping.objects.filter(group__in=groups)
    }
    held = {
        (grant.role, grant.business_unit_id): grant
        for grant in ProviderGrant.objects.filter(user=user)
    }
    units = BusinessUnit.objects.in_bulk({unit for _role, unit in wanted | set(held)})
    given = taken = 0
    for role, unit in sorted(wanted - set(held)):
        if role_grant(user=user, role=Role(role), unit=units[unit], actor=None):
            ProviderGrant.objects.create(user=user, role=role, business_unit_id=unit)
            given += 1
    for key in sorted(set(held) - wanted):
        role, unit = key
        role_revoke(user=user, role=Role(role), unit=units[unit], actor=None)
        held[key].delete()
        taken += 1
    if given or taken:
        audit_record(
            actor_label=source,
            action="auth.grants_followed",
            target=user,
            data={"source": source, "groups": groups[:50], "given": given, "taken": taken},
        )
    return given, taken


def group_map(*, group: str, role: Role, unit: BusinessUnit, actor: User | None) -> bool:
    """Let a provider's group give a role in a unit; the people in it get it at once."""
    _check_group(group)
    with transaction.atomic():
        _mapping, created = GroupMapping.objects.get_or_create(
            group=group, role=role.value, business_unit=unit
        )
        if created:
            audit_record(
                action="group.mapped",
                actor=actor,
                unit_id=unit.pk,
                data={"group": group, "role": role.value, "unit": unit.slug},
            )
            _refollow(group)
    return created


def group_unmap(*, group: str, role: Role, unit: BusinessUnit, actor: User | None) -> bool:
    """Stop a group giving a role in a unit; what it gave the provider's people goes at once."""
    with transaction.atomic():
        deleted, _ = GroupMapping.objects.filter(
            group=group, role=role.value, business_unit=unit
        ).delete()
        if deleted:
            audit_record(
                action="group.unmapped",
                actor=actor,
                unit_id=unit.pk,
                data={"group": group, "role": role.value, "unit": unit.slug},
            )
            _refollow(group)
    return bool(deleted)


def _check_group(group: str) -> None:
    if not group.strip() or len(group) > MAX_GROUP_LENGTH:
        raise ValidationError({"group": f"A group is 1 to {MAX_GROUP_LENGTH} characters."})


def _refollow(group: str) -> None:
    """Let the grants of everyone the provider last put in `group` follow the mappings now."""
    identities = ExternalIdentity.objects.select_related("user").iterator()
    for identity in _in_group(identities, group):
        grants_follow(identity.user, identity.groups, source="group mapping")


def _in_group(identities: Any, group: str) -> list[ExternalIdentity]:
    """Filter in Python: SQLite's JSON fields have no containment lookup."""
    return [identity for identity in identities if group in identity.groups]
