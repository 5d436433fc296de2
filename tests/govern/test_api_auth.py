"""API authentication: bearer keys for integration accounts, sessions for people, 401 otherwise."""

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from govern.models import ApiKey, BusinessUnit
from govern.roles import Role
from govern.services import api_key_revoke, role_grant


@pytest.mark.django_db
def test_request_without_credentials_gets_401_json() -> None:
    response = Client().get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json() == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_valid_key_reads_only_the_units_it_is_scoped_to(
    integration_key: str,
    other_unit: BusinessUnit,
    api_client_for_key: Callable[[str], Client],
) -> None:
    response = api_client_for_key(integration_key).get("/api/v1/units/")
    assert response.status_code == 200
    assert [unit["slug"] for unit in response.json()["results"]] == ["insurance-de"]


def test_key_sees_only_its_own_units_even_when_its_account_holds_more(
    integration_key: str,
    other_unit: BusinessUnit,
    api_client_for_key: Callable[[str], Client],
) -> None:
    account = ApiKey.objects.get(name="exstream-prod").user
    role_grant(user=account, role=Role.INTEGRATION, unit=other_unit, actor=None)
    response = api_client_for_key(integration_key).get("/api/v1/me/")
    assert response.json() == {
        "username": "exstream-prod",
        "roles": {"insurance-de": ["integration"]},
    }


@pytest.mark.parametrize(
    "header",
    ["Bearer gvk_00000000_not-a-real-key", "Bearer", "Bearer two parts"],
)
def test_unknown_or_malformed_key_gets_401(integration_key: str, header: str) -> None:
    response = Client(headers={"Authorization": header}).get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"


def test_revoked_key_gets_401_at_once(
    integration_key: str, api_client_for_key: Callable[[str], Client]
) -> None:
    client = api_client_for_key(integration_key)
    assert client.get("/api/v1/units/").status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(), actor=None)
    response = client.get("/api/v1/units/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Unknown or revoked API key."


def test_key_use_is_recorded_to_the_minute(
    integration_key: str, api_client_for_key: Callable[[str], Client]
) -> None:
    client = api_client_for_key(integration_key)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/units/")
    assert ApiKey.objects.get().last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/api/v1/units/")
    assert ApiKey.objects.get().last_used_at == start, "not rewritten within the minute"
    later = start + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        client.get("/api/v1/units/")
    assert ApiKey.objects.get().last_used_at == later


def test_session_user_reads_the_api_and_needs_csrf_to_write(
    compliance_officer: object, client_for: Callable[[object], Client]
) -> None:
    client = client_for(compliance_officer)
    assert client.get("/api/v1/me/").json() == {
        "username": "colin",
        "roles": {"insurance-de": ["compliance_officer"]},
    }
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(compliance_officer)  # type: ignore[arg-type]
    response = strict.post("/api/v1/units/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_integration_account_cannot_log_in_to_the_browser_ui(integration_key: str) -> None:
    client = Client()
    response = client.post("/login/", {"username": "exstream-prod", "password": integration_key})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="auth.login").exists()
