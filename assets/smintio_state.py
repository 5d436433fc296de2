"""The Smint.io connection's state, changed only here, each change audited in its transaction:
authorized (a refresh token that works) or needing a new authorization (Smint.io refused it)."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from assets.models import SmintioConnection
from audit.services import audit_record


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
