"""Outgoing webhooks: endpoints only administrators register, refused where Govern must not
send, events signed as the README says (its snippet verifies them), rotated secrets, retries,
redirects refused, and no decision waiting for a subscriber."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from assets.models import Asset, Version
from assets.resolution import Context
from assets.services import version_approve
from audit.models import AuditEvent
from govern.errors import Conflict
from templates_app.models import Template, WebhookDelivery, WebhookEndpoint, WebhookEvent
from templates_app.outbox import worker as outbox
from templates_app.preflight import preflight_run
from templates_app.services import binding_set
from templates_app.webhooks.sender import payload, pinned, signature
from templates_app.webhooks.services import (
    emit,
    endpoint_disable,
    endpoint_register,
    secret_rotate,
    webhook_delivery_retry,
)

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verifier() -> Callable[..., bool]:
    """The README's verification snippet, run as written."""
    code = re.search(r"Verify a signature.*?```python\n(.*?)```", README.read_text(), re.S)
    assert code is not None, "the README shows how to verify a signature"
    names: dict[str, Any] = {}
    exec(code.group(1), names)  # noqa: S102 - the README's own example
    return names["verified"]  # type: ignore[no-any-return]


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    user = make_user("ada")
    user.is_staff = True
    user.save()
    return user


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://hooks.example.com/x", "https only"),
        ("https://127.0.0.1/hooks", "loopback or private"),
        ("https://10.0.0.5/hooks", "loopback or private"),
        ("https://169.254.169.254/latest", "loopback or private"),
        ("https://[::1]/hooks", "loopback or private"),
        ("https://localhost:8443/hooks", "loopback or private"),
        ("https://user:pw@93.184.216.34/hooks", "no credentials"),
        ("ftp://93.184.216.34/x", "absolute https"),
        ("/relative", "absolute https"),
        ("https://relay.example/h\x00ook", "absolute https"),
    ],
)
def test_endpoints_govern_must_not_send_to_are_refused(
    admin: Any, settings: Any, url: str, said: str
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError, match=said):
        endpoint_register(url=url, event_types=["*"], actor=admin)
    assert not WebhookEndpoint.objects.exists()


