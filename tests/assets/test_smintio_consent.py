"""An administrator connects Govern to a Smint.io tenant through its consent page: the OAuth
authorization-code flow with PKCE, over real HTTP against the sandbox."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client

from assets.models import SmintioConnection
from assets.smintio.sync import smintio_sync
from audit.models import AuditEvent

CALLBACK = "http://testserver/assets/smintio/callback"


@pytest.fixture
def admin(make_user: Any) -> Any:
    user = make_user("root")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def consent(smintio_sandbox: str, settings: Any) -> str:
    settings.SMINTIO_AUTHORIZE_URL = f"{smintio_sandbox}/connect/authorize"
    settings.SMINTIO_REDIRECT_URI = CALLBACK
    return smintio_sandbox


def ask(client: Client) -> dict[str, str]:
    """Start a connection; return the query Govern sent to Smint.io's consent page."""
    started = client.post("/assets/smintio/authorize")
    assert started.status_code == 302
    query = parse_qs(urlsplit(started["Location"]).query)
    return {name: values[0] for name, values in query.items()}


def decide(base_url: str, asked: dict[str, str], decision: str) -> str:
    """Answer the consent page as the administrator would; return where Smint.io sends them."""
    page = httpx.get(f"{base_url}/connect/authorize", params=asked)
    assert page.status_code == 200 and "Allow" in page.text
    answer = httpx.post(
        f"{base_url}/connect/authorize",
        data={**asked, "decision": decision},
        follow_redirects=False,
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_an_administrator_connects_the_tenant_and_the_sync_uses_it(
    consent: str, admin: Any, client_for: Any, roles: None
) -> None:
    client = client_for(admin)
    page = client.get("/assets/smintio/").content.decode()
    assert CALLBACK in page and "smintio.full openid profile offline_access" in page
    asked = ask(client)
    assert asked["scope"] == "smintio.full openid profile offline_access"
    assert (asked["code_challenge_method"], asked["redirect_uri"]) == ("S256", CALLBACK)
    back = decide(consent, asked, "allow")
    assert back.startswith(CALLBACK + "?")
    SmintioConnection.objects.update_or_create(pk=1, defaults={"refresh_token": "spent"})
    done = client.get("/assets/smintio/callback?" + urlsplit(back).query)
    assert done.status_code == 302
    connection = SmintioConnection.objects.get(pk=1)
    assert connection.refresh_token not in ("spent", "") and connection.state == "ok"
    event = AuditEvent.objects.get(action="smintio.authorized")
    assert event.actor == admin and event.data["via"] == "consent page"
    assert smintio_sync().purchases > 0, "the new refresh token works"
    replayed = client.get("/assets/smintio/callback?" + urlsplit(back).query)
    assert replayed.status_code == 400, "a code is answered once, for the session that asked"


def test_a_forged_state_a_denial_or_a_wrong_verifier_stores_nothing(
    consent: str, admin: Any, client_for: Any
) -> None:
    client = client_for(admin)
    asked = ask(client)
    back = parse_qs(urlsplit(decide(consent, asked, "allow")).query)
    forged = client.get("/assets/smintio/callback", {"code": back["code"][0], "state": "forged"})
    assert forged.status_code == 400
    asked = ask(client)
    denied = client.get(
        "/assets/smintio/callback?" + urlsplit(decide(consent, asked, "deny")).query
    )
    assert denied.status_code == 302
    assert not AuditEvent.objects.filter(action="smintio.authorized").exists()
    code = parse_qs(urlsplit(decide(consent, ask(client), "allow")).query)["code"][0]
    wrong = httpx.post(
        f"{consent}/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": "govern",
            "client_secret": "sandbox-secret",
            "code_verifier": "not-the-verifier",
        },
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")


def test_only_administrators_may_connect(
    consent: str, compliance_officer: Any, client_for: Any
) -> None:
    client = client_for(compliance_officer)
    assert client.post("/assets/smintio/authorize").status_code == 302
    assert "login" in client.post("/assets/smintio/authorize")["Location"]
    assert "login" in client.get("/assets/smintio/callback?code=x&state=y")["Location"]
