"""The only module that talks to Exstream: one httpx client, typed results, one error type.

The contract (see README, "Exstream", and `manage.py exstream_contract` for it as OpenAPI): an
OTDS client-credentials token (under `/otdstenant/<tenant>/otdsws` when the instance has OTDS
tenants); image resources with integer versions moving draft -> submitted -> approved; "used
by" references; templates with the images and components they use. Every call Govern makes is
declared once, in CALLS, relative to EXSTREAM_API_PREFIX (an instance's Design API lives under
/design/; these resource paths are Govern's contract, mapped onto the instance by an
integrator or a thin proxy). Writes carry an Idempotency-Key (and the instance's CSRF token
where it needs one), and after an ambiguous failure (a timeout or a dropped connection) the
client looks before it sends again.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from govern.retry import Attempts, Backoff

RETRY_STATUSES = {429, 500, 502, 503, 504}

# Every resource call Govern makes: name -> (method, path under EXSTREAM_API_PREFIX, summary).
CALLS: dict[str, tuple[str, str, str]] = {
    "find_images": ("GET", "/resources", "Images, or the one with an exact name (type=image)"),
    "upload_image": ("POST", "/resources/images", "Upload a new image or its next version"),
    "get_image": ("GET", "/resources/{id}", "One image with all its versions"),
    "move_version": (
        "POST",
        "/resources/{id}/versions/{version}/{action}",
        "Move a version: submit (draft -> submitted) or approve (submitted -> approved)",
    ),
    "used_by": ("GET", "/resources/{id}/usedby", "Templates with a slot naming the image"),
    "templates": ("GET", "/templates", "Templates with the images and components they use"),
}
AMBIGUOUS = (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError)


class ExstreamError(Exception):
    """Exstream refused or could not be reached; `retryable` says whether trying later may help."""

    def __init__(self, detail: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail, self.retryable, self.status = detail, retryable, status


class SetupError(ExstreamError):
    """Exstream cannot be used as Govern is set up (the token URL answers no token, the client
    is refused): deliveries wait, uncounted, and /healthz names it until a token comes."""

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail, retryable=False, status=status)


def token_refused(response: httpx.Response, token_url: str) -> ExstreamError:
    """What an OTDS answer other than 200 means: worth retrying, or a setup to mend."""
    detail = f"OTDS refused the token request at {token_url}: {response.status_code} "
    detail += response.text[:200]
    if response.status_code in RETRY_STATUSES:
        return ExstreamError(detail, retryable=True, status=response.status_code)
    return SetupError(detail, status=response.status_code)


def token_answer(response: httpx.Response, token_url: str) -> tuple[str, float]:
    """Read OTDS's answer to a token request: the access token and its lifetime in seconds."""
    if response.status_code != 200:
        raise token_refused(response, token_url)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise SetupError(
            f"OTDS answered without an access_token at {token_url}: check EXSTREAM_TOKEN_URL "
            "(or EXSTREAM_OTDS_URL and EXSTREAM_OTDS_TENANT)."
        )
    lifetime = body.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        lifetime = 300  # OTDS says its lifetime; an answer without one is taken as five minutes
    return body["access_token"], float(lifetime)


@dataclass(frozen=True)
class ImageVersion:
    resource_id: str
    version: int
    state: str
    sha256: str
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return f"{self.resource_id}:{self.version}"


@dataclass
class _Token:
    value: str = ""
    expires_at: float = 0.0

    def fresh(self) -> bool:
        return bool(self.value) and time.monotonic() < self.expires_at - 30


