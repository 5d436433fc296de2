"""Simulate OpenText Exstream as a standalone HTTP server, speaking one of two contracts.

Stdlib only, so it runs without Django: `python manage.py sandbox exstream --port 8101
[--api das|proxy]`. Its state lives in one SQLite file and survives a restart.

`--api das` (the default) speaks Exstream's Design API (DAS) and OTDS's token as OpenText's
public SDK sample shows them: repository `opentext/ocp-communication`, folder
`Samples/Communications SDK/` (`DasService`, `DasUriBuilder`, `OtdsService`, `OtdsUriBuilder`,
the DTOs under `model/`; the Postman collection at the repository's root). Its code lives in
sandboxes/das.py, whose docstring says what the sandbox decides where that material is silent.

    POST /otdsws/otdstenant/{tenant}/oauth2/token     the token on premises; OT2's path is
    POST /otdstenant/{tenant}/oauth2/token            without /otdsws. A form: grant_type=password
                                                      with username, password, client_id, scope,
                                                      or client_credentials with client_id,
                                                      client_secret, scope; scope must include
                                                      otds:groups. -> {access_token,
                                                      refresh_token, token_type, expires_in}
    Under /design/api/v1, with a bearer token; answers {status: "success", details, data},
    lists paged by count (1-1000, default 100) and offset with page: {pageSize, pageOffset,
    totalElements, totalPages, currentPageNumber}:
    GET  /version                                     {apiIdentifier, major, minor, patch,
                                                      versionString}, no envelope
    GET  /domains                                     DasDomain: {id, production, jobTracing,
                                                      workflow, restrictApproval, parent}
    GET  /resources/{domain}?filter.types=a,b&filter.states=APPROVED,DRAFT
         &filter.latestVersion=true|false             DasResourceVersion: {id, version, name,
                                                      type, state, stateComment, description,
                                                      createdBy, createdDate, lastModifiedBy,
                                                      lastModifiedDate, metadata: {subtype},
                                                      locked}, by name then version
    POST /resources/{domain}/content?name=&type=[&subtype=]   multipart `file`: 201, version 1
                                                      in DRAFT
    PUT  /resources/{domain}/{id}/content             multipart `file`: the latest version's
                                                      bytes, only while it is a DRAFT (else 409)
    PUT  /resources/{domain}/{id}/state               {state, auditedComment, locked}: moves the
                                                      latest version; stateComment becomes the
                                                      auditedComment
    GET  /links/{domain}?linkSubjectId=&linkDepth=[&linkSubjectVersion=][&filter.types=
         &filter.states=&filter.latestVersion=]       DasLink: {linkSubjectId, subjectVersion,
                                                      linkObjectId, typeId (the object's type)}
    GET  /links/{domain}/resources?linkObjectId=&linkDepth=[&rfilter.types=&rfilter.states=]
                                                      the resource versions using the object,
                                                      directly or through others, to the depth
    Every 4xx and 5xx under /design has the body {timestamp (epoch ms), status, message, error
    (the reason phrase), details, errorCode, path}.
    Under /orchestration/api/v1 (sandboxes/orchestration.py), with a bearer token:
    POST /inputs/ondemand/{domain}/generate           headers communicationId, driverDataSource;
                                                      the driver data as JSON or XML -> the PDF
                                                      (Accept: application/pdf) or {status,
                                                      details, data: [{content (base64),
                                                      mimeType, engineOutputContext}]}
    GET  /version

Workflows, by the domain's `workflow`: standard DRAFT -> REVIEW -> APPROVED | REJECTED,
REJECTED -> DRAFT, APPROVED -> DRAFT; simple DRAFT -> APPROVED -> DRAFT. APPROVED -> DRAFT
starts the next version, a DRAFT copy of the approved bytes; the approved version stays. Any
other move is a 409, an unknown state a 400. Resource types are open strings; the seeded ones
are `exstrapplication` (communications), `exstrcomponentobj` (components) and, from Govern,
`image`. Defaults, each a command option: tenant `govern` (--otds-tenant), client `govern` with
secret `sandbox-secret` (--client-id, --client-secret), service account `govern-service` with
password `sandbox-password` (--username, --password), one domain `govern` with the standard
workflow (--domain NAME[:simple][:tracing], repeatable; the first one is seeded).

`--api proxy` keeps Govern's own contract, for customers who put a proxy in front of Exstream
and for the tests written against it (not OpenText's shapes):

    POST /otdstenant/{tenant}/otdsws/oauth2/token     client credentials -> bearer token
                                                      (/otdsws/oauth2/token without a tenant)
    Under the API prefix (--api-prefix, default /design/das/v1; PREFIX below):
    GET  PREFIX/resources?type=image[&name=...]       images, or the one with that exact name
    GET  PREFIX/resources/{id}                        one image with all its versions
    GET  PREFIX/resources/{id}/usedby                 templates with a slot naming the image
    POST PREFIX/resources/images                      multipart upload: new image or next version
    POST PREFIX/resources/{id}/versions/{n}/submit    draft -> submitted
    POST PREFIX/resources/{id}/versions/{n}/approve   submitted -> approved
    GET  PREFIX/templates[?type=...]                  the seeded, read-only templates

The sandbox's own endpoints, in either mode:
    GET  /_sandbox/health, GET /_sandbox/writes, POST /_sandbox/reset, GET|POST /_sandbox/faults
    POST /_sandbox/runs                                a production run that asks Govern's
                                                       pre-flight, reads its manifest and
                                                       reports usage (sandboxes/production.py)
and in DAS mode (bodies are JSON; `domain` defaults to the first one):
    POST /_sandbox/resources  {name, type, description, state (APPROVED), links: [{object,
                              slot}]}: a resource as a designer makes it, at version 1
    POST /_sandbox/links      {subject, object, slot}: link the subject's latest version (by id
                              or name) to an object, by id, or by name, reaching every resource
                              named so or named so followed by "/..." (Govern's image names
                              `<asset key>/<variant>/<profile>` are reached by the asset key)
    GET  /_sandbox/links      the links with their slots and what each reaches now
    GET  /_sandbox/content/{id}/{version}   a version's bytes (DAS's published calls return none)
    GET|POST /_sandbox/output  {stale_images, local_image, text_edits: [[old, new]],
                              unavailable}: what Orchestration's documents embed instead
Slot names are the sandbox's own: DAS publishes none, so they show only under /_sandbox. The
seeded templates are Govern's demo ones (INSURANCE-FOOTER with the slot footer_logo, policy
letter, statement, welcome letter, renewal mailing; the same for BANKING), linked to their
images by asset key (sandboxes/das.py lists them).

Faults hit the resource calls only (/design in DAS mode, PREFIX in proxy mode), never the
token or the /_sandbox endpoints. Each request first waits `latency_ms`, then draws one number:
below `error_rate` it gets a 503 and nothing changes; in the next `timeout_rate` it is applied
and answered `timeout_seconds` late; in the next `drop_rate` it is applied and the connection is
closed without an answer. The rates are shares of all requests, checked in that order; past a
sum of 1 the later ones get what is left.

Idempotency, proxy mode only: every POST under PREFIX needs an Idempotency-Key. The first
successful (2xx) answer for a key is remembered and a later request with that key, to any path,
gets it again without changing anything. Rejected and failed writes are not remembered, so they
can be retried. DAS has no such key: in DAS mode a write is applied each time it arrives.

The write log has one entry per write, in order: each POST under PREFIX (proxy), each POST and
PUT under /design (DAS). `outcome` says what the write did:
    applied   the state changed and the answer went out
    timeout   the state changed; the answer was held back `timeout_seconds`
    dropped   the state changed; the connection was closed without an answer
    failed    an injected 503; nothing changed
    replayed  a repeated Idempotency-Key (proxy only); the remembered answer, nothing changed
    rejected  a 4xx (bad token, missing key, bad form, unknown id, wrong state); nothing changed
Its extra `fault` field names the injected fault ("error", "timeout", "drop") or is null, so a
replayed or rejected write whose answer was delayed or dropped still shows that; `resource` and
`version` name what a successful write concerned.
"""

