"""OpenID Connect for people: the authorization code flow with PKCE against the provider at
OIDC_ISSUER, its endpoints and keys read from its discovery document.

Each sign-in (or fresh login for a signature) gets its own `state`, `nonce` and PKCE verifier,
kept in the person's session under the state until the provider answers; an answer whose state
Govern did not issue, or issued and already used, is refused. The ID token's signature is checked
against the provider's published keys (fetched again when a token names a key Govern has not
seen: rotated keys are picked up), then its issuer, audience, expiry, issue time, nonce and, when
one was asked, `max_age` against `auth_time` (Authlib's `CodeIDToken`).
"""

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.http import HttpRequest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

SESSION_KEY = "oidc_pending"
PENDING_MAX = 5  # sign-ins under way in one session at once
PENDING_SECONDS = 600  # how long the provider may take to answer
METADATA_SECONDS = 3600
LEEWAY_SECONDS = 60
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class Refused(Exception):
    """The provider's answer is not accepted; `reason` says why (shown and audited)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Pending:
    """What Govern asked the provider for, kept until its answer."""

    nonce: str
    verifier: str
    purpose: str  # "login" or "sign:<token>"
    max_age: int | None
    asked_at: float


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


class _Provider:
    """The provider's discovery document and keys, read once and kept (per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] = {}
        self._metadata_at = 0.0
        self._keys: KeySet | None = None

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if not self._metadata or time.monotonic() - self._metadata_at > METADATA_SECONDS:
                url = settings.OIDC_ISSUER.rstrip("/") + "/.well-known/openid-configuration"
                found = _get_json(url)
                if found.get("issuer") != settings.OIDC_ISSUER.rstrip("/"):
                    raise Refused(f"the provider's discovery names issuer {found.get('issuer')!r}")
                self._metadata, self._metadata_at = found, time.monotonic()
            return self._metadata

    def keys(self, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or refresh:
                found = _get_json(self._metadata["jwks_uri"])
                try:
                    self._keys = KeySet.import_key_set(found)  # type: ignore[arg-type]
                except (JoseError, ValueError, KeyError, TypeError) as error:
                    raise Refused(f"the provider's keys cannot be read: {error}") from None
            return self._keys

    def forget(self) -> None:
        with self._lock:
            self._metadata, self._keys = {}, None


provider = _Provider()


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        found = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise Refused(f"the identity provider did not answer {url}: {error}") from None
    if not isinstance(found, dict):
        raise Refused(f"{url} answered no JSON object")
    return found


def redirect_uri() -> str:
    return settings.SITE_URL.rstrip("/") + "/login/sso/callback/"


def authorization_url(
    request: HttpRequest, purpose: str, *, prompt: str = "", max_age: int | None = None
) -> str:
    """Where to send the person: the provider's authorization endpoint with a fresh state,
    nonce and PKCE challenge, remembered in the session."""
    metadata = provider.metadata()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    pending = dict(request.session.get(SESSION_KEY, {}))
    for old in sorted(pending, key=lambda key: pending[key]["asked_at"])[: -PENDING_MAX + 1]:
        del pending[old]
    pending[state] = Pending(nonce, verifier, purpose, max_age, time.time()).__dict__
    request.session[SESSION_KEY] = pending
    query = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri(),
        "scope": settings.OIDC_SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
        **({"prompt": prompt} if prompt else {}),
        **({"max_age": str(max_age)} if max_age is not None else {}),
    }
    return f"{metadata['authorization_endpoint']}?{urlencode(query)}"


def complete(request: HttpRequest) -> tuple[Pending, dict[str, Any]]:
    """Take the provider's answer to an authorization request: exchange the code, verify the
    ID token, and return what was asked with the token's claims. Raise Refused."""
    state = request.GET.get("state", "")
    pending_all = dict(request.session.get(SESSION_KEY, {}))
    asked = pending_all.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending_all  # a state is used once, whatever follows
    if asked is None:
        raise Refused("the answer's state is not one Govern issued, or was used already")
    pending = Pending(**asked)
    if time.time() - pending.asked_at > PENDING_SECONDS:
        raise Refused("the sign-in took too long; start again")
    if request.GET.get("error"):
        said = request.GET.get("error_description") or request.GET["error"]
        raise Refused(f"the identity provider refused: {said[:200]}")
    code = request.GET.get("code", "")
    if not code:
        raise Refused("the answer carries no authorization code")
    tokens = _exchange(code, pending.verifier)
    return pending, verified_claims(tokens, pending)


def _exchange(code: str, verifier: str) -> dict[str, Any]:
    metadata = provider.metadata()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "code_verifier": verifier,
    }
    try:
        response = httpx.post(
            metadata["token_endpoint"],
            data=form,
            auth=(settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET),
            timeout=TIMEOUT,
            headers={"Accept": "application/json"},
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise Refused(f"the token endpoint did not answer: {error}") from None
    if response.status_code != 200 or not isinstance(body, dict):
        said = body.get("error_description") or body.get("error") if isinstance(body, dict) else ""
        raise Refused(f"the token endpoint refused the code ({response.status_code}: {said})")
    if not isinstance(body.get("id_token"), str):
        raise Refused("the token endpoint answered no ID token")
    return body


def _logged_in_recently(claims: Any, max_age: int | None) -> None:
    """Refuse a token whose login is older than the `max_age` asked (Authlib only checks that
    `auth_time` is there)."""
    if max_age is None:
        return
    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, int | float) or isinstance(auth_time, bool):
        raise Refused("the ID token does not say when you logged in (auth_time)")
    if time.time() - auth_time > max_age + LEEWAY_SECONDS:
        raise Refused(f"the login at the provider is older than the {max_age} s asked (auth_time)")


def verified_claims(tokens: dict[str, Any], pending: Pending) -> dict[str, Any]:
    """Check the ID token's signature against the provider's keys and its claims against
    what Govern asked; return the claims."""
    metadata = provider.metadata()
    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [name for name in algorithms if name != "none"]
    raw = tokens["id_token"]
    try:
        try:
            decoded = jwt.decode(raw, provider.keys(), algorithms=algorithms)
        except JoseError:  # a key Govern has not seen yet: the provider may have rotated
            decoded = jwt.decode(raw, provider.keys(refresh=True), algorithms=algorithms)
        audience = decoded.claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_CLIENT_ID not in audiences:
            raise Refused(f"the ID token is for another client (aud {audience!r})")
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {"iss": {"essential": True, "values": [metadata["issuer"]]}},
            {
                "nonce": pending.nonce,
                "client_id": settings.OIDC_CLIENT_ID,
                "access_token": tokens.get("access_token"),
                **({"max_age": pending.max_age} if pending.max_age is not None else {}),
            },
        )
        claims.validate(leeway=LEEWAY_SECONDS)
        _logged_in_recently(claims, pending.max_age)
    except JoseError as error:
        raise Refused(f"the ID token is not valid: {error.description or error.error}") from None
    except ValueError as error:
        raise Refused(f"the ID token cannot be read: {error}") from None
    return dict(claims)
