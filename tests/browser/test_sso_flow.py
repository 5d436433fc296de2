"""A compliance officer signs in through a real OpenID provider (oidc-provider on loopback),
signs a regulated approval after a fresh login there, and a login older than a minute is
refused: all in Chromium."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from assets.models import Decision, Signature, Version, VersionState
from govern.identity import oidc
from govern.identity.services import group_map
from govern.models import BusinessUnit
from govern.roles import Role
from tests.browser.test_login_flow import seed_demo
from tests.identity_provider import Provider, node_ready, start_provider

pytestmark = pytest.mark.skipif(node_ready() is not None, reason=str(node_ready()))


@pytest.fixture
def idp(live_server: Any, tmp_path: Path, settings: Any) -> Iterator[Provider]:
    callback = f"{live_server.url}/login/sso/callback/"
    provider = start_provider(tmp_path, [callback], {"colin": {"groups": ["compliance-de"]}})
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID = provider.issuer, provider.client_id
    settings.OIDC_CLIENT_SECRET = provider.client_secret
    settings.OIDC_SCOPES = "openid profile email groups"
    settings.SITE_URL = live_server.url
    oidc.provider.forget()
    yield provider
    oidc.provider.forget()
    provider.stop()


def only_loopback(page: Any) -> None:
    """The provider's development pages ask for a web font: tests reach nothing but loopback."""
    page.context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "http://localhost"))
            else route.abort()
        ),
    )


def log_in_at_provider(page: Any, login: str = "colin") -> None:
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def test_an_officer_signs_in_through_sso_and_signs_after_a_fresh_login(
    page: Any, idp: Provider
) -> None:
    seed_demo()
    unit = BusinessUnit.objects.get(slug="insurance-de")
    group_map(group="compliance-de", role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    version = Version.objects.get(
        variant__asset__key="insurance.disclaimer.rates", state=VersionState.IN_REVIEW
    )
    only_loopback(page)
    page.goto("/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    log_in_at_provider(page)
    expect(page.get_by_role("link", name="Review queue")).to_be_visible()

    page.goto(f"/assets/versions/{version.pk}/")
    bar = page.get_by_role("form", name="Sign your decision")
    bar.get_by_label("Approved: I reviewed this content").check()
    bar.get_by_role("button", name="Log in again and sign").click()
    log_in_at_provider(page)  # prompt=login: the provider asks again
    page.get_by_role("button", name="Sign").click()
    expect(page.get_by_text(f"You approved {version}; waiting for 1 more officer.")).to_be_visible()
    signature = Signature.objects.get()
    assert signature.authentication["method"] == "oidc"
    page.goto(f"/assets/versions/{version.pk}/")
    signed = page.get_by_role("region", name="Electronic signatures")
    expect(signed.get_by_text(f"after a fresh login at {idp.issuer}")).to_be_visible()

    other = Version.objects.get(variant__asset__key="banking.disclaimer.rates")
    page.goto(f"/assets/versions/{other.pk}/")
    bar = page.get_by_role("form", name="Sign your decision")
    bar.get_by_label("Approved: I reviewed this content").check()
    bar.get_by_role("button", name="Log in again and sign").click()
    log_in_at_provider(page)
    page.get_by_role("button", name="Sign").wait_for()
    with time_machine.travel(time.time() + 61, tick=True):  # the officer waits past a minute
        page.get_by_role("button", name="Sign").click()
        expect(page.get_by_text("a signature needs one at most 60 seconds old")).to_be_visible()
    assert Decision.objects.filter(version=other).count() == 0
    assert page.csp_violations == []
