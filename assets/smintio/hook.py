"""POST /hooks/smintio: a signed notice that only triggers a pull; the worker does the work.

The signature is `Govern-Signature: t=<unix seconds>,v1=<hex>` where the hex is HMAC-SHA256 of
"<t>.<raw body>" under any of SMINTIO_HOOK_SECRETS (several during a rotation); the time must be
within SMINTIO_HOOK_TOLERANCE_SECONDS. A repeated event id is acknowledged and ignored.
"""

import hashlib
import hmac
import json
import re
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from assets.models import HookEvent
from govern.api import error_body

MAX_HOOK_BYTES = 64 * 1024


def signature_problem(header: str, body: bytes, now: float) -> str | None:
    """Say what is wrong with a signature header, or return None when it is valid."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for name, value in parts if name.strip() == "t"]
    signatures = [value.strip() for name, value in parts if name.strip() == "v1"]
    if len(stamps) != 1 or not re.fullmatch(r"\d{1,12}", stamps[0].strip()) or not signatures:
        return "The Govern-Signature header must read t=<unix time>,v1=<hex>."
    stamp = int(stamps[0])
    if abs(now - stamp) > settings.SMINTIO_HOOK_TOLERANCE_SECONDS:
        return "The signature's time is outside the accepted window."
    signed = f"{stamp}.".encode() + body
    for secret in settings.SMINTIO_HOOK_SECRETS:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, given) for given in signatures):
            return None
    return "The signature does not match."


@csrf_exempt
@require_POST
def smintio_hook(request: HttpRequest) -> JsonResponse:
    """Check the signature, remember the event id, queue a pull, answer 202."""
    too_large = JsonResponse(error_body("too_large", "The notice is too large."), status=413)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or len(declared) > 12 or int(declared) > MAX_HOOK_BYTES:
        return too_large  # refused before the body is read
    try:
        body = request.body[: MAX_HOOK_BYTES + 1]
    except RequestDataTooBig:
        return too_large
    if len(body) > MAX_HOOK_BYTES:
        return too_large
    problem = signature_problem(request.headers.get("Govern-Signature", ""), body, time.time())
    if problem:
        return JsonResponse(error_body("bad_signature", problem), status=401)
    try:
        event_id = str(json.loads(body)["event_id"])[:200]
    except (ValueError, KeyError, TypeError, RecursionError):
        return JsonResponse(
            error_body("invalid", "The body must be JSON with an event_id."), status=400
        )
    try:
        with transaction.atomic():
            HookEvent.objects.create(source="smintio", event_id=event_id)
            async_task("assets.tasks.smintio_sync_task", task_name="smintio-hook")
    except IntegrityError:
        return JsonResponse({"status": "duplicate", "event_id": event_id}, status=202)
    return JsonResponse({"status": "accepted", "event_id": event_id}, status=202)
