"""Smint.io's push notifications over a real websocket: the listener subscribes to the tenant's
private channel through Smint.io's authorization and queues a pull on each change."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_q.models import OrmQ

from assets.smintio.client import SmintioClient, SmintioError
from assets.smintio.pusher import Listener, PusherRefused, channel_for, queue_pull
from console.management.commands.serve import sandbox_commands
from tests.sandboxes.runner import call, free_port, start_smintio_sandbox, stop

CHANNEL_ID = 4711
GERMANY_PRINT = "eb484002-e1a1-41d7-be11-037c0627cf4e"


class Tokens:
    def __init__(self) -> None:
        self.token = "sandbox-refresh-token"

    def exchange(self, trade: Any) -> None:
        self.token = trade(self.token)


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A Smint.io sandbox that notifies through Pusher; its URL and the Pusher URL."""
    pusher_port = free_port()
    base_url, process = start_smintio_sandbox(
        tmp_path_factory.mktemp("pusher"), pusher_port=pusher_port, channel_id=CHANNEL_ID
    )
    yield base_url, f"ws://127.0.0.1:{pusher_port}/app/32f31c26a83e09dc401b?protocol=7"
    stop(process)


def api(base_url: str) -> SmintioClient:
    call("POST", f"{base_url}/_sandbox/reset")  # the seeded refresh token works again
    return SmintioClient(
        api_url=f"{base_url}/consumer/v1",
        token_url=f"{base_url}/connect/token",
        client_id="govern",
        client_secret="sandbox-secret",
        tokens=Tokens(),
    )


def listening(listener: Listener) -> tuple[threading.Event, threading.Thread]:
    stop_event = threading.Event()
    thread = threading.Thread(target=listener.run, args=(stop_event,), daemon=True)
    thread.start()
    assert listener.subscribed.wait(10), "the listener subscribes"
    return stop_event, thread


def test_a_change_at_smintio_reaches_the_listener_within_seconds(tenant: tuple[str, str]) -> None:
    base_url, pusher_url = tenant
    changed = threading.Event()
    listener = Listener(
        url=pusher_url,
        channel=channel_for(CHANNEL_ID),
        authorize=api(base_url).pusher_auth,
        on_change=changed.set,
    )
    stop_event, thread = listening(listener)
    try:
        assert not changed.is_set()
        assert call("POST", f"{base_url}/_sandbox/purchases/{GERMANY_PRINT}/cancel").status == 200
        assert changed.wait(5), "the notification arrives"
    finally:
        stop_event.set()
        thread.join(5)


def test_smintio_authorizes_only_the_tenants_channel(tenant: tuple[str, str]) -> None:
    base_url, pusher_url = tenant
    other = Listener(
        url=pusher_url,
        channel=channel_for(9999),
        authorize=api(base_url).pusher_auth,
        on_change=lambda: None,
    )
    with pytest.raises(SmintioError, match="403"):
        other.session(threading.Event())


def test_a_forged_subscription_is_refused_by_pusher(tenant: tuple[str, str]) -> None:
    _base_url, pusher_url = tenant
    forged = Listener(
        url=pusher_url,
        channel=channel_for(CHANNEL_ID),
        authorize=lambda socket_id, channel: "32f31c26a83e09dc401b:forged",
        on_change=lambda: None,
    )
    with pytest.raises(PusherRefused, match="subscription_error"):
        forged.session(threading.Event())


class Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, text: str) -> None:
        self.sent.append(text)


def test_pings_are_answered_and_foreign_or_broken_messages_ignored() -> None:
    calls: list[int] = []
    listener = Listener(
        url="ws://unused",
        channel="private-2-1",
        authorize=lambda *_: "",
        on_change=lambda: calls.append(1),
    )
    socket = Socket()
    listener.handle(socket, '{"event": "pusher:ping", "data": "{}"}')
    assert socket.sent == ['{"event": "pusher:pong", "data": {}}']
    listener.handle(
        socket,
        '{"event": "global-transaction-history-update", "channel": "private-2-2", "data": "{}"}',
    )
    listener.handle(socket, "not json")
    listener.handle(socket, '["an", "array"]')
    assert calls == []
    listener.handle(
        socket,
        '{"event": "global-transaction-history-update", "channel": "private-2-1", "data": "{}"}',
    )
    assert calls == [1]


def test_a_change_queues_the_scheduled_pull(db: None) -> None:
    queue_pull()
    (queued,) = OrmQ.objects.all()
    assert queued.func() == "assets.tasks.smintio_sync_task"


def test_the_listener_needs_a_channel_and_serve_starts_pusher_beside_the_sandbox(
    settings: Any, tmp_path: Path
) -> None:
    settings.SMINTIO_CHANNEL_ID = 0
    with pytest.raises(CommandError, match="SMINTIO_CHANNEL_ID"):
        call_command("smintio_listen")
    assert "--hook-url" in sandbox_commands("manage.py", "127.0.0.1:8000")["smintio-sandbox"]
    settings.SMINTIO_CHANNEL_ID = 4711
    settings.SMINTIO_API_URL = "http://127.0.0.1:8102/consumer/v1"
    settings.SMINTIO_PUSHER_URL = "ws://127.0.0.1:8103/app/key?protocol=7"
    argv = sandbox_commands("manage.py", "127.0.0.1:8000")["smintio-sandbox"]
    assert argv[-4:] == ["--pusher-port", "8103", "--channel-id", "4711"]


def test_one_failed_connection_is_not_worth_a_warning_two_in_a_row_are(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = Listener(
        url="ws://127.0.0.1:9/",
        channel="private-2-1",
        authorize=lambda socket, channel: "",
        on_change=lambda: None,
    )
    stop_event = threading.Event()
    tries: list[int] = []

    def refused(stop: threading.Event) -> None:
        tries.append(1)
        if len(tries) == 2:
            stop.set()
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(listener, "session", refused)
    monkeypatch.setattr(stop_event, "wait", lambda timeout=None: False)
    with caplog.at_level("DEBUG", logger="assets.smintio.pusher"):
        listener.run(stop_event)
    levels = [r.levelname for r in caplog.records if "reconnecting" in r.getMessage()]
    assert levels == ["DEBUG", "WARNING"]
