"""A brand manager builds a campaign in her unit's zone (Berlin), picking an approved version
by its thumbnail, a compliance officer approves it, the designer acknowledges its reviews, and
pre-flight for a run inside its window, asked on Berlin's clock, resolves its logo. On a phone
and a laptop the builder's choices are not cut off, and a draft with an item not ready asks
before it goes, naming the item."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import dateformat, timezone
from playwright.sync_api import expect

from assets.models import Version
from audit.models import AuditEvent
from console.demo import spring_logo
from govern.models import BusinessUnit
from templates_app.campaigns.services import campaign_create
from templates_app.models import Campaign, CampaignState, Clearance, Template
from tests.browser.test_layout import WIDTHS, _screenshot, problems
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo
from tests.browser.test_review_flow import log_out

BERLIN = ZoneInfo("Europe/Berlin")
# Selects on the page whose widest option has no room to show whole (the arrow takes ~20 px).
CUT_OFF = """(() => Array.from(document.querySelectorAll('select'))
  .filter((select) => select.offsetParent !== null)
  .map((select) => {
    const style = getComputedStyle(select);
    const pen = document.createElement('canvas').getContext('2d');
    pen.font = style.font;
    const room = select.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight) - 20;
    const widths = Array.from(select.options).map((o) => pen.measureText(o.text).width);
    const widest = Math.max(...widths);
    return widest > room ? `${select.name}: ${Math.round(widest)} px of text, ${room} px room` : '';
  })
  .filter(Boolean))()"""


def shown(moment: datetime) -> str:
    """A time as Govern shows it in Berlin: "10 January 2027, 06:00 Europe/Berlin"."""
    return f"{dateformat.format(moment.astimezone(BERLIN), 'j F Y, H:i')} Europe/Berlin"


def test_a_campaign_from_building_to_pre_flight(page: Any, deliver_all: Callable[[], Any]) -> None:
    seed_demo()
    unit = BusinessUnit.objects.get(slug="insurance-de")
    logo = spring_logo(unit, User.objects.get(username="bella"), User.objects.get(username="carla"))
    deliver_all()
    tomorrow = timezone.now().astimezone(BERLIN) + timedelta(days=1)
    start = tomorrow.replace(hour=6, minute=0, second=0, microsecond=0)  # on Berlin's clock

    log_in(page, "bella", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="New campaign").click()
    form = page.get_by_role("form", name="New campaign")
    form.get_by_label("Name").fill("Spring renewal")
    form.get_by_label("Business unit").select_option(label="Insurance DE")
    form.get_by_label("Goes live").fill(f"{start:%Y-%m-%dT%H:%M}")
    form.get_by_label("Ends (optional)").fill(f"{start + timedelta(days=7):%Y-%m-%dT%H:%M}")
    assert form.get_by_label("Time zone").input_value() == ""  # the unit's own zone
    expect(form.get_by_text("Insurance DE plans in Europe/Berlin")).to_be_visible()
    form.get_by_role("button", name="Create draft").click()
    page.get_by_text("Spring renewal created: add its items.").wait_for()
    expect(page.get_by_text(shown(start), exact=True)).to_be_visible()
    items = page.get_by_role("form", name="Add an item")
    items.get_by_role("group", name="Letter footer").get_by_role(
        "radio", name="footer_logo now insurance.logo.primary"
    ).check()
    spring = items.get_by_role("radio", name=re.compile(r"^insurance\.campaign\.spring-logo v1"))
    thumb = items.locator(f'img[src="/assets/versions/{logo.pk}/preview?size=row"]')
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    spring.check()
    items.get_by_role("button", name="Add item").click()
    page.get_by_text("Item added.").wait_for()
    expect(page.locator("span.badge", has_text="Ready")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Spring renewal submitted for review.").wait_for()
    assert page.get_by_role("button", name="Approve campaign").count() == 0
    log_out(page)

    campaign = Campaign.objects.get(name="Spring renewal")
    assert campaign.time_zone == "Europe/Berlin" and campaign.go_live_at == start
    log_in(page, "colin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="Campaigns waiting for your decision").click()
    expect(page.get_by_text(shown(start), exact=True)).to_be_visible()
    page.get_by_role("link", name="Spring renewal").click()
    page.get_by_label("Comment (a rejection needs one)").fill("On brand.")
    page.get_by_role("button", name="Approve campaign").click()
    page.get_by_text("Spring renewal approved.").wait_for()
    campaign.refresh_from_db()
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
    run = start + timedelta(days=2)
    check.get_by_label("Run at (Europe/Berlin)").fill(f"{run:%Y-%m-%dT%H:%M}")
    check.get_by_label("Channel").select_option("print")
    check.get_by_role("button", name="Check").click()
    page.get_by_text(re.compile(r"^Pre-flight \d+: ")).wait_for()
    clearance = Clearance.objects.get(template=letter)
    assert clearance.run_at == run
    answers = page.get_by_role("table").last
    expect(answers.get_by_role("cell", name=shown(run), exact=True)).to_be_visible()
    footer = [entry for entry in clearance.evidence["resolved"] if entry.get("campaign")]
    assert [entry["version"] for entry in footer] == [logo.pk]
    assert footer[0]["campaign"] == campaign.pk
    assert page.csp_violations == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_builder_fits_and_asks_before_an_item_not_ready_goes(page: Any, width: str) -> None:
    seed_demo()
    unit, bella = BusinessUnit.objects.get(slug="insurance-de"), User.objects.get(username="bella")
    spring_logo(unit, bella, User.objects.get(username="carla"))
    card = Version.objects.get(variant__asset__key="insurance.product.gold-card")  # in review
    footer = Template.objects.get(exstream_id="INSURANCE-FOOTER")
    go_live = timezone.now() + timedelta(days=2)
    campaign = campaign_create(
        unit=unit,
        name="Gold card week",
        go_live_at=go_live,
        ends_at=go_live + timedelta(days=7),
        time_zone="Europe/Berlin",
        items=[{"template": footer.pk, "slot": "footer_logo", "version": card.pk}],
        actor=bella,
    )
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    log_in(page, "bella", DEMO_PASSWORD)
    page.wait_for_url("**/")
    for path in ("/templates/campaigns/new/", campaign.get_absolute_url()):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(CUT_OFF) == [] and problems(page) == []
        _screenshot(page, width, "bella", path)
    offered = page.get_by_role("form", name="Add an item")
    assert offered.get_by_role("radio", name=re.compile("spring-logo v1")).count() == 1
    assert offered.get_by_role("radio", name=re.compile("gold-card")).count() == 0  # in review
    page.get_by_role("button", name="Submit for review").click()
    asked = page.get_by_role("alert").filter(has_text="Not every item is ready.")
    asked.get_by_text(
        "Letter footer.footer_logo: insurance.product.gold-card v1 is in review: "
        "decide it before the campaign"
    ).wait_for()
    assert problems(page) == []
    _screenshot(page, width, "bella", f"{campaign.get_absolute_url()}confirm")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DRAFT
    asked.get_by_role("button", name="Submit anyway").click()
    page.get_by_text("Gold card week submitted for review.").wait_for()
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_REVIEW
    submitted = AuditEvent.objects.get(action="campaign.submitted")
    assert [problem.split(": ", 1)[0] for problem in submitted.data["not_ready"]] == [
        "Letter footer.footer_logo"
    ]
    assert page.csp_violations == []
