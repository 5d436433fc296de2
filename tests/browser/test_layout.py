"""Every main page of each role at 390 px and 1366 px: nothing wider than the window, and no
serious or critical accessibility violation (axe-core, through axe-playwright-python)."""

import os
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import expect

from assets.models import Asset, Version, VersionState
from console.demo import seed_campaign
from govern.models import BusinessUnit
from templates_app.models import Campaign, Template
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo

WIDTHS = {"phone": (390, 844), "laptop": (1366, 768)}
# Layout does not depend on the database: CI checks it in its SQLite run only.
pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="layout is the same on every database; the SQLite run checks it",
)
AXE = Axe()
# The innermost elements that reach past the window's right edge, to name in a failure.
WIDEST = """(() => {
  const past = (e) => e.getBoundingClientRect().right > window.innerWidth + 1;
  return Array.from(document.querySelectorAll('body *'))
    .filter((e) => past(e) && !Array.from(e.children).some(past))
    .slice(0, 3)
    .map((e) => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30));
})()"""


def pages_by_role() -> dict[str, list[str]]:
    in_review = Version.objects.filter(
        variant__asset__key="insurance.logo.primary", state=VersionState.IN_REVIEW
    ).get()
    logo = Asset.objects.get(key="insurance.logo.primary")
    letter = Template.objects.filter(business_unit__slug="insurance-de").order_by("pk").first()
    assert letter is not None
    unit = BusinessUnit.objects.get(slug="insurance-de")
    people = User.objects.in_bulk(["bella", "carla"], field_name="username")
    seed_campaign(unit, people["bella"], people["carla"], minutes=3)
    campaign = Campaign.objects.get()
    sample = _read_sample()
    return {
        "colin": [
            "/",
            "/assets/review/",
            f"/assets/versions/{in_review.pk}/",
            "/templates/deliveries/",
            "/usage/exceptions/",
            "/notifications/",
            "/assets/criteria/",
        ],
        "bella": [
            "/",
            "/assets/library/",
            f"/assets/{logo.pk}/",
            "/templates/replacements/",
            "/templates/campaigns/",
            "/templates/campaigns/calendar/",
            "/templates/campaigns/new/",
            f"/templates/campaigns/{campaign.pk}/",
        ],
        "dana": ["/", "/templates/inbox/", "/templates/", f"/templates/{letter.pk}/"],
        "audrey": ["/", "/audit/", "/usage/", f"/usage/samples/{sample}/"],
    }


def _read_sample() -> int:
    """A read sample of the demo's reported run: a letter showing the approved logo and an
    image nobody knows."""
    from assets.storage import read_content
    from tests.browser.test_usage_flow import report_demo_run
    from tests.usage.test_samples import document, stranger
    from usage.models import ProductionRun
    from usage.samples.services import sample_add
    from usage.tasks import read_samples

    report_demo_run()
    logo = Version.objects.get(variant__asset__key="insurance.logo.primary", state="approved")
    run = ProductionRun.objects.get(run_id="BROWSER-1")
    letter = document(read_content(logo.file), stranger())
    sample, _ = sample_add(run=run, data=letter, file_name="letter.pdf", actor=None)
    read_samples()
    return sample.pk


def problems(page: Any) -> list[str]:
    found = []
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if wide > 0:
        culprits = page.evaluate(WIDEST)
        found.append(f"{page.url}: {wide} px wider than the window: {culprits}")
    violations = AXE.run(page).response["violations"]
    for violation in violations:
        if violation["impact"] in {"serious", "critical"}:
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append(f"{page.url}: {violation['id']} ({violation['impact']}) {targets}")
    return found


def _screenshot(page: Any, width: str, username: str, path: str) -> None:
    """With GOVERN_SCREENSHOTS=DIR, keep a full-page screenshot of each page looked at."""
    folder = os.environ.get("GOVERN_SCREENSHOTS")
    if folder:
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=f"{folder}/{width}-{username}-{name}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_fit_the_window_and_pass_axe(page: Any, width: str) -> None:
    seed_demo()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    found: list[str] = []
    for username, paths in pages_by_role().items():
        log_in(page, username, DEMO_PASSWORD)
        page.wait_for_url("**/")
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            found.extend(problems(page))
            _screenshot(page, width, username, path)
        page.context.clear_cookies()
    assert found == [], "\n".join(found)
    assert page.csp_violations == []


def test_on_a_phone_the_menu_folds_behind_its_button(page: Any) -> None:
    seed_demo()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "colin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    menu = page.get_by_role("button", name="Menu")
    queue = page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(queue).not_to_be_visible()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(queue).to_be_visible()
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(menu).not_to_be_visible()
