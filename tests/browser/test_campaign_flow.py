"""A brand manager builds a campaign, a compliance officer approves it, the designer
acknowledges its reviews, and pre-flight for a run inside its window resolves its logo."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from console.demo import spring_logo
from govern.models import BusinessUnit
from templates_app.models import Campaign, CampaignState, Clearance, Template
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo
from tests.browser.test_review_flow import log_out


def test_a_campaign_from_building_to_pre_flight(page: Any, deliver_all: Callable[[], Any]) -> None:
    seed_demo()
    unit = BusinessUnit.objects.get(slug="insurance-de")
    logo = spring_logo(unit, User.objects.get(username="bella"), User.objects.get(username="carla"))
    deliver_all()
    start = (timezone.now() + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)

    log_in(page, "bella", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="New campaign").click()
    form = page.get_by_role("form", name="New campaign")
    form.get_by_label("Name").fill("Spring renewal")
    form.get_by_label("Business unit").select_option(label="Insurance DE")
    form.get_by_label("Goes live").fill(f"{start:%Y-%m-%dT%H:%M}")
    form.get_by_label("Ends (optional)").fill(f"{start + timedelta(days=7):%Y-%m-%dT%H:%M}")
    form.get_by_label("Time zone").select_option("UTC")
    form.get_by_role("button", name="Create draft").click()
    page.get_by_text("Spring renewal created: add its items.").wait_for()
    items = page.get_by_role("form", name="Add an item")
    items.get_by_label("Replaces").select_option(
        label="Letter footer.footer_logo (insurance.logo.primary)"
    )
    items.get_by_label("With version").select_option(value=str(logo.pk))
    items.get_by_role("button", name="Add item").click()
    page.get_by_text("Item added.").wait_for()
    assert page.locator("span.badge", has_text="Ready").is_visible()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Spring renewal submitted for review.").wait_for()
    assert page.get_by_role("button", name="Approve campaign").count() == 0
    log_out(page)

    log_in(page, "colin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="Campaigns waiting for your decision").click()
    page.get_by_role("link", name="Spring renewal").click()
    page.get_by_label("Comment (a rejection needs one)").fill("On brand.")
    page.get_by_role("button", name="Approve campaign").click()
    page.get_by_text("Spring renewal approved.").wait_for()
    campaign = Campaign.objects.get(name="Spring renewal")
    assert campaign.state == CampaignState.APPROVED
    log_out(page)

    log_in(page, "dana", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="My reviews").click()
    mine = page.locator("section.review-item").filter(
        has_text="Spring renewal replaces footer_logo"
    )
    mine.first.wait_for()
    for box in mine.locator('input[name="review"]').all():
        box.check()
    page.get_by_role("button", name="Acknowledge selected").click()
    page.get_by_text("Spring renewal replaces footer_logo").first.wait_for(state="detached")

    letter = Template.objects.get(exstream_id="INSURANCE-POLICY-LETTER")
    page.goto(f"/templates/{letter.pk}/")
    check = page.get_by_role("form", name="Ask pre-flight")
    check.get_by_label("Run at (UTC)").fill(f"{start + timedelta(days=2):%Y-%m-%dT%H:%M}")
    check.get_by_label("Channel").select_option("print")
    check.get_by_role("button", name="Check").click()
    page.get_by_text(re.compile(r"^Pre-flight \d+: ")).wait_for()
    clearance = Clearance.objects.get(template=letter)
    footer = [entry for entry in clearance.evidence["resolved"] if entry.get("campaign")]
    assert [entry["version"] for entry in footer] == [logo.pk]
    assert footer[0]["campaign"] == campaign.pk
    assert page.csp_violations == []
