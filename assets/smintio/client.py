"""The only module that talks to Smint.io: one httpx client, typed results, one error type.

Field names follow Smint.io's public SDKs (CLAPI-C): license purchase transactions from a
continuation-token feed, their binaries behind signed download URLs valid for an hour, generic
metadata vocabularies. Nothing is written back: the SDKs describe a one-way sync, and Govern
tells others what happened through signed webhooks (templates_app/webhooks).
"""

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol

import httpx
from django.conf import settings

from govern.retry import Attempts, Backoff

RETRY_STATUSES = {429, 500, 502, 503, 504}
DOWNLOAD_CHUNK = 1 << 16
MAX_RETRY_AFTER_SECONDS = 30.0  # a worker must not sleep past its task timeout


class SmintioError(Exception):
    """Smint.io refused or could not be reached."""

    def __init__(self, detail: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(detail)
        self.detail, self.retryable, self.code = detail, retryable, code


class TokenStore(Protocol):
    def exchange(self, trade: Callable[[str], str]) -> None:
        """Hand the current refresh token to `trade` and keep the one it returns."""


@dataclass(frozen=True)
class Page:
    purchases: list[dict[str, Any]]
    continuation_uuid: str


class SmintioClient:
    def __init__(
        self,
        *,
        api_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        tokens: TokenStore,
        http: httpx.Client | None = None,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url, self.token_url = api_url.rstrip("/"), token_url
        self.client_id, self.client_secret, self.tokens = client_id, client_secret, tokens
        self.http = http or httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0))
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self._access, self._expires_at = "", 0.0

    def _bearer(self, renew: bool = False) -> str:
        if renew or not self._access or time.monotonic() > self._expires_at - 30:
            self._refresh()
        return self._access

    def _refresh(self) -> None:
        """Trade the refresh token for an access token; the store keeps the rotated one."""
        answer: dict[str, Any] = {}

        def trade(refresh_token: str) -> str:
            answer.update(self._token_request(refresh_token))
            # An answer without a new refresh token leaves the old one valid (as the Java SDK).
            return str(answer.get("refresh_token") or refresh_token)

        self.tokens.exchange(trade)
        if not isinstance(answer.get("access_token"), str):
            raise SmintioError("Smint.io's token answer has no access_token.", retryable=True)
        self._access = answer["access_token"]
        self._expires_at = time.monotonic() + float(answer.get("expires_in", 300))

    def _token_request(self, refresh_token: str) -> dict[str, Any]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            response = self.http.post(self.token_url, data=form)
        except httpx.HTTPError as error:
            raise SmintioError(f"Token request failed: {error!r}", retryable=True) from error
        body = response.json() if response.content else {}
        if response.status_code != 200:
            code = str(body.get("error", response.status_code))
            raise SmintioError(
                f"Smint.io refused the token request: {code}",
                retryable=response.status_code >= 500,
                code=code,
            )
        return dict(body)

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Send with retries on network errors, 429 and 5xx; renew the token once on 401/403."""
        renewed, extra_headers = False, options.pop("headers", {})
        url = path if path.startswith("http") else self.api_url + path
        policy = Backoff(
            base=self.backoff, retries=self.retries, retry_after_cap=MAX_RETRY_AFTER_SECONDS
        )
        attempts = Attempts(policy, sleep=self.sleep)
        while True:
            headers = {**extra_headers, "Authorization": f"Bearer {self._bearer()}"}
            response: httpx.Response | None = None
            try:
                sent = self.http.request(method, url, headers=headers, **options)
            except httpx.TransportError as error:
                failure = SmintioError(f"{method} {path}: {error!r}", retryable=True)
            else:
                response = sent
                if sent.status_code in {401, 403} and not renewed:
                    self._bearer(renew=True)
                    renewed = True
                    continue
                if sent.status_code < 400:
                    return sent
                failure = SmintioError(
                    f"{method} {path}: {sent.status_code} {sent.text[:200]}",
                    retryable=sent.status_code in RETRY_STATUSES,
                )
                if not failure.retryable:
                    raise failure
            attempts.wait(failure, response.headers.get("Retry-After") if response else None)

    def purchases(self, continuation_uuid: str, limit: int) -> Page:
        """Return the next batch of license purchase transactions after a continuation."""
        params: dict[str, Any] = {"limit": limit}
        if continuation_uuid:
            params["continuation_uuid"] = continuation_uuid
        body = _json(self._request("GET", "/license-purchase-transactions", params=params))
        purchases = body.get("license_purchase_transactions") if isinstance(body, dict) else None
        cursor = body.get("continuation_uuid") if isinstance(body, dict) else None
        if not isinstance(purchases, list) or not isinstance(cursor, str):
            raise SmintioError(
                "The purchase feed answered without license_purchase_transactions (a list) "
                "and continuation_uuid (a string).",
                retryable=False,
                code="unexpected_shape",
            )
        return Page(purchases, cursor)

    def binaries(self, cart_uuid: str, purchase_uuid: str) -> list[dict[str, Any]]:
        """Return a purchase's binaries: a bare list, as the SDKs read it (a list wrapped in
        {"binaries": [...]} is accepted too)."""
        path = f"/license-purchase-transactions/{cart_uuid}/{purchase_uuid}/binaries"
        body = _json(self._request("GET", path))
        listed = body.get("binaries") if isinstance(body, dict) else body
        if not isinstance(listed, list) or not all(isinstance(each, dict) for each in listed):
            raise SmintioError(
                f"The binaries of {purchase_uuid} are not a list of objects.",
                retryable=False,
                code="unexpected_shape",
            )
        return listed

    def generic_metadata(self) -> dict[str, Any]:
        body = _json(self._request("GET", "/generic-metadata"))
        if not isinstance(body, dict):
            raise SmintioError(
                "The generic metadata is not an object.", retryable=False, code="unexpected_shape"
            )
        return body

    def pusher_auth(self, socket_id: str, channel: str) -> str:
        """Ask Smint.io to authorize a Pusher socket for the tenant's private channel."""
        response = self._request(
            "POST",
            "/notifications/pusher/auth",
            data={"socket_id": socket_id, "channel_name": channel},
        )
        body = _json(response)
        auth = body.get("auth") if isinstance(body, dict) else None
        if not isinstance(auth, str) or not auth:
            raise SmintioError("The Pusher authorization has no auth.", retryable=True)
        return auth

    def download(self, url: str, max_bytes: int) -> IO[bytes]:
        """Stream a signed download URL into a temporary file, refusing more than max_bytes."""
        spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - returned
        try:
            with self.http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise SmintioError(
                        f"Download refused: {response.status_code}",
                        retryable=response.status_code in RETRY_STATUSES,
                    )
                for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                    spooled.write(chunk)
                    if spooled.tell() > max_bytes:
                        raise SmintioError(
                            f"The binary is larger than {max_bytes} bytes.",
                            retryable=False,
                            code="too_large",
                        )
        except httpx.HTTPError as error:
            spooled.close()
            raise SmintioError(f"Download failed: {error!r}", retryable=True) from error
        except SmintioError:
            spooled.close()
            raise
        spooled.seek(0)
        return spooled


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise SmintioError(
            f"Smint.io answered {response.status_code} with a body that is not JSON.",
            retryable=True,
        ) from error


def authorization_code_trade(code: str, verifier: str) -> str:
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
        raise SmintioError(f"the token endpoint failed: {error!r}", retryable=True) from error
    refresh_token = body.get("refresh_token") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(refresh_token, str) or not refresh_token:
        code_name = body.get("error", response.status_code) if isinstance(body, dict) else "?"
        raise SmintioError(f"{code_name}", retryable=False, code=str(code_name))
    return refresh_token