class ExstreamClient:
    def __init__(
        self,
        *,
        base_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.Client | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        prefix: str | None = None,
        domain: str | None = None,
        csrf_token: str | None = None,
    ) -> None:
        self.base_url, self.token_url = base_url.rstrip("/"), token_url
        self.prefix = "/" + (prefix if prefix is not None else settings.EXSTREAM_API_PREFIX).strip(
            "/"
        )
        self.domain = settings.EXSTREAM_DOMAIN if domain is None else domain
        self.csrf_token = settings.EXSTREAM_CSRF_TOKEN if csrf_token is None else csrf_token
        self.client_id, self.client_secret = client_id, client_secret
        timeout = httpx.Timeout(
            settings.EXSTREAM_READ_TIMEOUT, connect=settings.EXSTREAM_CONNECT_TIMEOUT
        )
        self.http = http or httpx.Client(timeout=timeout)
        self.retries = settings.EXSTREAM_RETRIES if retries is None else retries
        self.backoff = settings.EXSTREAM_BACKOFF_SECONDS if backoff is None else backoff
        self.deadline = settings.EXSTREAM_DEADLINE if deadline is None else deadline
        self.sleep = sleep
        self._token = _Token()

    # Authentication

    def token(self) -> str:
        """Ask for a new token (the check command's first step)."""
        return self._bearer(renew=True)

    def _bearer(self, renew: bool = False) -> str:
        if renew or not self._token.fresh():
            self._token = self._fetch_token()
        return self._token.value

    def _fetch_token(self) -> _Token:
        if not self.client_secret:
            raise SetupError("EXSTREAM_CLIENT_SECRET is not set.")
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            response = self.http.post(self.token_url, data=form)
        except httpx.HTTPError as error:
            raise ExstreamError(f"Token request failed: {error!r}", retryable=True) from error
        token, lifetime = token_answer(response, self.token_url)
        return _Token(token, time.monotonic() + lifetime)

    # Requests with retries

    def _request(
        self,
        method: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        already_done: Callable[[], Any] | None = None,
        **options: Any,
    ) -> Any:
        """Send with retries on connection errors, 429 and 5xx; renew the token once on 401.

        After an ambiguous failure of a write, `already_done` looks whether it landed; when it
        returns something, that is the answer and nothing is sent again.
        """
        renewed = False
        policy = Backoff(base=self.backoff, retries=self.retries, deadline=self.deadline)
        attempts = Attempts(policy, sleep=self.sleep)
        while True:
            response: httpx.Response | None = None
            try:
                response = self._send(method, path, idempotency_key, options)
            except AMBIGUOUS as error:
                failure = ExstreamError(f"{method} {path}: {error!r}", retryable=True)
                if already_done is not None:
                    attempts.wait(failure)
                    landed = self._look(already_done)
                    if landed is not None:
                        return landed
                    continue
            except httpx.TransportError as error:  # refused before anything was sent
                failure = ExstreamError(f"{method} {path}: {error!r}", retryable=True)
            else:
                if response.status_code == 401 and not renewed:
                    self._bearer(renew=True)
                    renewed = True
                    continue
                if response.status_code < 400:
                    return response.json() if response.content else None
                failure = self._failure(method, path, response)
                if not failure.retryable:
                    raise failure
            attempts.wait(failure, response.headers.get("Retry-After") if response else None)

    def _send(
        self, method: str, path: str, idempotency_key: str | None, options: dict[str, Any]
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if self.domain:
            headers["Exstream-Domain"] = self.domain
        if self.csrf_token and method != "GET":
            headers["X-CSRF-Token"] = self.csrf_token
        return self.http.request(method, self.base_url + path, headers=headers, **options)

    def path(self, call: str, **params: Any) -> str:
        """Return a declared call's path on this instance, its parameters filled in."""
        _method, template, _summary = CALLS[call]
        return self.prefix + template.format(**params)

    def _look(self, already_done: Callable[[], Any]) -> Any:
        try:
            return already_done()
        except (ExstreamError, httpx.HTTPError):
            return None

    def _failure(self, method: str, path: str, response: httpx.Response) -> ExstreamError:
        try:
            detail = response.json().get("detail") or response.json().get("error")
        except (json.JSONDecodeError, AttributeError):
            detail = response.text[:200]
        return ExstreamError(
            f"{method} {path}: {response.status_code} {detail}",
            retryable=response.status_code in RETRY_STATUSES,
            status=response.status_code,
        )

    # Images

    def find_image(self, name: str) -> dict[str, Any] | None:
        items = self._request(
            "GET", self.path("find_images"), params={"type": "image", "name": name}
        )
        return next((item for item in items["items"] if item["name"] == name), None)

    def find_version(self, name: str, key: str) -> ImageVersion | None:
        """Return the version of an image that a write with this key created, if any."""
        image = self.find_image(name)
        if image is None:
            return None
        for version in image["versions"]:
            if version.get("properties", {}).get("idempotency_key") == key:
                return _version(image["id"], version)
        return None

    def upload_image(
        self, *, name: str, data: bytes, media_type: str, properties: dict[str, Any], key: str
    ) -> ImageVersion:
        """Upload the bytes as a new draft version of the image `name`."""
        properties = {**properties, "idempotency_key": key}
        body = self._request(
            "POST",
            self.path("upload_image"),
            idempotency_key=f"{key}:upload",
            already_done=lambda: self.find_version(name, key),
            data={"name": name, "properties": json.dumps(properties)},
            files={"file": (name.replace("/", "_"), data, media_type)},
        )
        if isinstance(body, ImageVersion):
            return body
        return ImageVersion(body["resource"], body["version"], body["state"], "", properties)

    def move(self, version: ImageVersion, action: str, key: str) -> ImageVersion:
        """Submit or approve a version in Exstream's own workflow."""
        target = {"submit": "submitted", "approve": "approved"}[action]
        path = self.path(
            "move_version", id=version.resource_id, version=version.version, action=action
        )
        body = self._request(
            "POST",
            path,
            idempotency_key=f"{key}:{action}",
            already_done=lambda: self._in_state(version, target),
        )
        return body if isinstance(body, ImageVersion) else _version(version.resource_id, body)

    def _in_state(self, version: ImageVersion, state: str) -> ImageVersion | None:
        image = self._request("GET", self.path("get_image", id=version.resource_id))
        for item in image["versions"]:
            if item["version"] == version.version and item["state"] in _at_least(state):
                return _version(version.resource_id, item)
        return None

    def used_by(self, resource_id: str) -> list[dict[str, Any]]:
        return list(self._request("GET", self.path("used_by", id=resource_id))["items"])

    def templates(self) -> list[dict[str, Any]]:
        return list(self._request("GET", self.path("templates"))["items"])


def _at_least(state: str) -> set[str]:
    return {"submitted": {"submitted", "approved"}, "approved": {"approved"}}[state]


def _version(resource_id: str, item: dict[str, Any]) -> ImageVersion:
    return ImageVersion(
        resource_id,
        item["version"],
        item["state"],
        item.get("sha256", ""),
        item.get("properties", {}),
    )


_client: ExstreamClient | None = None


def client() -> ExstreamClient:
    """Return the process's client, configured from settings, with one shared connection pool."""
    global _client  # noqa: PLW0603 - one pooled client per process
    if _client is None:
        _client = ExstreamClient(
            base_url=settings.EXSTREAM_URL,
            token_url=settings.EXSTREAM_TOKEN_URL,
            client_id=settings.EXSTREAM_CLIENT_ID,
            client_secret=settings.EXSTREAM_CLIENT_SECRET,
        )
    return _client


def reset_client() -> None:
    """Forget the shared client (settings changed, in tests)."""
    global _client  # noqa: PLW0603
    _client = None


def push_image(
    *,
    name: str,
    data: bytes,
    media_type: str,
    properties: dict[str, Any],
    key: str,
    exstream: ExstreamClient | None = None,
) -> ImageVersion:
    """Put the bytes into Exstream as an approved version of `name`, exactly once per key."""
    exstream = exstream or client()
    version = exstream.find_version(name, key) or exstream.upload_image(
        name=name, data=data, media_type=media_type, properties=properties, key=key
    )
    if version.state == "draft":
        version = exstream.move(version, "submit", key)
    if version.state == "submitted":
        version = exstream.move(version, "approve", key)
    return version
