"""The one way to write the audit log."""

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from audit import checkpoints
from audit.chain import GENESIS_HASH
from audit.models import AuditEvent

# Any constant works; it names the one advisory lock that serialises writers of the chain.
CHAIN_LOCK_KEY = 0x60_76_E2_4A


def _lock_chain() -> None:
    """Serialise chain writers until the surrounding transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite runs every transaction as BEGIN IMMEDIATE (see settings): one writer at a time.


def _normalise(data: dict[str, Any] | None) -> dict[str, Any]:
    """Return data as it will read back from the JSON column, so its hash stays stable."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def target_type(target: models.Model | None) -> str:
    """Name a target as the trail always has: a model that moved between apps keeps its old
    name through an `audit_type` attribute, so one thing reads one way across the trail."""
    if target is None:
        return ""
    return str(getattr(target, "audit_type", target._meta.label_lower))


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    target: models.Model | None = None,
    unit_id: int | None = None,
    data: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction. `actor_label` names an
    author that is no person (a provisioning client, "scim:entra")."""
    person = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        event = AuditEvent(
            sequence=sequence,
            created_at=timezone.now(),
            actor_id=person.pk if person else None,
            actor_name=person.get_username() if person else actor_label[:150],
            action=action,
            target_type=target_type(target),
            target_id=str(target.pk) if target is not None else "",
            business_unit_id=unit_id,
            data=_normalise(data),
            prev_hash=prev_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


def audit_checkpoint() -> checkpoints.Checkpoint:
    """Sign the chain's current head and append it outside the database (the schedule and
    `manage.py audit_checkpoint` both call this)."""
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    size, head_hash = head if head else (0, GENESIS_HASH)
    return checkpoints.write(size, head_hash)
