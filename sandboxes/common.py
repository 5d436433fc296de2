"""What every sandbox shares: fault settings, requests and replies, SQLite state, the HTTP server.

A sandbox turns a `Request` into an `Answer`; the handler here turns HTTP into the one and the
other back into HTTP, and `run_until_stopped` serves until SIGINT or SIGTERM.
"""

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

MAX_BODY_BYTES = 64 * 1024 * 1024
IDLE_SECONDS = 60  # a kept-alive connection without a next request is closed after this
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
TOKENS_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
"""
# Idempotency records and the write log: every column either sandbox needs.
# The package a production run read last per template (sandboxes/production.py), in either mode.
MANIFESTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS manifests (
    template TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
"""
WRITES_SCHEMA = """
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
"""
WRITE_COLUMNS = (
    *("seq", "method", "path", "idempotency_key", "status"),
    *("outcome", "fault", "resource", "version", "at"),
)


class Fault(Enum):
    NONE = None
    ERROR = "error"
    TIMEOUT = "timeout"
    DROP = "drop"
    RATE_LIMIT = "rate_limit"
    APPLIED_ERROR = "applied_error"  # a write applied, then answered 502 by a gateway in front


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

    def shares(self) -> tuple[tuple[Fault, float], ...]:
        """Return the faults a request can draw with their rates, in the order they are checked."""
        return (
            (Fault.ERROR, self.error_rate),
            (Fault.TIMEOUT, self.timeout_rate),
            (Fault.DROP, self.drop_rate),
        )


def _check_fault(name: str, value: Any) -> None:
    integral = name == "latency_ms"
    kinds: tuple[type, ...] = (int,) if integral else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ValueError(f"{name} must be {'an integer' if integral else 'a number'}")
    if value < 0 or (name.endswith("_rate") and value > 1):
        raise ValueError(
            f"{name} must be {'between 0 and 1' if name.endswith('_rate') else '>= 0'}"
        )


class FaultSettings:
    """The faults in force, read without a lock and changed at run time under one."""

    def __init__(self, faults: Faults, seed: int | None) -> None:
        self.current = faults
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - simulated faults, not security

    def draw(self, faults: Faults) -> Fault:
        """Draw one number and return the fault whose share of all requests it falls in."""
        with self._lock:
            roll = self._random.random()
        for fault, rate in faults.shares():
            if roll < rate:
                return fault
            roll -= rate
        return Fault.NONE

    def change(self, body: bytes) -> Faults:
        """Apply the settings in a JSON object body and return the faults now in force."""
        changes = json_object(body, "invalid_faults")
        with self._lock:
            try:
                self.current = self.current.changed(changes)
            except ValueError as error:
                raise Problem(400, "invalid_faults", str(error)) from error
            return self.current


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    host: str = ""  # the Host header, or the address the server listens on


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # JSON-encoded on the way out, unless it is already bytes
    headers: dict[str, str] = field(default_factory=dict)
    # What a write concerned, for the write log and the idempotency record.
    resource: str | None = None
    version: int | None = None
    content_type: str = "application/json"


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
RATE_LIMITED = Reply(
    429,
    {"error": "rate_limited", "detail": "injected fault; nothing changed, slow down"},
    {"Retry-After": "1"},
)
# Faults that answer a write at once and change nothing, by the answer and the logged outcome.
REFUSALS = {Fault.RATE_LIMIT: RATE_LIMITED, Fault.ERROR: UNAVAILABLE}
REFUSED_OUTCOMES = {Fault.RATE_LIMIT: "rate_limited", Fault.ERROR: "failed"}
# The outcome of a write that changed the state, by how its answer was delivered.
CHANGED_OUTCOMES = {
    Fault.NONE: "applied",
    Fault.TIMEOUT: "timeout",
    Fault.DROP: "dropped",
    Fault.APPLIED_ERROR: "applied_error",
}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_object(body: bytes, error: str) -> dict[str, Any]:
    """Parse a body that must be a JSON object; an empty body is an empty object."""
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Problem(400, error, "the body must be a JSON object")
    return value


@dataclass(frozen=True)
class Part:
    content_type: str | None
    content: bytes


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


