"""A compliance officer signs a regulated approval with the keyboard and sees the signature."""

from typing import Any

from playwright.sync_api import expect

from assets.models import Signature, Version, VersionState
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo


def test_a_regulated_approval_is_signed_with_the_password(page: Any) -> None:
    seed_demo()
    version = Version.objects.get(
        variant__asset__key="insurance.disclaimer.rates", state=VersionState.IN_REVIEW
    )
    log_in(page, "colin", DEMO_PASSWORD)
    page.goto(f"/assets/versions/{version.pk}/")
    expect(page.get_by_role("form", name="Sign your decision")).to_be_visible()

    page.keyboard.press("a")  # the meaning "approved", then the password field
    assert page.get_by_label("Approved: I reviewed this content").is_checked()
    page.keyboard.type("not my password")
    page.keyboard.press("Control+Enter")
    page.get_by_text("That password is not yours").wait_for()
    assert not Signature.objects.exists()

    page.keyboard.press("a")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda url: f"/assets/versions/{version.pk}/" not in url)
    expect(page.get_by_text(f"You approved {version}; waiting for 1 more officer.")).to_be_visible()

    page.goto(f"/assets/versions/{version.pk}/")
    expect(page.get_by_text("You approved this version;")).to_be_visible()
    signatures = page.get_by_role("region", name="Electronic signatures")
    expect(signatures.get_by_text("signed approved")).to_be_visible()
    expect(signatures.get_by_text("verifies")).to_be_visible()
    signature = Signature.objects.get()
    assert signature.signer.username == "colin" and signature.content_sha256 == version.sha256
    assert page.csp_violations == []
