"""A Pusher Channels server (protocol 7) on loopback, for the Smint.io sandbox's notifications.

Smint.io tells consumers of feed changes through Pusher: a private channel per tenant
(`private-2-{channel id}`), the event `global-transaction-history-update`, channel
authorization through Smint.io's `/consumer/v1/notifications/pusher/auth`. This server speaks
the public Pusher protocol as far as Govern's client needs it: `pusher:connection_established`
with a socket id, `pusher:subscribe` with an auth signature (`{key}:{HMAC-SHA256(secret,
"{socket_id}:{channel}")}`), `pusher_internal:subscription_succeeded` or
`pusher:subscription_error`, `pusher:ping`/`pusher:pong`, and events published to subscribers.
"""

import hashlib
import hmac
import json
import secrets
import sys
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

APP_KEY = "32f31c26a83e09dc401b"  # the public key both Smint.io SDKs use
EVENT = "global-transaction-history-update"


def channel_for(channel_id: int) -> str:
    return f"private-2-{channel_id}"


def signature(secret: str, socket_id: str, channel: str) -> str:
    """Pusher's private-channel auth: the key and the HMAC of "socket_id:channel"."""
    digest = hmac.new(secret.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256)
    return f"{APP_KEY}:{digest.hexdigest()}"


def _message(event: str, data: Any, channel: str | None = None) -> str:
    body: dict[str, Any] = {"event": event, "data": json.dumps(data)}
    if channel is not None:
        body["channel"] = channel
    return json.dumps(body)


class PusherServer:
    """Accept connections, check subscriptions, publish events to a channel's subscribers."""

    def __init__(self, host: str, port: int, secret: str) -> None:
        self.secret = secret
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[ServerConnection]] = {}
        self._server: Server = serve(self._session, host, port)
        self.port = int(self._server.socket.getsockname()[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()

    def publish(self, channel: str, data: dict[str, Any]) -> int:
        """Send the event to every subscriber of the channel; return how many got it."""
        with self._lock:
            sockets = list(self._subscribers.get(channel, ()))
        sent = 0
        for socket in sockets:
            try:
                socket.send(_message(EVENT, data, channel))
                sent += 1
            except ConnectionClosed:
                self._forget(socket)
        return sent

    def subscribers(self, channel: str) -> int:
        with self._lock:
            return len(self._subscribers.get(channel, ()))

    def _forget(self, socket: ServerConnection) -> None:
        with self._lock:
            for members in self._subscribers.values():
                members.discard(socket)

    def _session(self, socket: ServerConnection) -> None:
        socket_id = f"{secrets.randbelow(10**9)}.{secrets.randbelow(10**9)}"
        socket.send(
            _message(
                "pusher:connection_established",
                {"socket_id": socket_id, "activity_timeout": 30},
            )
        )
        try:
            for raw in socket:
                self._answer(socket, socket_id, raw)
        except ConnectionClosed:
            pass
        finally:
            self._forget(socket)

    def _answer(self, socket: ServerConnection, socket_id: str, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            socket.send(_message("pusher:error", {"code": 4200, "message": "not JSON"}))
            return
        event = message.get("event") if isinstance(message, dict) else None
        if event == "pusher:ping":
            socket.send(_message("pusher:pong", {}))
        elif event == "pusher:subscribe":
            self._subscribe(socket, socket_id, message.get("data") or {})
        else:
            print(f"pusher sandbox: ignored {str(event)[:60]}", file=sys.stderr, flush=True)

    def _subscribe(self, socket: ServerConnection, socket_id: str, data: Any) -> None:
        channel = data.get("channel", "") if isinstance(data, dict) else ""
        auth = data.get("auth", "") if isinstance(data, dict) else ""
        expected = signature(self.secret, socket_id, channel)
        if not channel.startswith("private-") or not hmac.compare_digest(str(auth), expected):
            refusal = {"type": "AuthError", "error": "invalid signature", "status": 401}
            socket.send(_message("pusher:subscription_error", refusal, channel))
            return
        with self._lock:
            self._subscribers.setdefault(channel, set()).add(socket)
        socket.send(_message("pusher_internal:subscription_succeeded", {}, channel))
