"""Every state change of outgoing webhooks, audited: endpoints registered, disabled, their
secrets rotated; events emitted in the caller's transaction (one outbox row per subscriber, so
a slow subscriber never delays a decision); dead deliveries retried by a person."""

import base64
import hashlib
import ipaddress
import secrets
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from audit.services import audit_record
from govern.errors import Conflict
from govern.models import BusinessUnit
from templates_app.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSecret,
)

# Every event a subscriber can ask for, and what it says.
EVENT_TYPES = {
    "version.approved": "A version was approved (signed where regulated).",
    "version.rejected": "A version in review was rejected.",
    "version.withdrawn": "An approved version was withdrawn (a compliance recall).",
    "version.retired": "An approved version was retired.",
    "version.expired": "An approved version's licence ended.",
    "replacement.requested": "A designer asked for a replacement of a version a template uses.",
    "templates.flagged": "Templates were flagged for review by a change of an asset.",
    "preflight.verdict": "A production run asked pre-flight and got go or no-go.",
    "usage.reported": "A production run's usage of a Smint.io purchase, per run.",
    "usage.exception": "A usage report named something not approved or not licensed.",
    "campaign.live": "A campaign went live.",
}
ALL = "*"
ROTATION_HOURS = 24
MAX_ROTATION_HOURS = 24 * 30


def _fernet() -> MultiFernet:
    """Seal with SECRET_KEY; open with it or any of SECRET_KEY_FALLBACKS (a key rotation)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    hashlib.sha256(f"govern-webhook-secrets:{key}".encode()).digest()
                )
            )
            for key in keys
        ]
    )


def unseal(secret: WebhookSecret) -> str:
    """The secret in clear, for signing; a secret sealed under another SECRET_KEY is ''."""
    try:
        return _fernet().decrypt(secret.sealed.encode()).decode()
    except InvalidToken:
        return ""


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets that sign now: the newest first, then any still inside its rotation."""
    now = timezone.now()
    current = endpoint.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return [clear for clear in map(unseal, current) if clear]


def _require_admin(actor: Any) -> None:
    """Administrators manage endpoints; None is a management command (the demo's seed)."""
    if actor is not None and not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only administrators manage webhook endpoints.")


def url_refusal(url: str) -> str:
    """Why Govern will not send to this URL ('' if it will): https only, no credentials, no
    loopback, private or link-local address (both allowed when WEBHOOK_ALLOW_PRIVATE)."""
    refusal, _address = checked_address(url)
    return refusal


