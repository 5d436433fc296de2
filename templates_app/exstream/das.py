"""Exstream's Design (DAS) API as OpenText publishes it, and the OTDS token it takes.

Public source: OpenText's SDK sample `opentext/ocp-communication`, `Samples/Communications SDK/`
(DasService, DasUriBuilder, OtdsService, OtdsUriBuilder and the DTOs under `model/`): the base
`{EXSTREAM_URL}/design/api/v1`, the domain as a path segment, the envelope `{status, details,
data[, page]}`, `DasResourceVersion`, the workflow states DRAFT, REVIEW, APPROVED and REJECTED
(APPROVED -> DRAFT makes the next version; new content only in DRAFT), links subject -> object,
and an OTDS password or client-credentials grant with a scope.

DAS has no idempotency key and no content hash, so Govern writes its own marker into each state
change's `auditedComment` ("govern <delivery key> sha256 <hash>"), which DAS keeps as the latest
version's `stateComment`. A push is a loop: read the image's latest version, take the one step
that moves it towards "approved, with this marker", and after any failure that may have landed
(a timeout, a dropped connection, a 5xx, a 409 from a resource that moved) read again and go on
from where it really is. So a create is looked for by name before it is sent again, and a new
DAS version is made only from an approved version that does not carry the marker yet.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from govern.retry import Attempts, Backoff
from templates_app.exstream.client import (
    AMBIGUOUS,
    RETRY_STATUSES,
    ExstreamError,
    ImageVersion,
    token_answer,
)

API = "/design/api/v1"
STATES = ("DRAFT", "REVIEW", "APPROVED", "REJECTED")
# Where each workflow goes next from a state, towards APPROVED.
NEXT = {
    "standard": {"DRAFT": "REVIEW", "REVIEW": "APPROVED", "REJECTED": "DRAFT"},
    "simple": {"DRAFT": "APPROVED"},
}
PAGE = 500
# DAS's resource types (OpenText's ResourceType): a communication, and what Govern reads as
# components of one.
COMMUNICATION = "exstrapplication"
COMPONENTS = ("exstrcomponentobj", "exstrdocument", "exstrpage")
MOST_PAGES = 200  # 100,000 images: past that a listing is a loop, not a domain


class ShapeError(ExstreamError):
    """DAS answered something Govern does not understand; trying again will not help."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"DAS answered an unexpected shape: {detail}", retryable=False)


@dataclass(frozen=True)
class DasVersion:
    """A `DasResourceVersion`, as far as Govern reads it."""

    id: str
    version: int
    name: str
    type: str
    state: str
    comment: str
    modified: str
    description: str = ""

    def carries(self, marker: str) -> bool:
        return marker in self.comment

    def image(self) -> ImageVersion:
        return ImageVersion(self.id, self.version, self.state.lower(), "", {"name": self.name})


def read_version(item: Any) -> DasVersion:
    """Read a DasResourceVersion, naming the field that is missing or wrong."""
    if not isinstance(item, dict):
        raise ShapeError(f"a resource version is {type(item).__name__}, not an object")
    for name, kind in (("id", str), ("version", int), ("name", str), ("state", str)):
        if not isinstance(item.get(name), kind) or isinstance(item.get(name), bool):
            raise ShapeError(f"a resource version's `{name}` is {item.get(name)!r}")
    if item["state"] not in STATES:
        raise ShapeError(f"state {item['state']!r} of {item['name']} is not one Govern knows")
    return DasVersion(
        id=item["id"],
        version=item["version"],
        name=item["name"],
        type=str(item.get("type") or ""),
        state=item["state"],
        comment=str(item.get("stateComment") or ""),
        modified=str(item.get("lastModifiedDate") or ""),
        description=str(item.get("description") or ""),
    )


def _data(body: Any, what: str) -> Any:
    if not isinstance(body, dict) or "data" not in body:
        raise ShapeError(f"the answer to {what} has no `data`")
    return body["data"]


@dataclass(frozen=True)
class Otds:
    """Where and how to ask OTDS for a token: a service account's password grant when a
    username is given (as OpenText's SDK does for DAS), client credentials otherwise."""

    token_url: str
    client_id: str
    client_secret: str = ""
    username: str = ""
    password: str = ""
    scope: str = "otds:groups"

    def form(self) -> dict[str, str]:
        if self.username:
            return {
                "grant_type": "password",
                "username": self.username,
                "password": self.password,
                "client_id": self.client_id,
                "scope": self.scope,
            }
        if not self.client_secret:
            raise ExstreamError(
                "Neither EXSTREAM_USERNAME nor EXSTREAM_CLIENT_SECRET is set.", retryable=False
            )
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": self.scope,
        }


