"""People log in and out at the login page; every attempt is audited; failures lock."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_the_login_page() -> None:
    response = Client().get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=/audit/"


@pytest.mark.django_db
def test_login_page_offers_a_form_with_csrf_protection() -> None:
    response = Client().get("/login/")
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert b'autocomplete="current-password"' in response.content


def test_login_and_logout_are_audited(compliance_officer: object) -> None:
    client = Client()
    response = client.post("/login/", {"username": "colin", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    events = AuditEvent.objects.filter(actor_name="colin").order_by("sequence")
    assert list(events.values_list("action", flat=True)) == ["auth.login", "auth.logout"]
    assert events.first().data == {"ip": "127.0.0.1"}  # type: ignore[union-attr]


def test_failed_login_is_audited_without_the_password(compliance_officer: object) -> None:
    response = Client().post("/login/", {"username": "colin", "password": "guess-1"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_id is None
    assert event.data == {"username": "colin", "ip": "127.0.0.1"}
    assert "guess-1" not in str(event.data)


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    compliance_officer: object, settings: object
) -> None:
    client = Client()
    for attempt in range(5):
        client.post("/login/", {"username": "colin", "password": f"wrong-{attempt}"})
    response = client.post("/login/", {"username": "colin", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.locked_out", data__username="colin").exists()
    assert not AuditEvent.objects.filter(action="auth.login").exists()