def same(given: str, expected: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


class Database:
    """A sandbox's SQLite state: one connection behind one lock, so statements never overlap.

    Besides the sandbox's own tables it keeps tokens, idempotency records and the write log."""

    write_columns: tuple[str, ...] = WRITE_COLUMNS  # what GET /_sandbox/writes shows

    def __init__(self, path: Path, schema: str) -> None:
        self.lock = threading.RLock()
        self._depth = 0
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.row_factory = sqlite3.Row
        self._connection.executescript(TOKENS_SCHEMA + WRITES_SCHEMA + MANIFESTS_SCHEMA + schema)
        self._add_version_column()

    def _add_version_column(self) -> None:
        """Give a write log kept before the schema was shared (Smint.io's) its version column."""
        columns = {row["name"] for row in self._connection.execute("PRAGMA table_info(writes)")}
        if "version" not in columns:
            self._connection.execute("ALTER TABLE writes ADD COLUMN version INTEGER")

    def get(self, template: str) -> dict[str, Any] | None:
        """Return the manifest a run of the template read last (the sandbox's package cache)."""
        with self.transaction():
            row = self._connection.execute(
                "SELECT body FROM manifests WHERE template = ?", (template,)
            ).fetchone()
        return json.loads(row["body"]) if row else None

    def put(self, template: str, manifest: dict[str, Any]) -> None:
        with self.transaction():
            self._connection.execute(
                "INSERT INTO manifests (template, body) VALUES (?, ?) "
                "ON CONFLICT (template) DO UPDATE SET body = excluded.body",
                (template, json.dumps(manifest)),
            )

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
        columns = ", ".join(self.write_columns)
        with self.transaction():
            rows = self._connection.execute(
                f"SELECT {columns} FROM writes ORDER BY seq"  # noqa: S608 - names above
            ).fetchall()
        return [dict(row) for row in rows]

    def forget_writes(self) -> None:
        """Forget the idempotency records and the write log, as a reset does."""
        with self.transaction():
            self._connection.execute("DELETE FROM idempotency")
            self._connection.execute("DELETE FROM writes")


def require_bearer(request: Request, database: Database) -> None:
    """Refuse a request without an unexpired bearer token from `database`."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not database.token_valid(token.strip()):
        raise Problem(
            401,
            "invalid_token",
            "a valid, unexpired bearer token is required",
            {"WWW-Authenticate": "Bearer"},
        )


Action = Callable[[Request, dict[str, str]], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    action: Action


def route(method: str, pattern: str, action: Action) -> Route:
    return Route(method, re.compile(pattern), action)


def resolve(routes: list[Route], request: Request) -> tuple[Action, dict[str, str]]:
    """Find the action for a request and its path parameters; 404 or 405 if there is none."""
    allowed = []
    for each in routes:
        match = each.pattern.fullmatch(request.path)
        if match is None:
            continue
        if each.method == request.method:
            return each.action, match.groupdict()
        allowed.append(each.method)
    if allowed:
        methods = ", ".join(allowed)
        raise Problem(405, "method_not_allowed", f"use {methods}", {"Allow": methods})
    raise Problem(404, "not_found", f"no endpoint at {request.path}")


def write_once(database: Database, routes: list[Route], request: Request, fault: Fault) -> Reply:
    """Apply a write at most once per Idempotency-Key, and log it whatever happens."""
    key = request.headers.get("Idempotency-Key") or None
    # One lock around the key check, the change and the log entry: concurrent requests
    # sharing a key cannot both miss the record and both apply.
    with database.transaction():
        reply, outcome = _apply_once(database, routes, request, fault, key)
        database.log_write(request, key, reply, outcome, fault)
    return reply


def _apply_once(
    database: Database, routes: list[Route], request: Request, fault: Fault, key: str | None
) -> tuple[Reply, str]:
    if fault in REFUSALS:
        return REFUSALS[fault], REFUSED_OUTCOMES[fault]
    try:
        require_bearer(request, database)
        action, params = resolve(routes, request)
        if key is None:
            raise Problem(400, "missing_idempotency_key", "writes need an Idempotency-Key")
        remembered = database.remembered(key)
        if remembered is not None:
            return remembered, "replayed"
        reply = action(request, params)
    except Problem as problem:
        return problem.reply(), "rejected"
    database.remember(key, reply)
    return reply, CHANGED_OUTCOMES[fault]


Respond = Callable[[Request], Answer]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    # Headers and body leave in separate writes; without TCP_NODELAY the client's delayed ACK
    # adds about 40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True

    def __init__(self, *args: Any, respond: Respond, name: str, **kwargs: Any) -> None:
        # Set first: the base class handles the request inside __init__.
        self.respond = respond
        self.server_version = f"{name}/1.0"
        super().__init__(*args, **kwargs)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log only the requests that went wrong: a line per answered request is noise in
        `make run`'s output (/_sandbox/writes lists every write)."""
        if str(code).isdigit() and int(code) >= 400:
            super().log_request(code, size)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Say nothing of a kept-alive connection closed after IDLE_SECONDS idle: it is how
        HTTP/1.1 connections end, not a problem."""
        if format.startswith("Request timed out"):
            return
        super().log_error(format, *args)

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
            answer = self.respond(request)
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
        return Request(self.command, url.path, query, self.headers, body, self._host())

    def _host(self) -> str:
        # An HTTP/1.0 client may leave Host out; the address it reached stands in for it.
        host, port = self.connection.getsockname()[:2]
        return self.headers.get("Host") or f"{host}:{port}"

    def _send(self, reply: Reply, close: bool = False) -> None:
        body = reply.body
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
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


def make_server(respond: Respond, host: str, port: int, name: str) -> ThreadingHTTPServer:
    """Bind a threaded server (daemon threads) answering with `respond`; port 0 picks a free one."""
    return ThreadingHTTPServer((host, port), partial(_Handler, respond=respond, name=name))


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
