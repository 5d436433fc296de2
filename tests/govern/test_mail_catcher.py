"""`make run`'s local mail catcher keeps what Govern sends to a loopback SMTP port."""

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import send_mail

from console.management.commands.serve import mail_catcher
from tests.sandboxes.runner import free_port


@pytest.fixture
def catcher(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.MAIL_CATCHER_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    process = subprocess.Popen(mail_catcher()["mail-catcher"])  # noqa: S603
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", settings.EMAIL_PORT), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield settings.MAIL_CATCHER_DIR
    process.terminate()
    process.wait(10)


def test_mail_sent_to_the_catcher_lands_in_its_maildir(catcher: Path) -> None:
    send_mail("Waiting for you", "3 versions wait.", "govern@localhost", ["colin@bank.example"])
    messages = list((catcher / "new").iterdir())
    assert len(messages) == 1
    text = messages[0].read_text()
    assert "Subject: Waiting for you" in text and "colin@bank.example" in text


def test_no_catcher_for_a_real_mail_server(settings: Any) -> None:
    settings.EMAIL_HOST = "smtp.bank.example"
    assert mail_catcher() == {}


def test_serve_points_email_links_where_it_serves_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console.management.commands.serve import default_site_url

    monkeypatch.delenv("SITE_URL", raising=False)
    assert default_site_url("127.0.0.1:8311") == "http://127.0.0.1:8311"
    monkeypatch.setenv("SITE_URL", "https://govern.bank.example")
    assert default_site_url("127.0.0.1:8311") == "https://govern.bank.example"
