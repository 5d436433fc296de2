"""Send one claimed webhook delivery: the event as JSON, signed Stripe-style.

    Govern-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=...]

one v1 per secret that signs now (two during a rotation). Govern-Event-Id is the event's id,
the same on every attempt: the subscriber's idempotency key. Redirects are not followed (a 3xx
is a refusal), the URL is checked again before each attempt (a name may come to point at a
private address), and a subscriber gets WEBHOOK_TIMEOUT_SECONDS to answer.
"""

import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from templates_app.models import DeliveryState, WebhookDelivery
from templates_app.outbox import services as outbox
from templates_app.webhooks.services import checked_address, signing_secrets

USER_AGENT = "Govern-Webhooks/1"


def signature(body: bytes, secrets: list[str], at: int) -> str:
    """The Govern-Signature header for a body signed at `at` with each secret."""
    signed = f"{at}.".encode() + body
    parts = [f"t={at}"] + [
        f"v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}" for secret in secrets
    ]
    return ",".join(parts)


def payload(delivery: WebhookDelivery) -> bytes:
    """The body every attempt of this delivery sends, byte for byte the same."""
    event = delivery.event
    body = {
        "id": str(event.pk),
        "type": event.type,
        "created": event.created_at.isoformat(),
        "business_unit": event.business_unit.slug if event.business_unit else None,
        "data": event.data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def send(pk: int, lease: datetime, http: httpx.Client | None = None) -> str:
    """POST the event to its endpoint; record delivered, retrying or dead; return which."""
    delivery = WebhookDelivery.objects.select_related("event__business_unit", "endpoint").get(pk=pk)
    endpoint = delivery.endpoint
    if not endpoint.active:
        outbox.finish(pk, lease, WebhookDelivery, state=DeliveryState.SKIPPED)
        return "skipped"
    refusal, address = checked_address(endpoint.url)
    secrets = signing_secrets(endpoint)
    if refusal or not secrets:
        return _give_up(delivery, lease, refusal or "The endpoint has no secret that can sign.")
    body = payload(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Govern-Event-Id": str(delivery.event_id),
        "Govern-Event-Type": delivery.event.type,
        "Govern-Signature": signature(body, secrets, int(timezone.now().timestamp())),
    }
    url, extensions = pinned(endpoint.url, address, headers)
    try:
        with http or httpx.Client(
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS, trust_env=False
        ) as client:
            request = client.build_request(
                "POST", url, content=body, headers=headers, extensions=extensions
            )
            answer = client.send(request, follow_redirects=False, stream=True)
            answer.close()  # the status is the answer: a body is never read
    except httpx.HTTPError as error:
        return _retry(delivery, lease, f"{type(error).__name__}: {error}"[:500], None)
    if answer.is_success:
        return _delivered(delivery, lease, answer.status_code)
    if answer.is_redirect:
        where = answer.headers.get("location", "")[:200]
        return _give_up(
            delivery,
            lease,
            f"It answered {answer.status_code} to {where}: Govern does not follow redirects.",
            answer.status_code,
        )
    return _retry(delivery, lease, f"It answered {answer.status_code}.", answer.status_code)


def pinned(url: str, address: str, headers: dict[str, str]) -> tuple[str, dict[str, object]]:
    """Send to the address the check resolved, not to whatever the name resolves to next: the
    URL names the address, the Host header and TLS (SNI and the certificate) the name."""
    if not address:
        return url, {}
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host + (f":{parts.port}" if parts.port else "")
    headers["Host"] = parts.netloc
    return urlunsplit(parts._replace(netloc=netloc)), {"sni_hostname": parts.hostname}


def _audit(action: str, delivery: WebhookDelivery, **data: object) -> None:
    audit_record(
        action=action,
        target=delivery.endpoint,
        unit_id=delivery.event.business_unit_id,
        data={"event": str(delivery.event_id), "type": delivery.event.type, **data},
    )


def _delivered(delivery: WebhookDelivery, lease: datetime, status: int) -> str:
    with transaction.atomic():
        if outbox.finish(
            delivery.pk,
            lease,
            WebhookDelivery,
            state=DeliveryState.DELIVERED,
            last_error="",
            response_status=status,
            delivered_at=timezone.now(),
        ):
            _audit("webhook.delivered", delivery, attempts=delivery.attempts, status=status)
    return "delivered"


def _retry(delivery: WebhookDelivery, lease: datetime, detail: str, status: int | None) -> str:
    if delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        return _give_up(delivery, lease, detail, status)
    next_attempt_at = timezone.now() + outbox.backoff(delivery.attempts)
    with transaction.atomic():
        if outbox.finish(
            delivery.pk,
            lease,
            WebhookDelivery,
            state=DeliveryState.RETRYING,
            last_error=detail,
            response_status=status,
            next_attempt_at=next_attempt_at,
        ):
            _audit("webhook.retrying", delivery, attempts=delivery.attempts, error=detail)
    return "retrying"


def _give_up(
    delivery: WebhookDelivery, lease: datetime, reason: str, status: int | None = None
) -> str:
    with transaction.atomic():
        if outbox.finish(
            delivery.pk,
            lease,
            WebhookDelivery,
            state=DeliveryState.DEAD,
            last_error=reason,
            response_status=status,
        ):
            _audit("webhook.dead", delivery, attempts=delivery.attempts, error=reason)
    return "dead"
