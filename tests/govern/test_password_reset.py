"""People reset a forgotten password by email: the link follows SITE_URL, works once, is
limited per client and per address, never tells who has an account, and is audited."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client

from audit.models import AuditEvent
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import role_grant

NEW_PASSWORD = "a-new-long-passphrase-2026"


@pytest.fixture
def bella(brand_manager: User) -> User:
    brand_manager.email = "bella@bank.example"
    brand_manager.save()
    return brand_manager


def ask(client: Client, email: str) -> Any:
    return client.post("/password-reset/", {"email": email})


def link_in(message: Any) -> str:
    found = re.search(r"https?://\S+", message.body)
    assert found is not None
    return found.group(0)


def test_a_person_resets_the_password_through_the_link_once(bella: User, settings: Any) -> None:
    settings.SITE_URL = "https://govern.bank.example"
    client = Client()
    assert ask(client, "Bella@bank.example").url == "/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bella@bank.example"]
    link = link_in(mail.outbox[0])
    assert link.startswith("https://govern.bank.example/password-reset/")
    path = link.removeprefix(settings.SITE_URL)
    form_page = client.get(path, follow=True)
    assert b"Choose a new password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done["Location"] == "/password-reset/done/"
    logged_in = Client().post("/login/", {"username": "bella", "password": NEW_PASSWORD})
    assert logged_in.status_code == 302 and logged_in["Location"] == "/"
    assert b"does not work any more" in Client().get(path, follow=True).content
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"password.reset_sent", "password.reset"} <= actions
    assert AuditEvent.objects.get(action="password.reset").actor_id == bella.pk


def test_the_answer_is_the_same_for_unknown_and_integration_addresses(
    bella: User, unit: BusinessUnit, roles: None
) -> None:
    robot = User.objects.create_user("exstream", email="ops@bank.example", password="x" * 20)
    role_grant(user=robot, role=Role.INTEGRATION, unit=unit, actor=None)
    answers = [ask(Client(), email) for email in ("nobody@bank.example", "ops@bank.example")]
    assert [a.url for a in answers] == ["/password-reset/sent/"] * 2
    assert mail.outbox == []


def test_requests_past_the_limit_get_429_and_send_nothing(bella: User, settings: Any) -> None:
    settings.PASSWORD_RESET_PER_HOUR = 2
    client = Client()
    assert [ask(client, "bella@bank.example").status_code for _ in range(2)] == [302, 302]
    refused = ask(client, "bella@bank.example")
    assert refused.status_code == 429 and b"Too many reset requests" in refused.content
    assert len(mail.outbox) == 2
    other_client = Client(REMOTE_ADDR="10.0.0.9")
    assert ask(other_client, "bella@bank.example").status_code == 429  # the address is limited


def test_the_login_page_links_to_the_reset() -> None:
    assert b'href="/password-reset/"' in Client().get("/login/").content


def test_the_audit_names_the_account_not_its_address(bella: User) -> None:
    ask(Client(), "bella@bank.example")
    event = AuditEvent.objects.get(action="password.reset_sent")
    assert event.target_id == str(bella.pk)
    assert "bella@bank.example" not in str(event.data)


def test_the_limit_holds_across_web_processes(bella: User, settings: Any) -> None:
    """Each request as if served by a different process, with its own empty memory."""
    settings.PASSWORD_RESET_PER_HOUR = 2
    answers = []
    for _ in range(3):
        cache.clear()
        answers.append(ask(Client(), "bella@bank.example").status_code)
    assert answers == [302, 302, 429]


def test_the_mail_is_written_and_sent_only_after_the_answer_has_gone(bella: User) -> None:
    from django.core.signals import request_finished
    from django.db import close_old_connections
    from django.test import RequestFactory

    from govern.password_reset import ResetRequest

    request = RequestFactory().post("/password-reset/", {"email": "bella@bank.example"})
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    response = ResetRequest.as_view()(request)
    assert response.status_code == 302
    assert mail.outbox == [] and not AuditEvent.objects.filter(action="password.reset_sent")
    request_finished.disconnect(close_old_connections)  # as the test client does: keep the
    try:  # test's transaction open
        response.close()  # what the server does once the answer is sent
        assert len(mail.outbox) == 1
        assert AuditEvent.objects.filter(action="password.reset_sent").count() == 1
        response.close()
        assert len(mail.outbox) == 1, "closed twice, sent once"
    finally:
        request_finished.connect(close_old_connections)
