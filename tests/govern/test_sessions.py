"""Sessions end after a while without a request and a while after the login; a person sees
their sessions and ends them; an administrator ends anyone's; every end is audited."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from audit.models import AuditEvent
from govern.models import UserSession
from tests.conftest import with_second_factor

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_session_without_a_request_for_the_idle_time_ends(
    clock: Any, compliance_officer: User
) -> None:
    client = signed_in(compliance_officer)
    clock.shift(timedelta(minutes=29))
    assert client.get("/").status_code == 200
    clock.shift(timedelta(minutes=29))
    assert client.get("/").status_code == 200, "each request keeps it alive"
    clock.shift(timedelta(minutes=31))
    answer = client.get("/usage/exceptions/")
    assert answer.status_code == 302
    assert answer["Location"] == "/login/?next=/usage/exceptions/"
    assert client.get("/").status_code == 302, "signed out"
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.data["reason"] == "nothing was asked for 30 minutes"
    assert not UserSession.objects.exists()


def test_a_session_ends_its_hours_after_the_login_however_busy(
    clock: Any, compliance_officer: User, settings: Any
) -> None:
    settings.SESSION_MAX_HOURS = 1
    client = signed_in(compliance_officer)
    for _ in range(3):
        clock.shift(timedelta(minutes=20))
        assert client.get("/").status_code == 200
    clock.shift(timedelta(minutes=1))
    assert client.get("/").status_code == 302
    reason = AuditEvent.objects.get(action="auth.session_expired").data["reason"]
    assert reason == "1 hour passed since you logged in"


def test_a_person_sees_their_sessions_and_ends_another(
    clock: Any, compliance_officer: User
) -> None:
    laptop, phone = signed_in(compliance_officer), signed_in(compliance_officer)
    page = laptop.get("/account/sessions/").content.decode()
    assert page.count("<tr>") == 3 and "This session" in page
    other = UserSession.objects.exclude(session_key=laptop.session.session_key).get()
    ended = laptop.post("/account/sessions/", {"session": other.pk}, follow=True)
    assert "1 session ended." in ended.content.decode()
    assert phone.get("/").status_code == 302, "the phone is signed out"
    assert laptop.get("/").status_code == 200
    event = AuditEvent.objects.get(action="auth.sessions_ended")
    assert event.actor_id == compliance_officer.pk and event.data["sessions"] == 1


def test_one_cannot_end_someone_elses_session_from_ones_own_page(
    clock: Any, compliance_officer: User, designer: User
) -> None:
    theirs = signed_in(designer)
    mine = signed_in(compliance_officer)
    target = UserSession.objects.get(user=designer)
    mine.post("/account/sessions/", {"session": target.pk})
    mine.post("/account/sessions/", {"session": "9" * 40})  # no session has such an id
    assert theirs.get("/").status_code == 200
    assert not AuditEvent.objects.filter(action="auth.sessions_ended").exists()


def test_an_administrator_ends_a_persons_sessions(clock: Any, compliance_officer: User) -> None:
    person = signed_in(compliance_officer)
    admin = User.objects.create_superuser("root", "root@bank.example", "x" * 20)
    session = UserSession.objects.get(user=compliance_officer)
    done = with_second_factor(signed_in(admin), admin).post(
        "/admin/govern/usersession/", {"action": "end", "_selected_action": [session.pk]}
    )
    assert done.status_code == 302
    assert person.get("/").status_code == 302
    event = AuditEvent.objects.get(action="auth.sessions_ended")
    assert event.actor_id == admin.pk and event.data["reason"] == "ended by an administrator"
