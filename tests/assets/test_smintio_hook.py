"""POST /hooks/smintio: timestamped HMAC signatures, rotation, replays, and nothing but a pull."""

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_q.models import OrmQ

from assets.models import HookEvent

BODY = json.dumps({"event_id": "ev-1", "type": "license_purchase_transactions.changed"}).encode()


def signed(body: bytes, secret: str = "hook-secret", at: float | None = None) -> str:
    stamp = int(time.time() if at is None else at)
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def post(body: bytes, signature: str) -> Any:
    return Client().post(
        "/hooks/smintio",
        body,
        content_type="application/json",
        headers={"Govern-Signature": signature},
    )


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.SMINTIO_HOOK_SECRETS = ["hook-secret", "next-secret"]


@pytest.mark.django_db
def test_a_signed_notice_queues_one_pull_and_answers_202() -> None:
    response = post(BODY, signed(BODY))
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "event_id": "ev-1"}
    assert HookEvent.objects.filter(source="smintio", event_id="ev-1").exists()
    assert OrmQ.objects.count() == 1


@pytest.mark.django_db
def test_a_repeated_event_is_acknowledged_and_ignored() -> None:
    post(BODY, signed(BODY))
    again = post(BODY, signed(BODY))
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    assert OrmQ.objects.count() == 1


@pytest.mark.django_db
def test_a_secret_being_rotated_in_is_accepted() -> None:
    assert post(BODY, signed(BODY, "next-secret")).status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (signed(BODY, "wrong-secret"), "does not match"),
        ("v1=abc", "must read t=<unix time>,v1=<hex>"),
        ("", "must read"),
    ],
)
def test_bad_signatures_get_401_and_change_nothing(signature: str, reason: str) -> None:
    response = post(BODY, signature)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert not HookEvent.objects.exists() and not OrmQ.objects.exists()


@pytest.mark.django_db
def test_a_tampered_body_does_not_match_its_signature() -> None:
    signature = signed(BODY)
    tampered = BODY.replace(b"ev-1", b"ev-2")
    assert post(tampered, signature).status_code == 401


@pytest.mark.django_db
def test_a_signed_body_without_an_event_id_is_400() -> None:
    body = b'{"type": "x"}'
    response = post(body, signed(body))
    assert response.status_code == 400 and not OrmQ.objects.exists()


@pytest.mark.django_db
def test_only_post_is_allowed() -> None:
    assert Client().get("/hooks/smintio").status_code == 405


@pytest.mark.django_db
def test_a_notice_older_than_the_window_is_refused() -> None:
    now = time.time()  # every moment from one reading: a slow machine must not move the edge
    with time_machine.travel(now, tick=False):
        signature = signed(BODY)
    with time_machine.travel(now + 301, tick=False):
        stale = post(BODY, signature)
    assert stale.status_code == 401
    assert "outside the accepted window" in stale.json()["detail"]
    with time_machine.travel(now + 299, tick=False):
        assert post(BODY, signature).status_code == 202


@pytest.mark.django_db
def test_a_notice_from_the_future_is_refused() -> None:
    signature = signed(BODY)
    with time_machine.travel(time.time() - 301):
        assert post(BODY, signature).status_code == 401
