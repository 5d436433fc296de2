"""Every state change of the Smint.io sub-domain, each audited in its transaction: the
connection (authorized, or needing a new authorization; the rotating refresh token) and vocabulary
mappings. The pull applies purchases in sync.py, where the quarantine's retry and dismissal are
too (a retry is a pull of one purchase)."""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assets.models import (
    LicenseeUnit,
    SmintioConnection,
    VocabularyMapping,
)
from assets.smintio.client import SmintioError
from assets.smintio.vocabularies import clean_values
from audit.services import audit_record
from govern.access import user_can_anywhere
from govern.models import BusinessUnit
from govern.roles import Capability


def smintio_authorize(
    *,
    refresh_token: str,
    via: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    **data: Any,
) -> SmintioConnection:
    """Store a refresh token from a new consent; the sync works again."""
    with transaction.atomic():
        connection, _ = SmintioConnection.objects.update_or_create(
            pk=1,
            defaults={
                "refresh_token": refresh_token,
                "last_error": "",
                "state": SmintioConnection.State.OK,
            },
        )
        audit_record(action="smintio.authorized", actor=actor, data={"via": via, **data})
    return connection


def smintio_authorization_lost(*, detail: str) -> bool:
    """Mark the connection as needing a new authorization; audited once, when it changes."""
    with transaction.atomic():
        changed = (
            SmintioConnection.objects.filter(pk=1)
            .exclude(state=SmintioConnection.State.NEEDS_AUTHORIZATION)
            .update(state=SmintioConnection.State.NEEDS_AUTHORIZATION, last_error=detail)
        )
        if changed:
            audit_record(action="smintio.authorization_lost", data={"error": detail})
    return bool(changed)


class DatabaseTokens:
    """Keep the rotating refresh token in SmintioConnection.

    The row is locked while the token is traded, so two workers refreshing at once take turns:
    the second reads the token the first just received instead of reusing a spent one.
    """

    def exchange(self, trade: Callable[[str], str]) -> None:
        try:
            with transaction.atomic():
                _connection()
                connection = SmintioConnection.objects.select_for_update(no_key=True).get(pk=1)
                if connection.state == SmintioConnection.State.NEEDS_AUTHORIZATION:
                    raise SmintioError(
                        connection.last_error or "Smint.io needs a new authorization.",
                        retryable=False,
                        code="invalid_grant",
                    )
                current = connection.refresh_token or settings.SMINTIO_REFRESH_TOKEN
                connection.refresh_token = trade(current)
                connection.save(update_fields=["refresh_token"])
        except SmintioError as error:
            if error.code in {"invalid_grant", "invalid_client"}:
                smintio_authorization_lost(detail=error.detail)
            raise


def _connection() -> SmintioConnection:
    connection, _ = SmintioConnection.objects.get_or_create(pk=1)
    return connection


def vocabulary_map(
    *, vocabulary: str, key: str, values: list[str], actor: User
) -> VocabularyMapping:
    """Say what a Smint.io vocabulary key means in Govern's terms (administrators, audited)."""
    if not actor.is_staff and not user_can_anywhere(actor, Capability.DECIDE_VERSIONS):
        raise PermissionDenied("Only administrators and compliance officers map vocabularies.")
    cleaned = clean_values(vocabulary, values)
    if not key.strip() or len(key) > 200:
        raise ValidationError({"key": "Name the key (at most 200 characters)."})
    with transaction.atomic():
        mapping, _ = VocabularyMapping.objects.update_or_create(
            vocabulary=vocabulary,
            key=key.strip(),
            defaults={"values": cleaned, "updated_by": actor, "updated_at": timezone.now()},
        )
        audit_record(
            action="vocabulary.mapped",
            actor=actor,
            target=mapping,
            data={"vocabulary": vocabulary, "key": mapping.key, "values": cleaned},
        )
    return mapping


LICENSEE_UUID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,99}$")


def licensee_map(*, licensee_uuid: str, unit: BusinessUnit, actor: User) -> LicenseeUnit:
    """Say which unit a Smint.io licensee's new purchases belong to (administrators), audited.
    Assets that arrived earlier stay where they are."""
    if not actor.is_staff:
        raise PermissionDenied("Only administrators map Smint.io licensees to units.")
    licensee_uuid = licensee_uuid.strip()
    if not LICENSEE_UUID.match(licensee_uuid):
        raise ValidationError({"licensee_uuid": "Give the licensee's uuid as Smint.io sends it."})
    with transaction.atomic():
        mapping, _ = LicenseeUnit.objects.update_or_create(
            licensee_uuid=licensee_uuid,
            defaults={"business_unit": unit, "updated_by": actor, "updated_at": timezone.now()},
        )
        audit_record(
            action="smintio.licensee_mapped",
            actor=actor,
            target=mapping,
            unit_id=unit.pk,
            data={"licensee": licensee_uuid, "unit": unit.slug},
        )
    return mapping
