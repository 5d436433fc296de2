"""Provisioning from the identity provider (SCIM 2.0, RFC 7643 and 7644): people and groups as
the provider's client sends them, each change audited with the provider named as its author.

- A person is a Govern account (`userName` its username) with the client's `externalId`;
  `active: false`, or DELETE, deactivates it: its sessions end and its API keys are revoked in
  the same transaction. The account itself stays, so its name stays in the audit trail and its
  past signatures keep verifying; a deleted person answers 404 afterwards.
- A group's members get what its `displayName` is mapped to (GroupMapping), together with the
  groups their last single sign-on named: grants follow at every change.
- The last active administrator (a superuser) cannot be deactivated.
"""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from govern.api_only import is_integration_account
from govern.identity.services import grants_follow
from govern.identity.sessions import sessions_end
from govern.models import ApiKey, ExternalIdentity, ScimGroup, ScimUser
from govern.services import api_key_revoke


class ScimRefusal(Exception):
    """A request SCIM answers with an error: its HTTP status and `scimType`."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def _by(provider: str) -> dict[str, str]:
    return {"by": f"scim:{provider}"}


def person_groups(user: User) -> list[str]:
    """The groups the provider puts a person in: its SCIM groups and those their last single
    sign-on named."""
    names = set(user.scim_groups.values_list("display_name", flat=True))
    for identity in ExternalIdentity.objects.filter(user=user):
        names.update(identity.groups)
    return sorted(names)


def follow(user: User, provider: str) -> None:
    grants_follow(user, person_groups(user), source=f"scim:{provider}")


def person_create(provider: str, attributes: dict[str, Any]) -> ScimUser:
    """Provision a person: a new account, or the existing one of that username (linked; one
    SCIM deleted before comes back)."""
    username = attributes["userName"]
    with transaction.atomic():
        user = User.objects.select_for_update(no_key=True).filter(username=username).first()
        person = ScimUser.objects.filter(user=user).first() if user is not None else None
        if person is not None and person.deleted_at is None:
            raise ScimRefusal(409, f"userName {username} is taken", "uniqueness")
        if user is not None and is_integration_account(user):
            raise ScimRefusal(409, f"{username} is an integration account", "uniqueness")
        if user is None:
            user = User(username=username)
            user.set_unusable_password()
        _apply(user, attributes)
        external_id = attributes.get("externalId") or ""
        if person is None:
            person = ScimUser.objects.create(user=user, provider=provider, external_id=external_id)
        else:
            person.provider, person.external_id, person.deleted_at = provider, external_id, None
            person.modified_at = timezone.now()
            person.save()
        audit_record(
            actor_label=f"scim:{provider}",
            action="scim.user_created",
            target=user,
            data={**_by(provider), "username": username, "active": user.is_active},
        )
        if not user.is_active:
            _deactivate(user, provider)
    return person


def person_update(person: ScimUser, attributes: dict[str, Any]) -> ScimUser:
    """Apply changed attributes; deactivating ends sessions and revokes keys at once."""
    user = person.user
    was_active = user.is_active
    with transaction.atomic():
        if "userName" in attributes and attributes["userName"] != user.username:
            if User.objects.filter(username=attributes["userName"]).exists():
                raise ScimRefusal(409, f"userName {attributes['userName']} is taken", "uniqueness")
            user.username = attributes["userName"]
        if was_active and attributes.get("active") is False:
            _last_administrator(user)
        _apply(user, attributes)
        if "externalId" in attributes:
            person.external_id = attributes["externalId"] or ""
        person.modified_at = timezone.now()
        person.save(update_fields=["external_id", "modified_at"])
        audit_record(
            actor_label=f"scim:{person.provider}",
            action="scim.user_changed",
            target=user,
            data={**_by(person.provider), "fields": sorted(attributes)[:20]},
        )
        if was_active and not user.is_active:
            _deactivate(user, person.provider)
    return person


def person_delete(person: ScimUser) -> None:
    """Deactivate the person and forget them for SCIM; the account stays for the record."""
    with transaction.atomic():
        _last_administrator(person.user)
        person.deleted_at = timezone.now()
        person.save(update_fields=["deleted_at"])
        person.user.scim_groups.clear()
        user = person.user
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        _deactivate(user, person.provider)
        audit_record(
            actor_label=f"scim:{person.provider}",
            action="scim.user_deleted",
            target=user,
            data={**_by(person.provider), "username": user.get_username()},
        )


def _apply(user: User, attributes: dict[str, Any]) -> None:
    name = attributes.get("name") or {}
    if "givenName" in name:
        user.first_name = str(name["givenName"] or "")[:150]
    if "familyName" in name:
        user.last_name = str(name["familyName"] or "")[:150]
    if "emails" in attributes:
        emails = attributes["emails"] or []
        primary = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
        user.email = str(primary.get("value") or "")[:254]
    if "active" in attributes:
        user.is_active = bool(attributes["active"])
    user.save()


def _last_administrator(user: User) -> None:
    if (
        user.is_superuser
        and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
    ):
        raise ScimRefusal(409, "this is the last active administrator", "mutability")


def _deactivate(user: User, provider: str) -> None:
    """End the person's sessions and revoke their API keys (in the caller's transaction)."""
    sessions_end(user=user, actor=None, reason=f"deactivated by scim:{provider}")
    for api_key in ApiKey.objects.filter(user=user, revoked_at__isnull=True):
        api_key_revoke(api_key=api_key, actor=None)
    audit_record(
        actor_label=f"scim:{provider}",
        action="scim.user_deactivated",
        target=user,
        data={**_by(provider), "username": user.get_username()},
    )
    follow(user, provider)


def group_save(
    provider: str, group: ScimGroup | None, name: str, external_id: str, members: list[User]
) -> ScimGroup:
    """Create or replace a group with these members; everyone whose groups changed follows."""
    with transaction.atomic():
        if group is None:
            if ScimGroup.objects.filter(provider=provider, display_name=name).exists():
                raise ScimRefusal(409, f"a group named {name} exists", "uniqueness")
            group = ScimGroup.objects.create(
                provider=provider, display_name=name, external_id=external_id
            )
            action = "scim.group_created"
            before: set[int] = set()
            renamed = False
        else:
            before = set(group.members.values_list("pk", flat=True))
            renamed = group.display_name != name
            group.display_name, group.external_id = name, external_id
            group.modified_at = timezone.now()
            group.save()
            action = "scim.group_changed"
        group.members.set(members)
        after = {member.pk for member in members}
        audit_record(
            actor_label=f"scim:{provider}",
            action=action,
            data={**_by(provider), "group": name, "members": len(after)},
        )
        # A member whose groups did not change keeps what they had: only the others follow.
        changed = before | after if renamed else before ^ after
        for user in User.objects.filter(pk__in=changed):
            follow(user, provider)
    return group


def group_members_change(group: ScimGroup, adding: list[User], removing: list[User]) -> None:
    with transaction.atomic():
        group.members.add(*adding)
        group.members.remove(*removing)
        group.modified_at = timezone.now()
        group.save(update_fields=["modified_at"])
        audit_record(
            actor_label=f"scim:{group.provider}",
            action="scim.group_changed",
            data={
                **_by(group.provider),
                "group": group.display_name,
                "added": [u.get_username() for u in adding][:50],
                "removed": [u.get_username() for u in removing][:50],
            },
        )
        for user in {*adding, *removing}:
            follow(user, group.provider)


def group_delete(group: ScimGroup) -> None:
    with transaction.atomic():
        members = list(group.members.all())
        name, provider = group.display_name, group.provider
        group.delete()
        audit_record(
            actor_label=f"scim:{provider}",
            action="scim.group_deleted",
            data={**_by(provider), "group": name},
        )
        for user in members:
            follow(user, provider)