import hashlib
import json
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sandboxes import das
from sandboxes.common import (
    UNAVAILABLE,
    Answer,
    Database,
    Fault,
    Faults,
    FaultSettings,
    Part,
    Problem,
    Reply,
    Request,
    make_server,
    now,
    parse_multipart,
    require_bearer,
    resolve,
    route,
    run_until_stopped,
    same,
    write_once,
)
from sandboxes.production import Govern, run_request

APIS = ("das", "proxy")
DEFAULT_PREFIX = "/design/das/v1"
TRANSITIONS = {"submit": ("draft", "submitted"), "approve": ("submitted", "approved")}
TEMPLATE_TYPES = ("communication", "document", "component", "design", "message")

# One domain of templates. Components are shared by communications, so an image in a component
# reaches the communications only through it: /usedby lists direct parents only.
SEED_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": "CMP-HEADER",
        "name": "Shared header",
        "type": "component",
        "channels": ["print", "email"],
        "images": [{"slot": "logo", "image": "brand.logo.primary/any/print"}],
        "components": [],
    },
    {
        "id": "CMP-DISCLOSURE",
        "name": "Disclosure block",
        "type": "component",
        "channels": ["print", "email"],
        "images": [{"slot": "disclosure", "image": "legal.disclosure.standard/any/print"}],
        "components": [],
    },
    {
        "id": "COM-STATEMENT",
        "name": "Monthly statement",
        "type": "communication",
        "channels": ["print", "email"],
        "images": [{"slot": "product", "image": "product.card.gold/any/print"}],
        "components": ["CMP-HEADER", "CMP-DISCLOSURE"],
    },
    {
        "id": "COM-RENEWAL",
        "name": "Renewal letter",
        "type": "communication",
        "channels": ["print"],
        "images": [{"slot": "signature", "image": "brand.signature.ceo/any/print"}],
        "components": ["CMP-HEADER"],
    },
    {
        "id": "COM-BILL",
        "name": "Electricity bill",
        "type": "communication",
        "channels": ["print", "email"],
        "images": [],
        "components": ["CMP-HEADER", "CMP-DISCLOSURE"],
    },
    {
        "id": "DSN-THEME",
        "name": "Corporate theme",
        "type": "design",
        "channels": ["print", "email"],
        "images": [{"slot": "background", "image": "brand.background.light/any/print"}],
        "components": [],
    },
    {
        "id": "MSG-GOLD-OFFER",
        "name": "Gold card offer",
        "type": "message",
        "channels": ["email"],
        "images": [{"slot": "banner", "image": "product.card.gold/any/email"}],
        "components": [],
    },
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS versions (
    image_id TEXT NOT NULL REFERENCES images (id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    properties TEXT NOT NULL,
    created_at TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (image_id, version)
);
CREATE TABLE IF NOT EXISTS templates (
    position INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
"""
VERSION_COLUMNS = "version, state, content_type, sha256, size, properties, created_at"


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    token_ttl: int


class Store(Database):
    """The sandbox's SQLite state: images, idempotency records, the write log and templates."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)
        with self.transaction():
            if self._connection.execute("SELECT 1 FROM templates LIMIT 1").fetchone() is None:
                self._seed()

    def reset(self) -> None:
        """Forget images, idempotency records and the write log; seed the templates afresh."""
        with self.transaction():
            self._connection.execute("DELETE FROM versions")
            self._connection.execute("DELETE FROM images")
            self._connection.execute("DELETE FROM templates")
            self.forget_writes()
            self._seed()

    def _seed(self) -> None:
        self._connection.executemany(
            "INSERT INTO templates (position, id, type, body) VALUES (?, ?, ?, ?)",
            [
                (position, template["id"], template["type"], json.dumps(template))
                for position, template in enumerate(SEED_TEMPLATES)
            ],
        )

    def images(self, name: str | None) -> list[dict[str, Any]]:
        with self.transaction():
            if name is None:
                rows = self._connection.execute("SELECT id, name FROM images ORDER BY rowid")
            else:
                rows = self._connection.execute(
                    "SELECT id, name FROM images WHERE name = ?", (name,)
                )
            return [self._image(row) for row in rows.fetchall()]

    def image(self, resource: str) -> dict[str, Any] | None:
        with self.transaction():
            row = self._connection.execute(
                "SELECT id, name FROM images WHERE id = ?", (resource,)
            ).fetchone()
            return None if row is None else self._image(row)

    def _image(self, row: sqlite3.Row) -> dict[str, Any]:
        versions = self._connection.execute(
            f"SELECT {VERSION_COLUMNS} FROM versions WHERE image_id = ? ORDER BY version",  # noqa: S608
            (row["id"],),
        ).fetchall()
        return {
            "id": row["id"],
            "name": row["name"],
            "type": "image",
            "versions": [_version(each) for each in versions],
        }

    def add_version(
        self, name: str, content: bytes, content_type: str, properties: dict[str, Any]
    ) -> tuple[str, int]:
        """Add the next draft version of the image called `name`, creating the image first."""
        with self.transaction():
            row = self._connection.execute(
                "SELECT id FROM images WHERE name = ?", (name,)
            ).fetchone()
            resource = str(uuid.uuid4()) if row is None else row["id"]
            if row is None:
                self._connection.execute(
                    "INSERT INTO images (id, name) VALUES (?, ?)", (resource, name)
                )
            (latest,) = self._connection.execute(
                "SELECT COALESCE(MAX(version), 0) FROM versions WHERE image_id = ?", (resource,)
            ).fetchone()
            self._connection.execute(
                "INSERT INTO versions (image_id, version, state, content_type, sha256, size,"
                " properties, created_at, content) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?)",
                (
                    *(resource, latest + 1, content_type, hashlib.sha256(content).hexdigest()),
                    *(len(content), json.dumps(properties), now(), content),
                ),
            )
        return resource, latest + 1

    def version(self, resource: str, number: int) -> dict[str, Any] | None:
        with self.transaction():
            row = self._connection.execute(
                f"SELECT {VERSION_COLUMNS} FROM versions WHERE image_id = ? AND version = ?",  # noqa: S608
                (resource, number),
            ).fetchone()
        return None if row is None else _version(row)

    def set_state(self, resource: str, number: int, state: str) -> dict[str, Any]:
        with self.transaction():
            self._connection.execute(
                "UPDATE versions SET state = ? WHERE image_id = ? AND version = ?",
                (state, resource, number),
            )
            changed = self.version(resource, number)
        assert changed is not None  # noqa: S101 - the caller found it inside the same lock
        return changed

    def templates(self, kind: str | None) -> list[dict[str, Any]]:
        with self.transaction():
            rows = self._connection.execute(
                "SELECT body FROM templates WHERE ? IS NULL OR type = ? ORDER BY position",
                (kind, kind),
            ).fetchall()
        return [json.loads(row["body"]) for row in rows]


def _version(row: sqlite3.Row) -> dict[str, Any]:
    return {**dict(row), "properties": json.loads(row["properties"])}


class Sandbox:
    """The simulated service: routes a request, applies faults and keeps writes idempotent."""

    def __init__(
        self,
        store: Store,
        client: Client,
        faults: Faults,
        seed: int | None,
        govern: Govern | None = None,
        api_prefix: str = DEFAULT_PREFIX,
        otds_tenant: str = "",
    ) -> None:
        self.store = store
        self.govern = govern
        self.client = client
        self.faults = FaultSettings(faults, seed)
        self.prefix = "/" + api_prefix.strip("/")
        api = re.escape(self.prefix)
        otds = f"/otdstenant/{re.escape(otds_tenant)}/otdsws" if otds_tenant else "/otdsws"
        resource = api + r"/resources/(?P<id>[^/]+)"
        self._routes = [
            route("POST", otds + r"/oauth2/token", self._token),
            route("GET", api + r"/resources", self._list_images),
            route("POST", api + r"/resources/images", self._upload),
            route("GET", resource, self._get_image),
            route("GET", resource + r"/usedby", self._used_by),
            route(
                "POST",
                resource + r"/versions/(?P<version>\d+)/(?P<step>submit|approve)",
                self._transition,
            ),
            route("GET", api + r"/templates", self._templates),
            route("GET", r"/_sandbox/health", self._health),
            route("GET", r"/_sandbox/writes", self._writes),
            route("POST", r"/_sandbox/reset", self._reset),
            route("GET", r"/_sandbox/faults", self._get_faults),
            route("POST", r"/_sandbox/faults", self._set_faults),
            route("POST", r"/_sandbox/runs", self._run),
        ]

    def respond(self, request: Request) -> Answer:
        """Answer one request; one under the API prefix first waits and draws its fault."""
        if not request.path.startswith(self.prefix + "/"):
            return Answer(self._dispatch(request))
        faults = self.faults.current
        time.sleep(faults.latency_ms / 1000)
        fault = self.faults.draw(faults)
        if request.method == "POST":
            reply = write_once(self.store, self._routes, request, fault)
        elif fault is Fault.ERROR:
            reply = UNAVAILABLE
        else:
            reply = self._dispatch(request, authenticate=True)
        delay = faults.timeout_seconds if fault is Fault.TIMEOUT else 0.0
        return Answer(reply, delay_seconds=delay, drop=fault is Fault.DROP)

    def _dispatch(self, request: Request, authenticate: bool = False) -> Reply:
        try:
            if authenticate:
                self._authenticate(request)
            action, params = resolve(self._routes, request)
            return action(request, params)
        except Problem as problem:
            return problem.reply()

    def _authenticate(self, request: Request) -> None:
        require_bearer(request, self.store)

    def _token(self, request: Request, params: dict[str, str]) -> Reply:
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise Problem(400, "unsupported_grant_type", "only client_credentials is supported")
        if not (
            same(form.get("client_id", ""), self.client.client_id)
            and same(form.get("client_secret", ""), self.client.client_secret)
        ):
            raise Problem(401, "invalid_client", "unknown client or wrong secret")
        body = {
            "access_token": self.store.issue_token(self.client.token_ttl),
            "token_type": "Bearer",
            "expires_in": self.client.token_ttl,
        }
        return Reply(200, body, {"Cache-Control": "no-store"})

    def _list_images(self, request: Request, params: dict[str, str]) -> Reply:
        # Images are the only resource type simulated; any other type has no resources.
        if request.query.get("type", "image") != "image":
            return Reply(200, {"items": []})
        return Reply(200, {"items": self.store.images(request.query.get("name"))})

    def _get_image(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, self._image(params["id"]))

    def _image(self, resource: str) -> dict[str, Any]:
        image = self.store.image(resource)
        if image is None:
            raise Problem(404, "not_found", f"no resource {resource}")
        return image

    def _used_by(self, request: Request, params: dict[str, str]) -> Reply:
        name = self._image(params["id"])["name"]
        parents = [
            {"id": template["id"], "name": template["name"], "type": template["type"]}
            for template in self.store.templates(None)
            if any(slot["image"] == name for slot in template["images"])
        ]
        return Reply(200, {"items": parents})

    def _upload(self, request: Request, params: dict[str, str]) -> Reply:
        parts = parse_multipart(request.headers.get("Content-Type", ""), request.body)
        name = _text(parts, "name").strip()
        if not name:
            raise Problem(400, "invalid_request", "the form needs a non-empty 'name'")
        properties = _properties(_text(parts, "properties") or "{}")
        upload = parts.get("file")
        if upload is None or not upload.content:
            raise Problem(400, "invalid_request", "the form needs a non-empty 'file' part")
        content_type = upload.content_type or "application/octet-stream"
        resource, version = self.store.add_version(name, upload.content, content_type, properties)
        body = {"resource": resource, "version": version, "state": "draft"}
        return Reply(201, body, resource=resource, version=version)

    def _transition(self, request: Request, params: dict[str, str]) -> Reply:
        source, target = TRANSITIONS[params["step"]]
        resource, number = params["id"], int(params["version"])
        version = self.store.version(resource, number)
        if version is None:
            raise Problem(404, "not_found", f"no version {number} of resource {resource}")
        if version["state"] != source:
            raise Problem(409, "invalid_state", f"version {number} is {version['state']}")
        changed = self.store.set_state(resource, number, target)
        return Reply(200, changed, resource=resource, version=number)

    def _templates(self, request: Request, params: dict[str, str]) -> Reply:
        kind = request.query.get("type")
        if kind is not None and kind not in TEMPLATE_TYPES:
            raise Problem(
                400, "invalid_request", f"type must be one of {', '.join(TEMPLATE_TYPES)}"
            )
        return Reply(200, {"items": self.store.templates(kind)})

    def _health(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, {"status": "ok"})

    def _writes(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, {"items": self.store.writes()})

    def _reset(self, request: Request, params: dict[str, str]) -> Reply:
        self.store.reset()
        return Reply(200, {"status": "reset"})

    def _run(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, run_request(self.govern, request.body, self.store))

    def _get_faults(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, asdict(self.faults.current))

    def _set_faults(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, asdict(self.faults.change(request.body)))


def _text(parts: dict[str, Part], name: str) -> str:
    part = parts.get(name)
    if part is None:
        return ""
    try:
        return part.content.decode()
    except UnicodeDecodeError as error:
        raise Problem(400, "invalid_request", f"'{name}' is not UTF-8 text") from error


def _properties(text: str) -> dict[str, Any]:
    try:
        properties = json.loads(text)
    except ValueError:
        properties = None
    if not isinstance(properties, dict):
        raise Problem(400, "invalid_request", "'properties' must be a JSON object")
    return properties


def serve(
    *,
    host: str,
    port: int,
    state: Path,
    error_rate: float = 0.0,
    timeout_rate: float = 0.0,
    drop_rate: float = 0.0,
    latency_ms: int = 0,
    timeout_seconds: float = 5.0,
    token_ttl: int = 300,
    client_id: str = "govern",
    client_secret: str = "sandbox-secret",  # noqa: S107 - the sandbox's documented default
    seed: int | None = None,
    govern_url: str | None = None,
    api: str = "das",
    api_prefix: str = DEFAULT_PREFIX,
    otds_tenant: str | None = None,
    domains: Sequence[das.Domain] | None = None,
    username: str = "govern-service",
    password: str = "sandbox-password",  # noqa: S107 - the sandbox's documented default
) -> None:
    """Serve the Exstream sandbox in the foreground until SIGINT or SIGTERM, speaking `api`:
    "das" (OpenText's Design API and OTDS token) or "proxy" (Govern's own contract, its
    resources under `api_prefix`)."""
    if api not in APIS:
        raise ValueError(f"api must be one of {', '.join(APIS)}")
    faults = Faults(error_rate, timeout_rate, drop_rate, latency_ms, timeout_seconds)
    key = os.environ.get("GOVERN_API_KEY", "")
    govern = Govern(govern_url, key) if govern_url and key else None
    if api == "das":
        tenant = otds_tenant or das.Accounts.tenant
        accounts = das.Accounts(tenant, client_id, client_secret, username, password, token_ttl)
        served = list(domains or [das.Domain("govern")])
        das_sandbox = das.Sandbox(
            das.Store(state, served[0].id), accounts, served, faults, seed, govern
        )
        store: Database = das_sandbox.store
        respond, speaking = das_sandbox.respond, das_sandbox.summary()
    else:
        client = Client(client_id, client_secret, token_ttl)
        proxy = Sandbox(Store(state), client, faults, seed, govern, api_prefix, otds_tenant or "")
        store, respond = proxy.store, proxy.respond
        speaking = f"Govern's proxy contract under {proxy.prefix}"
    try:
        server = make_server(respond, host, port, "ExstreamSandbox")
        print(
            f"Exstream sandbox on http://{host}:{server.server_port}/ (state: {state})", flush=True
        )
        print(f"Speaking {speaking}", flush=True)
        run_until_stopped(server)
    finally:
        store.close()
