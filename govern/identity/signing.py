"""A fresh login behind every signature of a person who signed in through single sign-on.

Such a person has no password to enter again, so signing sends them to the identity provider
with `prompt=login` and `max_age=0`: the decision they were making waits in their session under
a token while they log in again. The provider's answer must carry a `nonce` Govern issued for
that very signature (the pending request names its token) and an `auth_time` at most
FRESH_SECONDS old; it is kept as the signature's proof of authentication (`auth_time`, `amr`,
`acr`, issuer), and the person confirms the waiting decision. The proof is used once, and only
while it is fresh: a signature on stale authentication is refused and nothing is recorded.
"""

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from govern.identity import oidc
from govern.models import ExternalIdentity

FRESH_SECONDS = 60
WAITING_KEY = "signing_waiting"
PROOF_KEY = "signing_proofs"
WAITING_MAX = 5
FIELDS_MAX = 50


class FreshLoginNeeded(Exception):
    """The signer signs in through single sign-on: a fresh login at the provider comes first."""


@dataclass(frozen=True)
class Waiting:
    """A decision waiting for its signer's fresh login: where it is posted, and its fields."""

    path: str
    fields: dict[str, list[str]]
    what: str  # the decision in words, shown when the person confirms


def signs_through_provider(request: HttpRequest) -> bool:
    """Whether the person signed in through single sign-on (so has no password to enter)."""
    return oidc.enabled() and request.session.get("auth_method") == "oidc"


def let_forms_reach_provider(response: HttpResponse) -> HttpResponse:
    """Let the page's forms lead to the provider: a browser holds a form's redirects to the
    page's CSP form-action, and signing redirects the decision form to the provider's login."""
    origins = {_origin(settings.OIDC_ISSUER)}
    try:
        origins.add(_origin(oidc.provider.metadata()["authorization_endpoint"]))
    except (oidc.Refused, KeyError):
        pass  # the signature will say the provider is not reachable
    response._csp_update = {"form-action": sorted(origins)}  # type: ignore[attr-defined]
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def begin(request: HttpRequest, path: str, fields: dict[str, list[str]], what: str) -> str:
    """Keep the decision and return where the person logs in again for it."""
    token = secrets.token_urlsafe(24)
    kept = {
        key: values
        for key, values in list(fields.items())[:FIELDS_MAX]
        if key not in ("csrfmiddlewaretoken", "password", "fresh_login")
    }
    waiting = dict(request.session.get(WAITING_KEY, {}))
    for old in list(waiting)[: -WAITING_MAX + 1]:
        del waiting[old]
    waiting[token] = {"path": path, "fields": kept, "what": what[:300]}
    request.session[WAITING_KEY] = waiting
    return oidc.authorization_url(request, f"sign:{token}", prompt="login", max_age=0)


def waiting_for(request: HttpRequest, token: str) -> Waiting | None:
    found = request.session.get(WAITING_KEY, {}).get(token)
    return Waiting(**found) if found else None


def landed(request: HttpRequest, token: str, claims: dict[str, Any]) -> None:
    """Keep the provider's answer to a signature's login as its proof; raise PermissionDenied
    when it is not the signer's or not a fresh login."""
    if waiting_for(request, token) is None:
        raise PermissionDenied("No decision waits for this login.")
    signer = request.user
    if (
        not signer.is_authenticated
        or not ExternalIdentity.objects.filter(
            user_id=signer.pk, issuer=claims.get("iss"), subject=str(claims.get("sub"))
        ).exists()
    ):
        raise PermissionDenied("The login at the provider was not the signer's.")
    _fresh(claims.get("auth_time"))
    proofs = dict(request.session.get(PROOF_KEY, {}))
    proofs[token] = {
        "method": "oidc",
        "issuer": str(claims["iss"]),
        "auth_time": int(claims["auth_time"]),
        "amr": claims.get("amr") or [],
        "acr": claims.get("acr") or "",
    }
    request.session[PROOF_KEY] = proofs


def proof(request: HttpRequest, token: str) -> dict[str, Any]:
    """Take (once) the fresh login kept for this signature; PermissionDenied when there is
    none or it is no longer fresh."""
    proofs = dict(request.session.get(PROOF_KEY, {}))
    found = proofs.pop(token, None)
    waiting = dict(request.session.get(WAITING_KEY, {}))
    waiting.pop(token, None)
    request.session[PROOF_KEY], request.session[WAITING_KEY] = proofs, waiting
    if found is None:
        raise PermissionDenied("Log in again at your identity provider to sign.")
    _fresh(found["auth_time"])
    return dict(found)


def _fresh(auth_time: Any) -> None:
    if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
        raise PermissionDenied("The provider did not say when you logged in: nothing was signed.")
    age = time.time() - float(auth_time)
    if age > FRESH_SECONDS:
        raise PermissionDenied(
            f"Your login at the provider is {int(age)} seconds old; a signature needs one at most "
            f"{FRESH_SECONDS} seconds old. Nothing was signed or decided."
        )
