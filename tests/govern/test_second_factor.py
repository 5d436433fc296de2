"""A second factor for local accounts: enrolment (with recovery codes) before anything else where
the role needs one, the code after the password, the code behind a signature; failures counted
towards the lockout; an administrator's reset audited."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent

PASSWORD = "a-long-local-passphrase-1"
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(settings: Any) -> Any:
    """A clock the tests move past each code's 30-second step (a code is good once), and no
    slowing after a wrong code but where a test looks at it."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def next_step(clock: Any) -> None:
    clock.shift(timedelta(seconds=31))


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def colin(compliance_officer: User) -> User:
    compliance_officer.set_password(PASSWORD)
    compliance_officer.save()
    return compliance_officer


def log_in(username: str = "colin") -> Client:
    client = Client()
    answer = client.post("/login/", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.content
    return client


def enrol(client: Client, user: User) -> list[str]:
    page = client.get("/account/second-factor/").content.decode()
    assert re.search(r'id="totp-key">([A-Z2-7 ]+)<', page)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post("/account/second-factor/", {"code": code_of(device)})
    return re.findall(r"<li>([a-z0-9]+)</li>", done.content.decode())


def test_a_role_that_needs_a_second_factor_enrols_before_anything_else(
    colin: User, settings: Any
) -> None:
    settings.MFA_REQUIRED_ROLES = ["compliance_officer"]
    client = log_in()
    held = client.get("/assets/review/")
    assert held.status_code == 302 and held["Location"] == "/account/second-factor/"
    wrong = client.post("/account/second-factor/", {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    codes = enrol(client, colin)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/assets/review/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.second_factor_enrolled").count() == 1


def test_an_administrator_without_a_second_factor_is_asked_to_enrol_first(db: Any) -> None:
    """By default (MFA_REQUIRED_ROLES=administrator)."""
    User.objects.create_superuser("root", "root@bank.example", PASSWORD)
    client = log_in("root")
    assert client.get("/admin/")["Location"] == "/account/second-factor/"


def test_with_a_second_factor_the_code_comes_after_the_password(colin: User, clock: Any) -> None:
    codes = enrol(log_in(), colin)
    next_step(clock)
    client = log_in()
    held = client.get("/usage/exceptions/")
    assert held["Location"] == "/login/verify/?next=/usage/exceptions/"
    refused = client.post("/login/verify/", {"code": "123456", "next": "/usage/exceptions/"})
    assert "That code is not right" in refused.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1, "axes counts it"
    device = TOTPDevice.objects.get(user=colin)
    passed = client.post("/login/verify/", {"code": code_of(device), "next": "/usage/exceptions/"})
    assert passed["Location"] == "/usage/exceptions/"
    assert client.get("/usage/exceptions/").status_code == 200
    other = log_in()
    assert other.post("/login/verify/", {"code": codes[0]})["Location"] == "/"
    again = log_in().post("/login/verify/", {"code": codes[0]})
    assert again.status_code == 200, "a recovery code works once"


def test_a_signature_of_an_account_with_a_second_factor_needs_its_code(
    colin: User, disclaimer: Any, add_version: Any, clock: Any
) -> None:
    from assets.models import Signature

    enrol(log_in(), colin)
    next_step(clock)
    client = log_in()
    device = TOTPDevice.objects.get(user=colin)
    client.post("/login/verify/", {"code": code_of(device)})
    next_step(clock)
    waiting = add_version(disclaimer, text="Capital at risk.")
    path = f"/assets/versions/{waiting.pk}/decide/"
    sign = {"action": "sign", "meaning": "approved", "password": PASSWORD}
    assert 'name="code"' in client.get(f"/assets/versions/{waiting.pk}/").content.decode()
    client.post(path, {**sign, "code": "999999"})
    assert not Signature.objects.exists()
    client.post(path, {**sign, "code": code_of(device)})
    signature = Signature.objects.get()
    assert signature.authentication == {"method": "password", "second_factor": "totp"}
    assert signature.proven_by() == "after entering their password and an authenticator code"


def test_an_administrator_resets_a_second_factor_and_it_is_audited(colin: User) -> None:
    enrol(log_in(), colin)
    out = StringIO()
    call_command("reset_second_factor", "colin", stdout=out)
    assert out.getvalue().startswith("colin: second factor removed")
    assert not TOTPDevice.objects.filter(user=colin).exists()
    assert log_in().get("/usage/exceptions/").status_code == 200, "no code asked any more"
    assert AuditEvent.objects.get(action="auth.second_factor_reset").data["username"] == "colin"


def test_wrong_codes_slow_the_next_try(colin: User, clock: Any, settings: Any) -> None:
    enrol(log_in(), colin)
    next_step(clock)
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    client = log_in()
    device = TOTPDevice.objects.get(user=colin)
    client.post("/login/verify/", {"code": "000000"})
    assert client.post("/login/verify/", {"code": code_of(device)}).status_code == 200, "held"
    clock.shift(timedelta(seconds=3))
    assert client.post("/login/verify/", {"code": code_of(device)}).status_code == 302


def test_wrong_codes_lock_the_account_as_wrong_passwords_do(
    colin: User, clock: Any, settings: Any
) -> None:
    enrol(log_in(), colin)
    next_step(clock)
    client = log_in()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/verify/", {"code": "000000"})
    device = TOTPDevice.objects.get(user=colin)
    locked = client.post("/login/verify/", {"code": code_of(device)})
    assert locked.status_code == 429
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").count() == 5


def test_the_api_asks_a_second_factors_code_of_a_session_that_signs(
    colin: User, disclaimer: Any, add_version: Any, clock: Any
) -> None:
    from assets.models import Signature

    enrol(log_in(), colin)
    next_step(clock)
    client = log_in()
    device = TOTPDevice.objects.get(user=colin)
    client.post("/login/verify/", {"code": code_of(device)})
    next_step(clock)
    waiting = add_version(disclaimer, text="Capital at risk.")
    url = f"/api/v1/versions/{waiting.pk}/approve/"
    body = {"password": PASSWORD, "meaning": "approved", "comment": "ok"}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 403 and not Signature.objects.exists()
    signed = client.post(url, {**body, "code": code_of(device)}, content_type="application/json")
    assert signed.status_code == 200, signed.content
    assert Signature.objects.get().authentication["second_factor"] == "totp"


def test_passkey_answers_that_were_not_asked_for_or_do_not_verify_are_refused(
    colin: User, clock: Any
) -> None:
    from govern.models import Passkey

    enrol(log_in(), colin)
    next_step(clock)
    client = log_in()
    unverified = client.post("/account/second-factor/passkeys/options")
    assert unverified.status_code == 403, "the code first"
    device = TOTPDevice.objects.get(user=colin)
    client.post("/login/verify/", {"code": code_of(device)})
    unasked = client.post(
        "/account/second-factor/passkeys/", {"id": "x"}, content_type="application/json"
    )
    assert unasked.status_code == 400 and "no ceremony is under way" in unasked.json()["detail"]
    options = client.post("/account/second-factor/passkeys/options").json()
    assert options["rp"]["id"] == "testserver" and options["challenge"]
    forged = client.post(
        "/account/second-factor/passkeys/",
        {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}},
        content_type="application/json",
    )
    assert forged.status_code == 400 and not Passkey.objects.exists()
    refusals = AuditEvent.objects.filter(action="auth.passkey_refused").count()
    assert refusals == 2


def test_a_login_passkey_answer_that_is_not_ones_own_or_is_forged_is_refused(
    colin: User, clock: Any
) -> None:
    from govern.models import Passkey

    enrol(log_in(), colin)
    next_step(clock)
    Passkey.objects.create(
        user=colin, name="passkey", confirmed=True, credential_id="AAAA", public_key=b"x"
    )
    client = log_in()
    options = client.post("/login/verify/passkey/options").json()
    assert [c["id"] for c in options["allowCredentials"]] == ["AAAA"]
    url = "/login/verify/passkey/"
    stranger = client.post(url, {"id": "BBBB"}, content_type="application/json")
    assert stranger.status_code == 400 and "not one of yours" in stranger.json()["detail"]
    client.post("/login/verify/passkey/options")
    forged = client.post(
        "/login/verify/passkey/",
        {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"signature": "AA"}},
        content_type="application/json",
    )
    assert forged.status_code == 400 and "did not verify" in forged.json()["detail"]
    assert client.get("/usage/exceptions/").status_code == 302, "still held at the code"