def test_only_administrators_register_and_only_known_event_types(
    admin: Any, designer: Any, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with pytest.raises(PermissionDenied):
        endpoint_register(url="https://x.example/h", event_types=["*"], actor=designer)
    for types in ([], ["version.deleted"], "version.approved"):
        with pytest.raises(ValidationError, match="event"):
            endpoint_register(url="https://x.example/h", event_types=types, actor=admin)
    endpoint, secret = endpoint_register(
        url="https://x.example/h", event_types=["version.approved"], actor=admin
    )
    assert secret.startswith("whsec_") and secret not in endpoint.secrets.get().sealed
    event = AuditEvent.objects.get(action="webhook.endpoint_registered")
    assert secret not in str(event.data)


def test_an_event_arrives_signed_as_the_readme_verifies_it_and_once(
    receiver: Any, logo: Asset, add_version: Callable[..., Version], compliance_officer: Any
) -> None:
    receiver.subscribe("version.approved")
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    assert outbox.drain()["webhook delivered"] == 1
    [received] = receiver.events()
    assert received["verified"] and received["type"] == "version.approved"
    data = received["body"]["data"]
    assert (data["version"]["id"], data["by"]) == (version.pk, "colin")
    assert received["body"]["business_unit"] == logo.business_unit.slug
    delivery = WebhookDelivery.objects.get()
    body = payload(delivery)
    secret = "whsec_test"
    header = signature(body, [secret], int(timezone.now().timestamp()))
    verified = readme_verifier()
    assert verified(body, header, secret)
    assert not verified(body + b" ", header, secret), "a changed body does not verify"
    assert not verified(body, header, "whsec_other")
    stale = signature(body, [secret], int(timezone.now().timestamp()) - 301)
    assert not verified(body, stale, secret), "an old signature is refused"


def test_a_rotated_secret_signs_beside_the_old_one_until_it_expires(
    receiver: Any, admin: Any
) -> None:
    endpoint = receiver.subscribe("campaign.live")
    new = secret_rotate(endpoint=endpoint, actor=admin, overlap_hours=1)
    emit("campaign.live", unit=None, data={"n": 1})
    outbox.drain()
    [first] = receiver.events()
    assert first["verified"] and first["signature"].count("v1=") == 2
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        emit("campaign.live", unit=None, data={"n": 2})
        outbox.drain()
    second = receiver.events()[1]
    assert second["signature"].count("v1=") == 1
    assert not second["verified"], "the receiver does not know the new secret yet"
    receiver.learn(new)
    with pytest.raises(ValidationError):
        secret_rotate(endpoint=endpoint, actor=admin, overlap_hours=10_000)


def test_failures_retry_then_die_and_a_person_retries(
    receiver: Any, admin: Any, designer: Any, settings: Any
) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 2
    receiver.subscribe("*")
    emit("usage.exception", unit=None, data={"code": "not_approved"})
    receiver.answer(500, 502)
    assert outbox.drain(until_idle=False) == {"webhook retrying": 1}
    assert outbox.drain(until_idle=False) == {"webhook dead": 1}
    dead = WebhookDelivery.objects.get()
    assert (dead.state, dead.response_status) == ("dead", 502)
    assert AuditEvent.objects.filter(action="webhook.dead").count() == 1
    with pytest.raises(PermissionDenied):
        webhook_delivery_retry(delivery=dead, actor=designer)
    webhook_delivery_retry(delivery=dead, actor=admin)
    with pytest.raises(Conflict):
        webhook_delivery_retry(delivery=dead, actor=admin)
    assert outbox.drain() == {"webhook delivered": 1}
    assert receiver.events()[0]["verified"]


def test_a_redirect_is_refused_and_never_followed(receiver: Any) -> None:
    receiver.subscribe("*")
    emit("campaign.live", unit=None, data={})
    receiver.answer(302, location=f"{receiver.url}/hooks")
    assert outbox.drain() == {"webhook dead": 1}
    assert "does not follow redirects" in WebhookDelivery.objects.get().last_error
    assert receiver.events() == []


def test_a_name_that_resolves_to_a_private_address_is_refused_before_sending(
    settings: Any,
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True  # as when it was registered
    endpoint_register(url="https://localhost:1/hooks", event_types=["*"], actor=None)
    emit("campaign.live", unit=None, data={})
    settings.WEBHOOK_ALLOW_PRIVATE = False  # now a check resolves the name again
    assert outbox.drain() == {"webhook dead": 1}
    assert "loopback or private address" in WebhookDelivery.objects.get().last_error


def test_the_request_goes_to_the_address_checked_and_names_the_host() -> None:
    headers: dict[str, str] = {}
    url, extensions = pinned("https://relay.example:8443/h?x=1", "93.184.216.34", headers)
    assert url == "https://93.184.216.34:8443/h?x=1"
    assert headers["Host"] == "relay.example:8443"
    assert extensions == {"sni_hostname": "relay.example"}
    url, _ = pinned("https://relay.example/h", "2606:2800:220:1::", {})
    assert url == "https://[2606:2800:220:1::]/h"
    assert pinned("http://127.0.0.1:9/h", "", {}) == ("http://127.0.0.1:9/h", {})


def test_a_url_that_cannot_be_read_is_a_refusal_and_the_audit_keeps_no_path(
    admin: Any, settings: Any
) -> None:
    with pytest.raises(ValidationError, match="absolute https"):
        endpoint_register(url="https://[::1/hooks", event_types=["*"], actor=admin)
    settings.WEBHOOK_ALLOW_PRIVATE = True
    endpoint_register(url="https://hooks.example/T0/secret-token", event_types=["*"], actor=admin)
    data = AuditEvent.objects.get(action="webhook.endpoint_registered").data
    assert data["origin"] == "https://hooks.example" and "secret-token" not in str(data)


def test_no_decision_waits_for_a_subscriber(
    receiver: Any,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.subscribe("*")

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a decision made an HTTP call")

    monkeypatch.setattr(httpx.Client, "post", no_network)
    version_approve(version=add_version(logo), actor=compliance_officer)
    assert WebhookDelivery.objects.filter(state="pending").count() == 1


def test_a_disabled_endpoint_gets_nothing_more(receiver: Any, admin: Any) -> None:
    endpoint = receiver.subscribe("*")
    emit("campaign.live", unit=None, data={})
    endpoint_disable(endpoint=endpoint, actor=admin)
    assert WebhookDelivery.objects.get().state == "skipped"
    assert emit("campaign.live", unit=None, data={}) == 0
    assert outbox.drain() == {}
    assert receiver.events() == []


def test_nobody_subscribed_records_nothing() -> None:
    assert emit("campaign.live", unit=None, data={}) == 0
    assert not WebhookEvent.objects.exists()
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        emit("version.deleted", unit=None, data={})


def test_pre_flight_and_flagged_templates_are_events(
    receiver: Any,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
) -> None:
    receiver.subscribe("preflight.verdict", "templates.flagged")
    version_approve(version=add_version(logo), actor=compliance_officer)
    letter = make_template("Letter", exstream_id="EX-LETTER")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    version_approve(version=add_version(logo), actor=compliance_officer)
    context = Context(region="DE", channel="print")
    preflight_run(template=letter, run_at=timezone.now(), contexts=[context], actor=designer)
    outbox.drain()
    types = [event["type"] for event in receiver.events()]
    assert types == ["templates.flagged", "preflight.verdict"]
    flagged, verdict = (event["body"]["data"] for event in receiver.events())
    assert flagged["templates"] == [{"id": letter.pk, "name": "Letter", "exstream_id": "EX-LETTER"}]
    assert verdict["template"]["exstream_id"] == "EX-LETTER"
    assert verdict["verdict"] in ("go", "no-go") and verdict["contexts"][0]["region"] == "DE"


def test_the_pages_are_for_administrators_and_show_a_secret_once(
    admin: Any, designer: Any, client_for: Callable[[Any], Client], settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert client_for(designer).get("/templates/webhooks/").status_code == 403
    page = client_for(admin)
    answer = page.post(
        "/templates/webhooks/",
        {"url": "https://relay.example/hooks", "event_types": ["version.withdrawn"]},
    )
    secret = re.search(r'value="(whsec_[^"]+)"', answer.content.decode())
    assert secret is not None and answer["Cache-Control"] == "no-store"
    listing = page.get("/templates/webhooks/").content.decode()
    assert "relay.example" in listing and secret.group(1) not in listing
    endpoint = WebhookEndpoint.objects.get()
    rotated = page.post(f"/templates/webhooks/{endpoint.pk}/rotate/", {"overlap_hours": "2"})
    assert "whsec_" in rotated.content.decode() and endpoint.secrets.count() == 2
    refused = page.post("/templates/webhooks/", {"url": "ftp://x", "event_types": ["*"]})
    assert "Not registered" in refused.content.decode()
    emit("version.withdrawn", unit=None, data={})
    log = page.get(f"/templates/webhooks/{endpoint.pk}/").content.decode()
    assert "version.withdrawn" in log and "Pending" in log


def test_a_transaction_of_many_events_nudges_the_worker_once(
    receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.subscribe("*")
    with django_capture_on_commit_callbacks() as callbacks:
        for n in range(5):
            emit("campaign.live", unit=None, data={"n": n})
    assert len(callbacks) == 1
    assert WebhookDelivery.objects.count() == 5
