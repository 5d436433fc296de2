"""A new logo is approved, the designer acknowledges, pre-flight turns from no-go to go."""

import json
import urllib.request
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from govern.models import BusinessUnit
from govern.services import api_key_create
from templates_app.models import Template
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo
from tests.browser.test_review_flow import log_out


def preflight(base_url: str, key: str, template: Template) -> dict[str, Any]:
    body = json.dumps(
        {
            "run_at": "2026-12-01T06:00:00Z",
            "contexts": [{"region": "DE", "language": "en", "channel": "print"}],
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the live server on loopback
        f"{base_url}/api/v1/templates/{template.pk}/preflight/",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def test_approval_review_acknowledgement_and_preflight(
    page: Any, live_server: Any, deliver_all: Callable[[], Any]
) -> None:
    seed_demo()
    deliver_all()
    unit = BusinessUnit.objects.get(slug="insurance-de")
    _key, raw_key = api_key_create(name="exstream-test", units=[unit], actor=None)
    letter = Template.objects.get(exstream_id="INSURANCE-POLICY-LETTER")
    assert preflight(live_server.url, raw_key, letter)["verdict"] == "go"

    log_in(page, "colin", DEMO_PASSWORD)
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="insurance.logo.primary").click()
    expect(page.get_by_text("is used by 4 templates")).to_be_visible()  # and the welcome letter
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("insurance.logo.primary v2: approved.")).to_be_visible()
    log_out(page)
    deliver_all()

    blocked = preflight(live_server.url, raw_key, letter)
    assert blocked["verdict"] == "no-go"
    assert {reason["code"] for reason in blocked["reasons"]} == {"open_review"}

    log_in(page, "dana", DEMO_PASSWORD)
    page.get_by_role("link", name="My reviews").click()
    reviews = page.locator("section.review-item")
    expect(reviews.filter(has_text="INSURANCE-POLICY-LETTER")).to_have_count(1)
    boxes = page.locator('input[name="review"]')
    assert boxes.count() >= 1 and not any(box.is_checked() for box in boxes.all())
    for box in boxes.all():
        box.check()
    page.get_by_label("Note for the record").fill("Proofs checked")
    page.get_by_role("button", name="Acknowledge selected").click()
    expect(page.get_by_text("Nothing to review.")).to_be_visible()
    assert page.csp_violations == []

    assert preflight(live_server.url, raw_key, letter)["verdict"] == "go"