def checked_address(url: str) -> tuple[str, str]:
    """The refusal of a URL ('' if none) and the address it resolved to, which the sender
    connects to, so a name cannot point elsewhere between the check and the request."""
    try:
        parts = urlsplit(url.strip())
        hostname, port = parts.hostname, parts.port
    except ValueError:
        return "Give an absolute https:// URL.", ""
    if not url.isprintable() or " " in url.strip():
        return "Give an absolute https:// URL.", ""
    if parts.scheme not in ("https", "http") or not hostname:
        return "Give an absolute https:// URL.", ""
    if parts.scheme != "https" and not settings.WEBHOOK_ALLOW_PRIVATE:
        return "Webhooks are sent over https only.", ""
    if parts.username or parts.password:
        return "Put no credentials in the URL: the signature authenticates Govern.", ""
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return "", ""
    try:
        found = socket.getaddrinfo(hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        return f"{hostname} cannot be resolved.", ""
    addresses = sorted({str(info[4][0]).split("%")[0] for info in found})
    for address in addresses:
        if not ipaddress.ip_address(address).is_global:
            return f"{hostname} points at a loopback or private address ({address}).", ""
    return "", addresses[0] if addresses else ""


def shown(url: str) -> dict[str, str]:
    """What the audit log keeps of an endpoint's URL: its origin and a digest, never a path
    or query that may carry a token."""
    try:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        origin = ""
    return {"origin": origin, "url_sha256": hashlib.sha256(url.encode()).hexdigest()}


def _clean_types(event_types: Any) -> list[str]:
    if not isinstance(event_types, list) or not event_types:
        raise ValidationError({"event_types": "Choose at least one event type, or *."})
    unknown = sorted(str(t) for t in event_types if t != ALL and t not in EVENT_TYPES)
    if unknown:
        raise ValidationError({"event_types": f"Unknown event types: {', '.join(unknown)[:200]}."})
    return [ALL] if ALL in event_types else sorted(set(event_types))


def _new_secret(endpoint: WebhookEndpoint) -> str:
    clear = f"whsec_{secrets.token_urlsafe(32)}"
    WebhookSecret.objects.create(
        endpoint=endpoint, sealed=_fernet().encrypt(clear.encode()).decode(), hint=clear[-4:]
    )
    return clear


def endpoint_register(
    *, url: str, event_types: Any, description: str = "", actor: Any
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint (administrators); return it and its secret, shown this once."""
    _require_admin(actor)
    url = (url or "").strip()
    if len(url) > 500:
        raise ValidationError({"url": "Give a URL of at most 500 characters."})
    refusal = url_refusal(url)
    if refusal:
        raise ValidationError({"url": refusal})
    types = _clean_types(event_types)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            event_types=types,
            description=(description or "").replace("\x00", "")[:200],
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        clear = _new_secret(endpoint)
        audit_record(
            action="webhook.endpoint_registered",
            actor=actor,
            target=endpoint,
            data={**shown(url), "event_types": types},
        )
    return endpoint, clear


def secret_rotate(
    *, endpoint: WebhookEndpoint, actor: Any, overlap_hours: int = ROTATION_HOURS
) -> str:
    """Give the endpoint a new secret, shown once; the ones it had sign too for overlap_hours."""
    _require_admin(actor)
    if not 0 <= overlap_hours <= MAX_ROTATION_HOURS:
        raise ValidationError({"overlap_hours": f"Give 0 to {MAX_ROTATION_HOURS} hours."})
    ends = timezone.now() + timedelta(hours=overlap_hours)
    with transaction.atomic():
        endpoint.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=ends)).update(
            expires_at=ends
        )
        clear = _new_secret(endpoint)
        audit_record(
            action="webhook.secret_rotated",
            actor=actor,
            target=endpoint,
            data={"old_secrets_expire_at": ends.isoformat(), "hint": clear[-4:]},
        )
    return clear


def endpoint_disable(*, endpoint: WebhookEndpoint, actor: Any) -> WebhookEndpoint:
    """Stop sending to an endpoint: what waits for it is skipped, audited."""
    _require_admin(actor)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
        skipped = WebhookDelivery.objects.filter(
            endpoint=endpoint, state__in=(DeliveryState.PENDING, DeliveryState.RETRYING)
        ).update(state=DeliveryState.SKIPPED, last_error="The endpoint was disabled.")
        audit_record(
            action="webhook.endpoint_disabled",
            actor=actor,
            target=endpoint,
            data={**shown(endpoint.url), "skipped": skipped},
        )
    endpoint.refresh_from_db()
    return endpoint


EventData = dict[str, Any] | Callable[[], dict[str, Any]]


def _subscribers(event_type: str) -> list[WebhookEndpoint]:
    """The active endpoints that receive this type (one query)."""
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True)
        if ALL in endpoint.event_types or event_type in endpoint.event_types
    ]


def subscribed(event_type: str) -> bool:
    """Whether anyone receives this type: callers that would build many events ask first."""
    return bool(_subscribers(event_type))


def emit(event_type: str, *, unit: BusinessUnit | int | None, data: EventData) -> int:
    """Record a governance event for every active endpoint subscribed to it, in the caller's
    transaction, and nudge the worker after the commit; return how many will receive it.
    `data` may be a function, called only when someone subscribed."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type}")
    endpoints = _subscribers(event_type)
    if not endpoints:
        return 0
    unit_id = unit.pk if isinstance(unit, BusinessUnit) else unit
    body = data() if callable(data) else data
    event = WebhookEvent.objects.create(type=event_type, business_unit_id=unit_id, data=body)
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=endpoint) for endpoint in endpoints]
    )
    if not any(entry[1] is _nudge for entry in connection.run_on_commit):
        transaction.on_commit(_nudge)  # once per transaction, however many events it emits
    return len(endpoints)


def _nudge() -> None:
    async_task("templates_app.tasks.drain_deliveries", task_name="drain-webhooks")


def webhook_delivery_retry(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """Give a dead delivery to an active endpoint a fresh set of attempts, now, audited."""
    _require_admin(actor)
    if not delivery.endpoint.active:
        raise Conflict("The endpoint is disabled: nothing is sent to it.", "disabled")
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.DEAD).update(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            lease_until=None,
        )
        if not updated:
            raise Conflict("Only a dead delivery can be retried; reload.", "stale_state")
        audit_record(
            action="webhook.retried",
            actor=actor,
            target=delivery.endpoint,
            data={"event": str(delivery.event_id), "last_error": delivery.last_error},
        )
    delivery.refresh_from_db()
    return delivery
