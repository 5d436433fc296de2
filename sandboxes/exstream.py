"""Simulate OpenText Exstream's design-asset service (DAS) as a standalone HTTP server.

Stdlib only, so it runs without Django: `python manage.py sandbox exstream --port 8101`.
Images with their bytes, idempotency records, the write log, tokens and the seeded templates
live in one SQLite file and survive a restart.

    POST /otdsws/oauth2/token                          client credentials -> bearer token
    GET  /das/v1/resources?type=image[&name=...]       images, or the one with that exact name
    GET  /das/v1/resources/{id}                        one image with all its versions
    GET  /das/v1/resources/{id}/usedby                 templates with a slot naming the image
    POST /das/v1/resources/images                      multipart upload: new image or next version
    POST /das/v1/resources/{id}/versions/{n}/submit    draft -> submitted
    POST /das/v1/resources/{id}/versions/{n}/approve   submitted -> approved
    GET  /das/v1/templates[?type=...]                  the seeded, read-only templates
    GET  /_sandbox/health, GET /_sandbox/writes, POST /_sandbox/reset, GET|POST /_sandbox/faults

Faults hit /das/v1 only, never the token or the /_sandbox endpoints. Each request first waits
`latency_ms`, then draws one number: below `error_rate` it gets a 503 and nothing changes; in the
next `timeout_rate` it is applied and answered `timeout_seconds` late; in the next `drop_rate`
it is applied and the connection is closed without an answer. The rates are shares of all
requests, checked in that order; past a sum of 1 the later ones get what is left.

Idempotency: every POST to /das/v1 needs an Idempotency-Key. The first successful (2xx) answer
for a key is remembered and a later request with that key, to any path, gets it again without
changing anything. Rejected and failed writes are not remembered, so they can be retried.

The write log has one entry per POST to /das/v1, in order. `outcome` says what the write did:
    applied   the state changed and the answer went out
    timeout   the state changed; the answer was held back `timeout_seconds`
    dropped   the state changed; the connection was closed without an answer
    failed    an injected 503; nothing changed
    replayed  a repeated Idempotency-Key; the remembered answer again, nothing changed
    rejected  a 4xx (bad token, missing key, bad form, unknown id, wrong state); nothing changed
Its extra `fault` field names the injected fault ("error", "timeout", "drop") or is null, so a
replayed or rejected write whose answer was delayed or dropped still shows that.
"""

