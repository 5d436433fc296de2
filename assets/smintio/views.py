"""The Smint.io pages: connecting a tenant, the quarantine, and the vocabulary mappings.

Connecting is the OAuth authorization-code flow with PKCE, as Smint.io's SDKs authorize (scope
`smintio.full openid profile offline_access`): an administrator starts it; Smint.io asks them to
consent and sends them back with a code; Govern trades the code (with its verifier, in the
client) for tokens and keeps the refresh token, which then rotates. State and verifier live in
the administrator's session only. Quarantined purchases (those that could not be mapped) are
retried or dismissed by administrators; every Smint.io vocabulary key is shown with its label,
its use and its meaning, which compliance officers map.
"""

import base64
import hashlib
import json
import secrets
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language_from_request
from django.views.decorators.http import require_POST

from assets.models import (
    LicenseeUnit,
    LicensePurchase,
    LicenseTerm,
    QuarantinedPurchase,
    QuarantineState,
    SmintioConnection,
    Vocabulary,
    VocabularyLabel,
    VocabularyMapping,
)
from assets.smintio import client as smintio
from assets.smintio import connection as smintio_connection
from assets.smintio.mapping import in_language
from assets.smintio.services import smintio_authorize, vocabulary_map
from assets.smintio.sync import quarantine_dismiss, quarantine_retry
from assets.smintio.vocabularies import CHECKS
from govern.access import acting_user, scope_for
from govern.errors import Conflict
from govern.roles import Capability

SESSION_KEY = "smintio_oauth"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@staff_member_required
def connect(request: HttpRequest) -> HttpResponse:
    """Show the tenant, the redirect URI to register and the connection's state."""
    return render(request, "assets/smintio_connect.html", _context())


@staff_member_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Send the administrator to Smint.io's consent page with a fresh state and challenge."""
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    request.session[SESSION_KEY] = {"state": state, "verifier": verifier}
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.SMINTIO_CLIENT_ID,
            "redirect_uri": settings.SMINTIO_REDIRECT_URI,
            "scope": settings.SMINTIO_SCOPE,
            "state": state,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return HttpResponseRedirect(f"{settings.SMINTIO_AUTHORIZE_URL}?{query}")


@staff_member_required
def callback(request: HttpRequest) -> HttpResponse:
    """Trade the code Smint.io sent back for tokens; keep the refresh token."""
    pending = request.session.pop(SESSION_KEY, None)
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    if request.GET.get("error"):
        messages.error(request, f"Smint.io did not authorize Govern: {request.GET['error'][:100]}.")
        return redirect("assets:smintio-connect")
    if not pending or not code or not secrets.compare_digest(state, pending["state"]):
        messages.error(
            request, "This answer does not belong to a connection you started; start again."
        )
        return render(request, "assets/smintio_connect.html", _context(), status=400)
    try:
        refresh_token = smintio.authorization_code_trade(code, pending["verifier"])
    except smintio.SmintioError as error:
        messages.error(request, f"Smint.io refused the code: {error.detail}")
        return render(request, "assets/smintio_connect.html", _context(), status=400)
    smintio_authorize(
        refresh_token=refresh_token,
        via="consent page",
        actor=acting_user(request),
        authorize_url=settings.SMINTIO_AUTHORIZE_URL,
    )
    smintio_connection.reset_client()
    messages.success(request, "Govern is connected to Smint.io; the next sync uses it.")
    return redirect("assets:smintio-connect")


def _context() -> dict[str, object]:
    # A page only reads: before the first authorization there is no row, and nothing to show.
    stored = SmintioConnection.objects.filter(pk=1).first() or SmintioConnection(pk=1)
    return {
        "connection": stored,
        "unmapped": _unmapped_licensees(),
        "fallback_unit": settings.SMINTIO_UNIT,
        "authorize_url": settings.SMINTIO_AUTHORIZE_URL,
        "redirect_uri": settings.SMINTIO_REDIRECT_URI,
        "scope": settings.SMINTIO_SCOPE,
    }


def _unmapped_licensees() -> list[dict[str, Any]]:
    """Licensees whose purchases went to SMINTIO_UNIT because no unit is named for them."""
    return list(
        LicensePurchase.objects.exclude(licensee_uuid="")
        .exclude(licensee_uuid__in=LicenseeUnit.objects.values("licensee_uuid"))
        .values("licensee_uuid")
        .annotate(name=Max("licensee_name"), purchases=Count("pk"))
        .order_by("licensee_uuid")
    )


