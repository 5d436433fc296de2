"""A webhook subscriber as Govern's README tells one to be written: it checks each event's
Govern-Signature and keeps what it received. Govern defines this contract itself (its events
are its own), so this sandbox follows Govern's README, not an outside system.

Stdlib only: `python manage.py sandbox receiver --port 8104`.

    POST /hooks              an event; 200 if its signature verifies with a known secret, else 400
    GET  /                   the events received, newest first, as a page
    GET  /_sandbox/events    the same as JSON: {"items": [{id, type, verified, body, ...}]}
    POST /_sandbox/secrets   {"secret": "whsec_..."} learns a secret (kept in the state file;
                             lines of STATE.secrets count too, as an operator pastes them)
    POST /_sandbox/answers   {"statuses": [503, 200], "location": "..."} scripts the next
                             answers (a 3xx with the location), for trying retries
    POST /_sandbox/reset     forgets events, secrets and scripted answers

A repeated event id is answered 200 and kept once: the id is the idempotency key.
"""

import hashlib
import hmac
import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOLERANCE_SECONDS = 300
MAX_BODY = 1024 * 1024


def verify(body: bytes, header: str, secrets: list[str], now: float | None = None) -> bool:
    """Check a Govern-Signature header: a fresh t and a v1 that one of the secrets made."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for name, value in parts if name == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    if abs((now or time.time()) - int(stamps[0])) > TOLERANCE_SECONDS:
        return False
    signed = stamps[0].encode() + b"." + body
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    given = [value for name, value in parts if name == "v1"]
    return any(hmac.compare_digest(e, g) for e in expected for g in given)


class Inbox:
    """Events, secrets and scripted answers, kept in one JSON file across restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.state: dict[str, Any] = {"events": [], "secrets": [], "statuses": [], "location": ""}
        if path.exists():
            self.state.update(json.loads(path.read_text() or "{}"))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.state))

    def next_answer(self) -> tuple[int, str]:
        with self.lock:
            if not self.state["statuses"]:
                return 0, ""
            status = int(self.state["statuses"].pop(0))
            self.save()
            return status, str(self.state.get("location", ""))

    def secrets(self) -> list[str]:
        """The secrets learnt, and those an operator wrote into STATE.secrets, one a line."""
        pasted = self.path.with_suffix(".secrets")
        lines = pasted.read_text().split() if pasted.exists() else []
        return [*self.state["secrets"], *lines]

    def receive(self, body: bytes, headers: dict[str, str]) -> bool:
        with self.lock:
            secrets = self.secrets()
            verified = verify(body, headers.get("govern-signature", ""), secrets)
            event_id = headers.get("govern-event-id", "")
            if any(e["id"] == event_id for e in self.state["events"]):
                return verified
            self.state["events"].append(
                {
                    "id": event_id,
                    "type": headers.get("govern-event-type", ""),
                    "verified": verified,
                    "signature": headers.get("govern-signature", ""),
                    "received_at": time.time(),
                    "body": json.loads(body or b"null") if verified else None,
                }
            )
            self.save()
            return verified


def make_handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return

        def _reply(self, status: int, body: Any, kind: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(min(length, MAX_BODY))

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            events = list(reversed(inbox.state["events"]))
            if self.path == "/_sandbox/events":
                self._reply(200, {"items": events})
            elif self.path == "/":
                rows = "".join(
                    f"<tr><td>{html.escape(e['type'])}</td><td>{html.escape(e['id'])}</td>"
                    f"<td>{'yes' if e['verified'] else 'NO'}</td>"
                    f"<td><pre>{html.escape(json.dumps(e['body'], indent=1))}</pre></td></tr>"
                    for e in events
                )
                page = (
                    "<!doctype html><title>Webhook receiver</title><h1>Events received</h1>"
                    "<table><tr><th>Type</th><th>Id</th><th>Signature verified</th><th>Body</th>"
                    f"</tr>{rows or '<tr><td colspan=4>Nothing yet.</td></tr>'}</table>"
                )
                self._reply(200, page.encode(), "text/html; charset=utf-8")
            else:
                self._reply(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            body = self._body()
            if self.path == "/hooks":
                self._hook(body)
                return
            try:
                given = json.loads(body or b"{}")
            except ValueError:
                self._reply(400, {"error": "invalid_json"})
                return
            with inbox.lock:
                if self.path == "/_sandbox/secrets" and isinstance(given.get("secret"), str):
                    inbox.state["secrets"].append(given["secret"])
                elif self.path == "/_sandbox/answers":
                    inbox.state["statuses"] = [int(s) for s in given.get("statuses", [])]
                    inbox.state["location"] = str(given.get("location", ""))
                elif self.path == "/_sandbox/reset":
                    inbox.state.update(events=[], secrets=[], statuses=[], location="")
                else:
                    self._reply(404, {"error": "not_found"})
                    return
                inbox.save()
            self._reply(200, {"ok": True})

        def _hook(self, body: bytes) -> None:
            status, location = inbox.next_answer()
            if status:
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            verified = inbox.receive(body, headers)
            self._reply(200 if verified else 400, {"verified": verified})

    return Handler


def make_server(state: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), make_handler(Inbox(state)))


def serve(*, host: str, port: int, state: Path, **ignored: Any) -> None:
    """Serve the receiver in the foreground until interrupted."""
    server = make_server(state, host, port)
    print(f"Webhook receiver on http://{host}:{server.server_port}/ (state: {state})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