import hashlib
import hmac
import json
import random
import re
import secrets
import signal
import socket
import sqlite3
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import collapse_rfc2231_value
from enum import Enum
from functools import partial
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DAS_PREFIX = "/das/v1/"
MAX_BODY_BYTES = 64 * 1024 * 1024
IDLE_SECONDS = 60  # a kept-alive connection without a next request is closed after this
TRANSITIONS = {"submit": ("draft", "submitted"), "approve": ("submitted", "approved")}
TEMPLATE_TYPES = ("communication", "document", "component", "design", "message")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

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
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    resource TEXT,
    version INTEGER
);
CREATE TABLE IF NOT EXISTS writes (
    seq INTEGER PRIMARY KEY,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    idempotency_key TEXT,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    fault TEXT,
    resource TEXT,
    version INTEGER,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS templates (
    position INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
"""
VERSION_COLUMNS = "version, state, content_type, sha256, size, properties, created_at"


class Fault(Enum):
    NONE = None
    ERROR = "error"
    TIMEOUT = "timeout"
    DROP = "drop"


# The outcome of a write that changed the state, by how its answer was delivered.
CHANGED_OUTCOMES = {Fault.NONE: "applied", Fault.TIMEOUT: "timeout", Fault.DROP: "dropped"}


@dataclass(frozen=True)
class Faults:
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: int = 0
    timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            _check_fault(name, value)

    def changed(self, changes: dict[str, Any]) -> "Faults":
        """Return these faults with `changes` applied; ValueError says what is wrong."""
        known = {each.name for each in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        return replace(self, **changes)


def _check_fault(name: str, value: Any) -> None:
    integral = name == "latency_ms"
    kinds: tuple[type, ...] = (int,) if integral else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ValueError(f"{name} must be {'an integer' if integral else 'a number'}")
    if value < 0 or (name.endswith("_rate") and value > 1):
        raise ValueError(
            f"{name} must be {'between 0 and 1' if name.endswith('_rate') else '>= 0'}"
        )


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    token_ttl: int


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    # The image and version a write concerned, for the write log and the idempotency record.
    resource: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class Answer:
    reply: Reply
    delay_seconds: float = 0.0
    drop: bool = False


class Problem(Exception):
    """A request the sandbox refuses; becomes an error reply."""

    def __init__(
        self, status: int, error: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}

    def reply(self) -> Reply:
        return Reply(self.status, {"error": self.error, "detail": self.detail}, self.headers)


UNAVAILABLE = Reply(
    503,
    {"error": "unavailable", "detail": "injected fault; nothing changed, try again"},
    {"Retry-After": "0"},
)


@dataclass(frozen=True)
class Part:
    content_type: str | None
    content: bytes


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """The sandbox's SQLite state: one connection behind one lock, so statements never overlap."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.RLock()
        self._depth = 0
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.row_factory = sqlite3.Row
        self._connection.executescript(SCHEMA)
        with self.transaction():
            if self._connection.execute("SELECT 1 FROM templates LIMIT 1").fetchone() is None:
                self._seed()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; the outermost transaction commits, or rolls back on an exception."""
        with self.lock:
            outermost = self._depth == 0
            self._depth += 1
            try:
                if outermost:
                    with self._connection:
                        yield
                else:
                    yield
            finally:
                self._depth -= 1

    def close(self) -> None:
        with self.lock:
            self._connection.close()

    def reset(self) -> None:
        """Forget images, idempotency records and the write log; seed the templates afresh."""
        with self.transaction():
            self._connection.execute("DELETE FROM versions")
            self._connection.execute("DELETE FROM images")
            self._connection.execute("DELETE FROM idempotency")
            self._connection.execute("DELETE FROM writes")
            self._connection.execute("DELETE FROM templates")
            self._seed()

    def _seed(self) -> None:
        self._connection.executemany(
            "INSERT INTO templates (position, id, type, body) VALUES (?, ?, ?, ?)",
            [
                (position, template["id"], template["type"], json.dumps(template))
                for position, template in enumerate(SEED_TEMPLATES)
            ],
        )

    def issue_token(self, ttl_seconds: int) -> str:
        token = secrets.token_urlsafe(32)
        with self.transaction():
            self._connection.execute("DELETE FROM tokens WHERE expires_at <= ?", (time.time(),))
            self._connection.execute(
                "INSERT INTO tokens (token, expires_at) VALUES (?, ?)",
                (token, time.time() + ttl_seconds),
            )
        return token

    def token_valid(self, token: str) -> bool:
        with self.transaction():
            row = self._connection.execute(
                "SELECT expires_at FROM tokens WHERE token = ?", (token,)
            ).fetchone()
        return row is not None and row["expires_at"] > time.time()

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

    def remembered(self, key: str) -> Reply | None:
        """The answer the first successful write with this Idempotency-Key got, if any."""
        with self.transaction():
            row = self._connection.execute(
                "SELECT status, body, resource, version FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        body = json.loads(row["body"])
        return Reply(row["status"], body, resource=row["resource"], version=row["version"])

    def remember(self, key: str, reply: Reply) -> None:
        with self.transaction():
            self._connection.execute(
                "INSERT INTO idempotency (key, status, body, resource, version)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, reply.status, json.dumps(reply.body), reply.resource, reply.version),
            )

    def log_write(
        self, request: Request, key: str | None, reply: Reply, outcome: str, fault: Fault
    ) -> None:
        with self.transaction():
            self._connection.execute(
                "INSERT INTO writes (method, path, idempotency_key, status, outcome, fault,"
                " resource, version, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(request.method, request.path, key, reply.status, outcome, fault.value),
                    *(reply.resource, reply.version, now()),
                ),
            )

    def writes(self) -> list[dict[str, Any]]:
        with self.transaction():
            rows = self._connection.execute(
                "SELECT seq, method, path, idempotency_key, status, outcome, fault, resource,"
                " version, at FROM writes ORDER BY seq"
            ).fetchall()
        return [dict(row) for row in rows]

    def templates(self, kind: str | None) -> list[dict[str, Any]]:
        with self.transaction():
            rows = self._connection.execute(
                "SELECT body FROM templates WHERE ? IS NULL OR type = ? ORDER BY position",
                (kind, kind),
            ).fetchall()
        return [json.loads(row["body"]) for row in rows]


def _version(row: sqlite3.Row) -> dict[str, Any]:
    return {**dict(row), "properties": json.loads(row["properties"])}


Action = Callable[[Request, dict[str, str]], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    action: Action


class Sandbox:
    """The simulated service: routes a request, applies faults and keeps writes idempotent."""

    def __init__(self, store: Store, client: Client, faults: Faults, seed: int | None) -> None:
        self.store = store
        self.client = client
        self.faults = faults
        self._faults_lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - simulated faults, not security
        self._random_lock = threading.Lock()
        self._routes = [
            _route("POST", r"/otdsws/oauth2/token", self._token),
            _route("GET", r"/das/v1/resources", self._list_images),
            _route("POST", r"/das/v1/resources/images", self._upload),
            _route("GET", r"/das/v1/resources/(?P<id>[^/]+)", self._get_image),
            _route("GET", r"/das/v1/resources/(?P<id>[^/]+)/usedby", self._used_by),
            _route(
                "POST",
                r"/das/v1/resources/(?P<id>[^/]+)/versions/(?P<version>\d+)/(?P<step>submit|approve)",
                self._transition,
            ),
            _route("GET", r"/das/v1/templates", self._templates),
            _route("GET", r"/_sandbox/health", self._health),
            _route("GET", r"/_sandbox/writes", self._writes),
            _route("POST", r"/_sandbox/reset", self._reset),
            _route("GET", r"/_sandbox/faults", self._get_faults),
            _route("POST", r"/_sandbox/faults", self._set_faults),
        ]

    def respond(self, request: Request) -> Answer:
        """Answer one request; a /das/v1 one first waits and draws its fault."""
        if not request.path.startswith(DAS_PREFIX):
            return Answer(self._dispatch(request))
        faults = self.faults
        time.sleep(faults.latency_ms / 1000)
        fault = self._draw(faults)
        if request.method == "POST":
            reply = self._write(request, fault)
        elif fault is Fault.ERROR:
            reply = UNAVAILABLE
        else:
            reply = self._dispatch(request, authenticate=True)
        delay = faults.timeout_seconds if fault is Fault.TIMEOUT else 0.0
        return Answer(reply, delay_seconds=delay, drop=fault is Fault.DROP)

    def _draw(self, faults: Faults) -> Fault:
        with self._random_lock:
            roll = self._random.random()
        for fault, rate in (
            (Fault.ERROR, faults.error_rate),
            (Fault.TIMEOUT, faults.timeout_rate),
            (Fault.DROP, faults.drop_rate),
        ):
            if roll < rate:
                return fault
            roll -= rate
        return Fault.NONE

    def _dispatch(self, request: Request, authenticate: bool = False) -> Reply:
        try:
            if authenticate:
                self._authenticate(request)
            action, params = self._route(request)
            return action(request, params)
        except Problem as problem:
            return problem.reply()

    def _write(self, request: Request, fault: Fault) -> Reply:
        """Apply a write at most once per Idempotency-Key, and log it whatever happens."""
        key = request.headers.get("Idempotency-Key") or None
        # One lock around the key check, the change and the log entry: concurrent requests
        # sharing a key cannot both miss the record and both apply.
        with self.store.transaction():
            reply, outcome = self._write_once(request, fault, key)
            self.store.log_write(request, key, reply, outcome, fault)
        return reply

    def _write_once(self, request: Request, fault: Fault, key: str | None) -> tuple[Reply, str]:
        if fault is Fault.ERROR:
            return UNAVAILABLE, "failed"
        try:
            self._authenticate(request)
            action, params = self._route(request)
            if key is None:
                raise Problem(400, "missing_idempotency_key", "writes need an Idempotency-Key")
            remembered = self.store.remembered(key)
            if remembered is not None:
                return remembered, "replayed"
            reply = action(request, params)
        except Problem as problem:
            return problem.reply(), "rejected"
        self.store.remember(key, reply)
        return reply, CHANGED_OUTCOMES[fault]

    def _route(self, request: Request) -> tuple[Action, dict[str, str]]:
        allowed = []
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if route.method == request.method:
                return route.action, match.groupdict()
            allowed.append(route.method)
        if allowed:
            methods = ", ".join(allowed)
            raise Problem(405, "method_not_allowed", f"use {methods}", {"Allow": methods})
        raise Problem(404, "not_found", f"no endpoint at {request.path}")

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.store.token_valid(token.strip()):
            raise Problem(
                401,
                "invalid_token",
                "a valid, unexpired bearer token is required",
                {"WWW-Authenticate": "Bearer"},
            )

    def _token(self, request: Request, params: dict[str, str]) -> Reply:
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise Problem(400, "unsupported_grant_type", "only client_credentials is supported")
        if not (
            _same(form.get("client_id", ""), self.client.client_id)
            and _same(form.get("client_secret", ""), self.client.client_secret)
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

    def _get_faults(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, asdict(self.faults))

    def _set_faults(self, request: Request, params: dict[str, str]) -> Reply:
        try:
            changes = json.loads(request.body or b"{}")
        except ValueError as error:
            raise Problem(400, "invalid_faults", "the body must be a JSON object") from error
        if not isinstance(changes, dict):
            raise Problem(400, "invalid_faults", "the body must be a JSON object")
        with self._faults_lock:
            try:
                self.faults = self.faults.changed(changes)
            except ValueError as error:
                raise Problem(400, "invalid_faults", str(error)) from error
        return Reply(200, asdict(self.faults))


def _route(method: str, pattern: str, action: Action) -> Route:
    return Route(method, re.compile(pattern), action)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


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


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """Split a multipart/form-data body into its parts by field name (the first one wins)."""
    header = Message()
    header["Content-Type"] = content_type
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not boundary:
        raise Problem(400, "invalid_request", "expected multipart/form-data with a boundary")
    delimiter = b"\r\n--" + collapse_rfc2231_value(boundary).encode("latin-1")
    # Prefixing CRLF lets the first delimiter match like the others; chunk 0 is the preamble.
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise Problem(400, "invalid_request", "the multipart body is not closed")
    parts: dict[str, Part] = {}
    for chunk in chunks[1:-1]:
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise Problem(400, "invalid_request", "a multipart part has no header end")
        headers = BytesHeaderParser().parsebytes(head.lstrip() + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        if name:
            parts.setdefault(collapse_rfc2231_value(name), Part(headers["Content-Type"], content))
    return parts


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ExstreamSandbox/1.0"
    timeout = IDLE_SECONDS
    # Headers and body leave in separate writes; without TCP_NODELAY the client's delayed ACK
    # adds about 40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True

    def __init__(self, *args: Any, sandbox: Sandbox, **kwargs: Any) -> None:
        self.sandbox = sandbox  # set first: the base class handles the request inside __init__
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        try:
            request = self._request()
        except Problem as problem:
            # The body was not read, so nothing more can be read from this connection.
            self._send(problem.reply(), close=True)
            return
        try:
            answer = self.sandbox.respond(request)
        except Exception:
            self.log_error("unexpected error:\n%s", traceback.format_exc())
            self._send(Reply(500, {"error": "internal", "detail": "the sandbox failed"}))
            return
        time.sleep(answer.delay_seconds)
        if answer.drop:
            self._drop()
        else:
            self._send(answer.reply)

    def _request(self) -> Request:
        if self.headers.get("Transfer-Encoding"):
            raise Problem(411, "length_required", "send the body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as error:
            raise Problem(400, "invalid_request", "Content-Length is not a number") from error
        if not 0 <= length <= MAX_BODY_BYTES:
            raise Problem(413, "too_large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        return Request(self.command, url.path, query, self.headers, body)

    def _send(self, reply: Reply, close: bool = False) -> None:
        payload = json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up waiting (a timeout fault) or went away
            self.close_connection = True

    def _drop(self) -> None:
        self.log_message('"%s" dropped without an answer', self.requestline)
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def make_server(sandbox: Sandbox, host: str, port: int) -> ThreadingHTTPServer:
    """Bind a threaded server (daemon threads) for the sandbox; port 0 picks a free one."""
    return ThreadingHTTPServer((host, port), partial(_Handler, sandbox=sandbox))


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
) -> None:
    """Serve the Exstream sandbox in the foreground until SIGINT or SIGTERM."""
    faults = Faults(error_rate, timeout_rate, drop_rate, latency_ms, timeout_seconds)
    store = Store(state)
    try:
        sandbox = Sandbox(store, Client(client_id, client_secret, token_ttl), faults, seed)
        server = make_server(sandbox, host, port)
        print(
            f"Exstream sandbox on http://{host}:{server.server_port}/ (state: {state})", flush=True
        )
        run_until_stopped(server)
    finally:
        store.close()


def run_until_stopped(server: HTTPServer) -> None:
    """Serve in a thread until SIGINT or SIGTERM reaches the main thread, then shut down."""
    thread = threading.Thread(target=server.serve_forever, name="sandbox-server")
    previous = {signum: signal.signal(signum, _raise_stop) for signum in STOP_SIGNALS}
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except _Stop:
        pass
    finally:
        for signum in STOP_SIGNALS:  # a second Ctrl-C must not interrupt the shutdown
            signal.signal(signum, signal.SIG_IGN)
        server.shutdown()
        server.server_close()
        thread.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Stop(Exception):
    """SIGINT or SIGTERM reached the sandbox."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop
