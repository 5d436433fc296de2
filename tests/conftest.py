"""Shared fixtures: named actors built through the real services."""

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from pytest_django.plugin import blocking_manager_key

from assets.smintio import connection as smintio_connection
from audit import triggers
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import api_key_create, role_grant
from sandboxes.receiver import make_server
from templates_app.exstream.client import reset_client
from templates_app.webhooks.services import endpoint_register
from tests.sandboxes.runner import (
    call,
    post_json,
    reset,
    start_exstream_sandbox,
    start_smintio_sandbox,
    stop,
)

pytest_plugins = ["tests.s3"]  # s3_endpoint, s3_media: moto's S3 on loopback

PASSWORD = "correct-horse-battery-staple"


def signed(user: Any, meaning: str = "approved") -> Any:
    """A signature intent as the pages and the API make one after the password check, for
    tests that decide regulated versions through the services."""
    from assets.signatures import Intent

    return Intent(signer=user, meaning=meaning)


TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server"}


def _is_transactional(item: pytest.Item) -> bool:
    return bool(TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.fixture(autouse=True)
def _audit_triggers_around_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """Disarm the append-only triggers so a transactional test's flush can empty the table."""
    if not _is_transactional(request.node):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    triggers.remove(connection)  # torn down before pytest-django's flush


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Re-arm the triggers once the flush is done, outside any transaction."""
    yield
    if _is_transactional(item) and nextitem is not None:  # the last test's teardown drops the DB
        with item.config.stash[blocking_manager_key].unblock():
            triggers.install(connection)
            connection.close()  # else it outlives the session and blocks dropping the test DB


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, with the reason shown, tests that only mean something on PostgreSQL's locking."""
    from django.conf import settings as django_settings

    if "postgresql" in django_settings.DATABASES["default"]["ENGINE"]:
        return
    reason = "needs PostgreSQL's row locks (CI runs it there: DATABASE_URL=postgres://...)"
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Give every test its own, empty storage directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def roles(db: None) -> None:
    call_command("bootstrap", verbosity=0, stdout=_Discard())


class _Discard:
    def write(self, text: str) -> None:
        pass


@pytest.fixture
def unit(db: None) -> BusinessUnit:
    return BusinessUnit.objects.create(name="Insurance DE", slug="insurance-de")


@pytest.fixture
def other_unit(db: None) -> BusinessUnit:
    return BusinessUnit.objects.create(name="Banking UK", slug="banking-uk")


@pytest.fixture
def make_user(roles: None) -> Callable[..., Any]:
    def make(username: str, role: Role | None = None, unit: BusinessUnit | None = None) -> Any:
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        if role is not None and unit is not None:
            role_grant(user=user, role=role, unit=unit, actor=None)
        return user

    return make


@pytest.fixture
def brand_manager(make_user: Callable[..., Any], unit: BusinessUnit) -> Any:
    return make_user("bella", Role.BRAND_MANAGER, unit)


@pytest.fixture
def compliance_officer(make_user: Callable[..., Any], unit: BusinessUnit) -> Any:
    return make_user("colin", Role.COMPLIANCE_OFFICER, unit)


@pytest.fixture
def designer(make_user: Callable[..., Any], unit: BusinessUnit) -> Any:
    return make_user("dana", Role.COMMUNICATION_DESIGNER, unit)


@pytest.fixture
def auditor(make_user: Callable[..., Any], unit: BusinessUnit) -> Any:
    return make_user("audrey", Role.AUDITOR, unit)


@pytest.fixture
def outsider(make_user: Callable[..., Any], other_unit: BusinessUnit) -> Any:
    """A compliance officer and auditor, but only in the other unit."""
    user = make_user("oscar", Role.COMPLIANCE_OFFICER, other_unit)
    role_grant(user=user, role=Role.AUDITOR, unit=other_unit, actor=None)
    return user


@pytest.fixture
def integration_key(roles: None, unit: BusinessUnit) -> str:
    _api_key, raw_key = api_key_create(name="exstream-prod", units=[unit], actor=None)
    return raw_key


def with_second_factor(client: Client, user: Any) -> Client:
    """Mark the client's session as having passed a second factor (an administrator needs one
    by default, MFA_REQUIRED_ROLES), as the code page does after a right code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _made = TOTPDevice.objects.get_or_create(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def admin_client(admin_user: Any) -> Client:
    """pytest-django's administrator's client, past the second factor administrators need."""
    client = Client()
    client.force_login(admin_user)
    return with_second_factor(client, admin_user)


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    def login(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_client_for_key() -> Callable[[str], Client]:
    def with_key(raw_key: str) -> Client:
        return Client(headers={"Authorization": f"Bearer {raw_key}"})

    return with_key


@pytest.fixture(scope="session")
def exstream_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start one Exstream sandbox for the session; its base URL (no trailing slash)."""
    base_url, process = start_exstream_sandbox(tmp_path_factory.mktemp("exstream"), api="proxy")
    yield base_url
    stop(process)


@pytest.fixture
def exstream(exstream_process: str) -> str:
    """The session's sandbox with no images, an empty write log and no faults."""
    reset(exstream_process)
    return exstream_process


@pytest.fixture
def exstream_sandbox(exstream: str, settings: Any) -> Iterator[str]:
    """Point Govern's Exstream client at the emptied sandbox."""
    settings.EXSTREAM_API = "proxy"
    settings.EXSTREAM_URL = exstream
    settings.EXSTREAM_TOKEN_URL = f"{exstream}/otdsws/oauth2/token"
    settings.EXSTREAM_CLIENT_ID, settings.EXSTREAM_CLIENT_SECRET = "govern", "sandbox-secret"
    settings.EXSTREAM_TRANSPORT = "api"
    reset_client()
    yield exstream
    reset_client()


@pytest.fixture(scope="session")
def smintio_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start one Smint.io sandbox for the session; its base URL."""
    base_url, process = start_smintio_sandbox(tmp_path_factory.mktemp("smintio"))
    yield base_url
    stop(process)


@pytest.fixture
def smintio_sandbox(smintio_process: str, settings: Any, unit: BusinessUnit) -> str:
    """Point Govern's Smint.io client at the re-seeded sandbox; purchases land in `unit`."""
    reset(smintio_process)
    settings.SMINTIO_API_URL = f"{smintio_process}/consumer/v1"
    settings.SMINTIO_TOKEN_URL = f"{smintio_process}/connect/token"
    settings.SMINTIO_CLIENT_ID, settings.SMINTIO_CLIENT_SECRET = "govern", "sandbox-secret"
    settings.SMINTIO_REFRESH_TOKEN = "sandbox-refresh-token"
    settings.SMINTIO_UNIT = unit.slug
    smintio_connection.reset_client()
    return smintio_process


@pytest.fixture
def deliver_all(settings: Any, tmp_path: Path) -> Callable[[], Any]:
    """Push every due delivery through the real outbox, into a hot folder (no network)."""
    from templates_app.outbox import worker as outbox

    def deliver() -> Any:
        settings.EXSTREAM_TRANSPORT = "hotfolder"
        settings.EXSTREAM_HOTFOLDER = tmp_path / "hotfolder"
        return outbox.drain()

    return deliver


class Receiver:
    """A webhook subscriber over real HTTP (sandboxes/receiver.py) in a thread of its own."""

    def __init__(self, state: Path) -> None:
        self.server = make_server(state)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def subscribe(self, *event_types: str) -> Any:
        """Register this receiver for the event types and give it the secret, as an
        administrator would; return the endpoint."""
        endpoint, secret = endpoint_register(
            url=f"{self.url}/hooks", event_types=list(event_types) or ["*"], actor=None
        )
        self.learn(secret)
        return endpoint

    def learn(self, secret: str) -> None:
        post_json(f"{self.url}/_sandbox/secrets", {"secret": secret}, {})

    def answer(self, *statuses: int, location: str = "") -> None:
        post_json(f"{self.url}/_sandbox/answers", {"statuses": statuses, "location": location}, {})

    def events(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = call("GET", f"{self.url}/_sandbox/events").json()["items"]
        return list(reversed(items))  # oldest first

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(tmp_path: Path, settings: Any) -> Iterator[Receiver]:
    """A local webhook subscriber; endpoints on loopback over http are allowed for it."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.DELIVERY_BACKOFF_SECONDS = 0
    running = Receiver(tmp_path / "receiver.json")
    yield running
    running.close()
