"""Smint.io's push notifications: a Pusher Channels client (protocol 7) on the tenant's private
channel, as Smint.io's SDKs listen (`PusherService`): app key 32f31c26a83e09dc401b, cluster eu,
channel `private-2-{SMINTIO_CHANNEL_ID}`, event `global-transaction-history-update`, channel
authorization through Smint.io's `/notifications/pusher/auth` with the API's bearer token.

An event only triggers a pull (its payload is ignored, as the SDKs ignore it): the pull is
idempotent, so a repeated or lost event costs nothing; the scheduled pull stays the fallback.
The listener reconnects with exponential backoff and jitter; events for another channel and
messages that are not Pusher's are ignored and logged.
"""

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from assets.smintio.client import SmintioError

logger = logging.getLogger(__name__)

EVENT = "global-transaction-history-update"
MAX_BACKOFF_SECONDS = 60.0


class PusherRefused(Exception):
    """Pusher or Smint.io refused the connection or the subscription."""


def channel_for(channel_id: int) -> str:
    return f"private-2-{channel_id}"


def _parse(raw: str | bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        return None
    data = message.get("data")
    if isinstance(data, str):  # Pusher sends data as a JSON string
        try:
            message["data"] = json.loads(data)
        except ValueError:
            message["data"] = {}
    return message


class Listener:
    """Hold one subscription and call `on_change` for every change Smint.io announces."""

    def __init__(
        self,
        *,
        url: str,
        channel: str,
        authorize: Callable[[str, str], str],
        on_change: Callable[[], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url, self.channel = url, channel
        self.authorize, self.on_change, self.sleep = authorize, on_change, sleep
        self.subscribed = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Listen until stopped, reconnecting with backoff after each failure."""
        failures = 0
        while not stop.is_set():
            try:
                self.session(stop)
                failures = 0
            except (
                OSError,
                TimeoutError,
                WebSocketException,
                PusherRefused,
                SmintioError,
            ) as error:
                failures += 1
                # One failure (Smint.io starting, a dropped connection) mends itself on the
                # next try; only a second in a row is worth someone's attention.
                log = logger.warning if failures > 1 else logger.debug
                log("Smint.io notifications: %s; reconnecting", error)
            self.subscribed.clear()
            if not stop.is_set():
                delay = min(MAX_BACKOFF_SECONDS, 2.0 ** min(failures, 6))
                stop.wait(random.uniform(delay / 2, delay))  # noqa: S311 - jitter

    def session(self, stop: threading.Event) -> None:
        """One connection: learn the socket id, subscribe, answer pings, pass events on."""
        with connect(self.url, open_timeout=10, close_timeout=5) as socket:
            hello = _parse(socket.recv(timeout=10))
            if hello is None or hello["event"] != "pusher:connection_established":
                raise PusherRefused(f"Pusher did not establish the connection: {hello}")
            socket_id = str(hello["data"].get("socket_id", ""))
            idle = float(hello["data"].get("activity_timeout") or 120)
            auth = self.authorize(socket_id, self.channel)
            subscribe = {"channel": self.channel, "auth": auth}
            socket.send(json.dumps({"event": "pusher:subscribe", "data": subscribe}))
            while not stop.is_set():
                try:
                    raw = socket.recv(timeout=min(idle, 1.0))
                except TimeoutError:
                    continue
                self.handle(socket, raw)

    def handle(self, socket: Any, raw: str | bytes) -> None:
        message = _parse(raw)
        if message is None:
            logger.warning("Smint.io notifications: ignored a message that is not Pusher's")
            return
        event = message["event"]
        if event == "pusher:ping":
            socket.send(json.dumps({"event": "pusher:pong", "data": {}}))
        elif event == "pusher_internal:subscription_succeeded":
            self.subscribed.set()
            logger.info("Smint.io notifications: subscribed to %s", self.channel)
        elif event in ("pusher:subscription_error", "pusher:error"):
            raise PusherRefused(f"{event}: {message.get('data')}")
        elif event == EVENT and message.get("channel") == self.channel:
            self.on_change()
        elif event == EVENT:
            logger.warning(
                "Smint.io notifications: ignored an event for %s", message.get("channel")
            )
        else:
            logger.debug("Smint.io notifications: ignored %s", event)


def queue_pull() -> None:
    """What an announced change does: queue the same pull the schedule runs."""
    from django_q.tasks import async_task

    async_task("assets.tasks.smintio_sync_task", task_name="smintio-pusher")