@staff_member_required
def quarantine(request: HttpRequest) -> HttpResponse:
    items = QuarantinedPurchase.objects.all()[:200]
    rows = [
        {"item": item, "payload": json.dumps(item.payload, indent=2, ensure_ascii=False)[:20_000]}
        for item in items
    ]
    waiting = QuarantinedPurchase.objects.filter(state=QuarantineState.OPEN).count()
    return render(request, "assets/quarantine.html", {"rows": rows, "waiting": waiting})


@staff_member_required
@require_POST
def quarantine_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(QuarantinedPurchase, pk=pk)
    try:
        if request.POST.get("action") == "dismiss":
            quarantine_dismiss(
                item=item, actor=acting_user(request), reason=request.POST.get("reason", "")
            )
            messages.success(request, f"Purchase {item.uuid} dismissed.")
        else:
            quarantine_retry(item=item, actor=acting_user(request))
            item.refresh_from_db()
            if item.state == QuarantineState.RESOLVED:
                messages.success(request, f"Purchase {item.uuid} is mapped now.")
            else:
                messages.error(request, f"Purchase {item.uuid} still fails: {item.error}")
    except (ValidationError, Conflict, smintio.SmintioError) as error:
        detail = getattr(error, "detail", None) or "; ".join(getattr(error, "messages", []))
        messages.error(request, detail or str(error))
    return redirect("assets:quarantine")


# The term lists each vocabulary's keys appear in: license_usages in allowed_/restricted_usages.
TERM_FIELDS = {
    vocabulary: (f"allowed_{name}", f"restricted_{name}")
    for vocabulary in Vocabulary
    if (name := vocabulary.value.removeprefix("license_"))
}


def _may_map(request: HttpRequest) -> bool:
    return request.user.is_staff or bool(
        scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS)
    )


def _term_counts() -> dict[str, Counter[str]]:
    """Count the active terms that use each key, per vocabulary (one query)."""
    counts: dict[str, Counter[str]] = {vocabulary: Counter() for vocabulary in TERM_FIELDS}
    fields = [name for names in TERM_FIELDS.values() for name in names]
    for row in LicenseTerm.objects.filter(active=True).values(*fields).iterator(chunk_size=2000):
        for vocabulary, names in TERM_FIELDS.items():
            for key in {key for name in names for key in (row[name] or [])}:
                counts[vocabulary][key] += 1
    return counts


def _rows(vocabulary: str, counts: Counter[str], language: str) -> list[dict[str, Any]]:
    mapped = dict(
        VocabularyMapping.objects.filter(vocabulary=vocabulary).values_list("key", "values")
    )
    labels: dict[str, dict[str, str]] = {}
    for key, culture, label in VocabularyLabel.objects.filter(vocabulary=vocabulary).values_list(
        "key", "culture", "label"
    ):
        labels.setdefault(key, {})[culture] = label
    keys = set(mapped) | set(labels) | set(counts)
    rows = [
        {
            "key": key,
            "label": in_language(labels.get(key, {}), language),
            "terms": counts.get(key, 0),
            "values": ", ".join(mapped.get(key, [])),
            "mapped": key in mapped,
        }
        for key in keys
    ]
    return sorted(rows, key=lambda row: (row["mapped"], -row["terms"], row["key"]))


@login_required
def vocabularies(request: HttpRequest) -> HttpResponse:
    """List every key of the judged vocabularies, unmapped first, with a form to map each."""
    if not _may_map(request):
        raise PermissionDenied("Only administrators and compliance officers map vocabularies.")
    counts = _term_counts()
    language = get_language_from_request(request)
    sections = [
        {
            "vocabulary": vocabulary,
            "label": label,
            "wanted": CHECKS[vocabulary][1],
            "rows": _rows(vocabulary, counts[vocabulary], language),
        }
        for vocabulary, label in Vocabulary.choices
    ]
    return render(request, "assets/vocabularies.html", {"sections": sections})


@login_required
@require_POST
def vocabulary_save(request: HttpRequest) -> HttpResponse:
    """Map one key to the values given (comma-separated), then show the page again."""
    try:
        mapping = vocabulary_map(
            vocabulary=request.POST.get("vocabulary", ""),
            key=request.POST.get("key", ""),
            values=request.POST.get("values", "").split(","),
            actor=acting_user(request),
        )
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
    else:
        meaning = ", ".join(mapping.values) or "nothing Govern judges"
        messages.success(request, f"{mapping.key} now means {meaning}.")
    return redirect("assets:vocabularies")
