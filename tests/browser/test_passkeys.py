"""A local account adds a passkey beside its authenticator app and gives its second factor with
it at the next login, in Chromium with a virtual authenticator (the DevTools WebAuthn domain)."""

from typing import Any

from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from audit.models import AuditEvent
from govern.models import Passkey

PASSWORD = "a-long-local-passphrase-2"


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(page: Any) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("colin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/verify/**")


def test_a_passkey_is_added_and_then_gives_the_second_factor(
    page: Any, compliance_officer: User
) -> None:
    compliance_officer.set_password(PASSWORD)
    compliance_officer.save()
    device = TOTPDevice.objects.create(user=compliance_officer, name="app", confirmed=True)
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    log_in(page)
    page.get_by_label("Code").fill(code_of(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login/verify/" not in url)

    page.goto("/account/second-factor/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey added", exact=False).first).to_be_visible()
    assert Passkey.objects.filter(user=compliance_officer).count() == 1

    page.context.clear_cookies()
    log_in(page)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(lambda url: "/login/verify/" not in url)
    expect(page.get_by_role("link", name="Review queue")).to_be_visible()
    passed = AuditEvent.objects.filter(action="auth.second_factor_passed")
    assert [event.data["with"] for event in passed.order_by("sequence")] == [
        "authenticator",
        "passkey",
    ]
    assert Passkey.objects.get().last_used_at is not None
    assert page.csp_violations == []