class Das:
    """One domain of a DAS instance: images, their workflow, links."""

    def __init__(
        self,
        *,
        base_url: str,
        domain: str,
        otds: Otds,
        http: httpx.Client | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not domain:
            raise ExstreamError("EXSTREAM_DOMAIN is not set.", retryable=False)
        self.base = base_url.rstrip("/") + API
        self.domain, self.otds = domain, otds
        timeout = httpx.Timeout(
            settings.EXSTREAM_READ_TIMEOUT, connect=settings.EXSTREAM_CONNECT_TIMEOUT
        )
        self.http = http or httpx.Client(timeout=timeout)
        self.policy = Backoff(
            base=settings.EXSTREAM_BACKOFF_SECONDS if backoff is None else backoff,
            retries=settings.EXSTREAM_RETRIES if retries is None else retries,
            deadline=settings.EXSTREAM_DEADLINE if deadline is None else deadline,
        )
        self.sleep = sleep
        self._token, self._token_until = "", 0.0
        self._workflow = ""

    # The token

    def token(self, renew: bool = False) -> str:
        if renew or not self._token or time.monotonic() > self._token_until - 30:
            self._token, lifetime = self._fetch_token()
            self._token_until = time.monotonic() + lifetime
        return self._token

    def _fetch_token(self) -> tuple[str, float]:
        try:
            response = self.http.post(
                self.otds.token_url, data=self.otds.form(), headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as error:
            raise ExstreamError(f"OTDS token request failed: {error!r}", retryable=True) from error
        return token_answer(response, self.otds.token_url)

    # One request

    def call(self, method: str, path: str, **options: Any) -> Any:
        """Send once (renewing the token once on 401); return the JSON answer. Raise
        ExstreamError: retryable for what may pass (5xx, 429, no answer), with `status`."""
        for renew in (False, True):
            headers = {"Authorization": f"Bearer {self.token(renew)}", "Accept": "application/json"}
            try:
                response = self.http.request(method, self.base + path, headers=headers, **options)
            except AMBIGUOUS as error:
                raise ExstreamError(f"{method} {path}: {error!r}", retryable=True) from error
            except httpx.TransportError as error:
                raise ExstreamError(f"{method} {path}: {error!r}", retryable=True) from error
            if response.status_code == 401 and not renew:
                continue
            if response.status_code < 400:
                try:
                    return response.json() if response.content else None
                except ValueError as error:
                    raise ShapeError(f"{method} {path} answered no JSON") from error
            raise _refusal(method, path, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, method: str, path: str, **options: Any) -> Any:
        """A call that changes nothing, retried with backoff while retrying may help."""
        attempts = Attempts(self.policy, sleep=self.sleep)
        while True:
            try:
                return self.call(method, path, **options)
            except ExstreamError as failure:
                if not failure.retryable:
                    raise
                attempts.wait(failure)

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        """Every item of a paged listing, page by page; a page that does not advance fails."""
        offset = 0
        for _page in range(MOST_PAGES):
            body = self.read("GET", path, params={**params, "count": PAGE, "offset": offset})
            items = _data(body, f"GET {path}")
            if not isinstance(items, list):
                raise ShapeError(f"`data` of GET {path} is not a list")
            yield from items
            total = (body.get("page") or {}).get("totalElements")
            if not items or not isinstance(total, int) or offset + len(items) >= total:
                return
            offset += len(items)
        raise ShapeError(f"GET {path} did not end after {MOST_PAGES} pages")

    # The domain

    def workflow(self) -> str:
        """The domain's workflow ("standard" or "simple"), from GET /domains, read once."""
        if not self._workflow:
            for item in self.pages("/domains", {}):
                if isinstance(item, dict) and item.get("id") == self.domain:
                    found = str(item.get("workflow") or "standard").lower()
                    self._workflow = found if found in NEXT else "standard"
                    return self._workflow
            raise ExstreamError(
                f"DAS has no domain {self.domain!r} (EXSTREAM_DOMAIN).", retryable=False
            )
        return self._workflow

    def images(self) -> list[DasVersion]:
        """The latest version of every image resource in the domain."""
        params = {"filter.types": "image", "filter.latestVersion": "true"}
        return [read_version(item) for item in self.pages(f"/resources/{self.domain}", params)]

    def latest(self, name: str) -> DasVersion | None:
        """The latest version of the image resource with this exact name, if there is one."""
        return next((image for image in self.images() if image.name == name), None)

    def communication(self, name: str) -> DasVersion | None:
        """The latest version of the communication with this exact name, if there is one."""
        params = {"filter.types": COMMUNICATION, "filter.latestVersion": "true"}
        for item in self.pages(f"/resources/{self.domain}", params):
            found = read_version(item)
            if found.name == name:
                return found
        return None

    # Orchestration

    def generate(self, communication_id: str, data_source: str, driver: bytes, kind: str) -> bytes:
        """Have Orchestration produce the communication's document for the driver data, as a
        PDF; once (a proof asked again is a new pre-flight). Raise ExstreamError."""
        url = (
            f"{settings.EXSTREAM_ORCHESTRATION_URL or settings.EXSTREAM_URL}"
            "/orchestration/api/v1/inputs/ondemand/"
            f"{self.domain}/generate"
        )
        for renew in (False, True):
            headers = {
                "Authorization": f"Bearer {self.token(renew)}",
                "communicationId": communication_id,
                "driverDataSource": data_source,
                "Content-Type": kind,
                "Accept": "application/pdf",
            }
            try:
                with self.http.stream("POST", url, content=driver, headers=headers) as response:
                    if response.status_code == 401 and not renew:
                        continue
                    if response.status_code >= 400:
                        response.read()
                        raise _refusal("POST", "Orchestration's generate", response)
                    return _bounded(response, settings.PROOF_MAX_BYTES)
            except httpx.HTTPError as error:
                raise ExstreamError(f"Orchestration: {error!r}", retryable=True) from error
        raise AssertionError("unreachable")  # pragma: no cover

    # Writes

    def create(self, name: str, data: bytes, media_type: str) -> DasVersion:
        body = self.call(
            "POST",
            f"/resources/{self.domain}/content",
            params={"name": name, "type": "image"},
            files={"file": (_file_name(name, media_type), data, media_type)},
        )
        return read_version(_data(body, "the create"))

    def put_content(self, image: DasVersion, data: bytes, media_type: str) -> None:
        self.call(
            "PUT",
            f"/resources/{self.domain}/{image.id}/content",
            files={"file": (_file_name(image.name, media_type), data, media_type)},
        )

    def move(self, image: DasVersion, state: str, comment: str) -> DasVersion:
        body = self.call(
            "PUT",
            f"/resources/{self.domain}/{image.id}/state",
            json={"state": state, "auditedComment": comment, "locked": False},
        )
        return read_version(_data(body, f"the move to {state}"))

    # Links

    def used_by(self, resource_id: str, types: str = "exstrapplication") -> list[DasVersion]:
        """The resources that use this one, through any depth of links (e.g. communications)."""
        params = {"linkObjectId": resource_id, "linkDepth": 10, "rfilter.types": types}
        path = f"/links/{self.domain}/resources"
        return [read_version(item) for item in self.pages(path, params)]

    def links(self, subject_id: str, version: int) -> list[dict[str, str]]:
        """What one version of a resource uses directly: (object id, object type) pairs."""
        params = {"linkSubjectId": subject_id, "linkSubjectVersion": version, "linkDepth": 1}
        found = []
        for item in self.pages(f"/links/{self.domain}", params):
            if not isinstance(item, dict) or not isinstance(item.get("linkObjectId"), str):
                raise ShapeError(f"a link of {subject_id} has no `linkObjectId`")
            found.append({"id": item["linkObjectId"], "type": str(item.get("typeId") or "")})
        return found

    def templates(self) -> list[dict[str, Any]]:
        """Approved communications and components with the images and components they link
        to, as the template import reads them (a resource's name is its Exstream id, its
        description, where a designer wrote one, its title)."""
        params = {
            "filter.types": ",".join((COMMUNICATION, *COMPONENTS)),
            "filter.states": "APPROVED",
            "filter.latestVersion": "true",
        }
        resources = [read_version(item) for item in self.pages(f"/resources/{self.domain}", params)]
        names = {resource.id: resource.name for resource in resources}
        names |= {image.id: image.name for image in self.images()}
        return [self._template(resource, names) for resource in resources]

    def _template(self, resource: DasVersion, names: dict[str, str]) -> dict[str, Any]:
        uses = self.links(resource.id, resource.version)  # the approved one, not a newer draft
        return {
            "id": resource.name,
            "name": resource.description[:200] or resource.name,
            "type": "communication" if resource.type == COMMUNICATION else "component",
            "images": [
                {"slot": "", "image": names[use["id"]], "resource": use["id"]}
                for use in uses
                if use["type"] == "image" and use["id"] in names
            ],
            "components": [
                names[use["id"]] for use in uses if use["type"] in COMPONENTS and use["id"] in names
            ],
        }

    # Pushing

    def push(self, *, name: str, data: bytes, media_type: str, key: str, sha256: str) -> DasVersion:
        """Make `data` the approved latest version of the image `name`, exactly once per key."""
        marker = f"govern {key} sha256 {sha256}"
        attempts = Attempts(self.policy, sleep=self.sleep)
        while True:
            try:
                return self._advance(self.latest(name), name, data, media_type, marker)
            except ExstreamError as failure:
                if not (failure.retryable or failure.status in (400, 409)):
                    raise
                attempts.wait(failure)  # it may have landed: read again, then go on

    def _advance(
        self, image: DasVersion | None, name: str, data: bytes, media_type: str, marker: str
    ) -> DasVersion:
        """Walk the image to approved with the marker, one step at a time, each from the state
        the previous step answered."""
        sent = False
        if image is None:
            image, sent = self.create(name, data, media_type), True
        for _step in range(8):  # the longest walk: review -> rejected -> draft -> ... approved
            if image.state == "APPROVED" and image.carries(marker):
                return image
            image = self._step(image, data, media_type, marker, sent)
            sent = False
        raise ExstreamError(f"{name} did not reach APPROVED: it is {image.state}.", retryable=True)

    def _step(
        self, image: DasVersion, data: bytes, media_type: str, marker: str, sent: bool
    ) -> DasVersion:
        if image.state == "APPROVED":  # someone else's, or an earlier one: the next version
            return self.move(image, "DRAFT", f"{marker}: the next version")
        if image.state == "REVIEW" and not image.carries(marker):  # not what Govern sends now
            return self.move(image, "REJECTED", f"{marker}: replaced by a newer approval")
        if image.state == "DRAFT" and not sent:
            self.put_content(image, data, media_type)  # the same bytes again change nothing
        following = NEXT[self.workflow()].get(image.state, "DRAFT")
        return self.move(image, following, f"{marker}: {following.lower()}")


def _refusal(method: str, path: str, response: httpx.Response) -> ExstreamError:
    """Read DAS's error body ({timestamp, status, message, error, details, errorCode, path})."""
    try:
        body = response.json()
    except ValueError:
        body = None
    said = ""
    if isinstance(body, dict):
        said = str(body.get("message") or body.get("details") or body.get("error") or "")
    return ExstreamError(
        f"{method} {path}: {response.status_code} {said or response.text[:200]}".strip(),
        retryable=response.status_code in RETRY_STATUSES,
        status=response.status_code,
    )


def _bounded(response: httpx.Response, limit: int) -> bytes:
    """Read a streamed answer, refusing one larger than `limit` bytes before holding it all."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise ExstreamError(
                f"Orchestration's document is larger than {limit // 1_000_000} MB.",
                retryable=False,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _file_name(name: str, media_type: str) -> str:
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}.get(media_type, "")
    stem = name.replace("/", "_")
    return f"{stem}.{extension}" if extension else stem


_das: Das | None = None


def gateway() -> Das:
    """Return the process's DAS gateway, configured from settings, one connection pool."""
    global _das  # noqa: PLW0603 - one pooled client per process
    if _das is None:
        _das = Das(
            base_url=settings.EXSTREAM_URL,
            domain=settings.EXSTREAM_DOMAIN,
            otds=Otds(
                token_url=settings.EXSTREAM_TOKEN_URL,
                client_id=settings.EXSTREAM_CLIENT_ID,
                client_secret=settings.EXSTREAM_CLIENT_SECRET,
                username=settings.EXSTREAM_USERNAME,
                password=settings.EXSTREAM_PASSWORD,
                scope=settings.EXSTREAM_OTDS_SCOPE,
            ),
        )
    return _das


def reset_gateway() -> None:
    """Forget the shared gateway (settings changed, in tests)."""
    global _das  # noqa: PLW0603
    _das = None
