"""Connecting Govern to a Smint.io tenant in the browser: the OAuth authorization-code flow
with PKCE, as Smint.io's SDKs authorize (scope `smintio.full openid profile offline_access`).

An administrator starts it; Smint.io asks them to consent and sends them back with a code;
Govern trades the code (with its verifier) for tokens and keeps the refresh token, which then
rotates as it does today. State and verifier live in the administrator's session only.
"""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assets import smintio
from assets.models import SmintioConnection
from assets.smintio_state import smintio_authorize
from govern.access import acting_user

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
        refresh_token = _trade(code, pending["verifier"])
    except smintio.SmintioError as error:
        messages.error(request, f"Smint.io refused the code: {error.detail}")
        return render(request, "assets/smintio_connect.html", _context(), status=400)
    smintio_authorize(
        refresh_token=refresh_token,
        via="consent page",
        actor=acting_user(request),
        authorize_url=settings.SMINTIO_AUTHORIZE_URL,
    )
    smintio.reset_client()
    messages.success(request, "Govern is connected to Smint.io; the next sync uses it.")
    return redirect("assets:smintio-connect")


def _context() -> dict[str, object]:
    connection, _ = SmintioConnection.objects.get_or_create(pk=1)
    return {
        "connection": connection,
        "authorize_url": settings.SMINTIO_AUTHORIZE_URL,
        "redirect_uri": settings.SMINTIO_REDIRECT_URI,
        "scope": settings.SMINTIO_SCOPE,
    }


def _trade(code: str, verifier: str) -> str:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": settings.SMINTIO_REDIRECT_URI,
        "client_id": settings.SMINTIO_CLIENT_ID,
        "client_secret": settings.SMINTIO_CLIENT_SECRET,
        "code_verifier": verifier,
    }
    try:
        response = httpx.post(settings.SMINTIO_TOKEN_URL, data=form, timeout=15.0)
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise smintio.SmintioError(
            f"the token endpoint failed: {error!r}", retryable=True
        ) from error
    refresh_token = body.get("refresh_token") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(refresh_token, str) or not refresh_token:
        code_name = body.get("error", response.status_code) if isinstance(body, dict) else "?"
        raise smintio.SmintioError(f"{code_name}", retryable=False, code=str(code_name))
    return refresh_token
