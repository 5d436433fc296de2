"""A designer asks pre-flight from the template page and reads every reason."""

from typing import Any

from playwright.sync_api import expect

from templates_app.models import Clearance, Template
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo


def test_the_designer_asks_pre_flight_in_the_browser(page: Any) -> None:
    seed_demo()
    letter = Template.objects.get(exstream_id="INSURANCE-POLICY-LETTER")
    log_in(page, "dana", DEMO_PASSWORD)
    page.goto(f"/templates/{letter.pk}/")
    form = page.get_by_role("form", name="Ask pre-flight")
    form.get_by_label("Region").fill("DE")
    form.get_by_label("Language").fill("de")
    form.get_by_label("Channel").select_option("print")
    form.get_by_role("button", name="Check").click()
    clearance = Clearance.objects.get(template=letter)
    verdict = "go" if clearance.verdict == "go" else f"no-go, {len(clearance.reasons)} reason(s)"
    page.get_by_text(f"Pre-flight {clearance.pk}: {verdict}.").wait_for()
    answers = page.get_by_role("table").last
    for reason in clearance.reasons:
        expect(answers.get_by_text(reason["detail"]).first).to_be_visible()
    assert clearance.contexts[0]["region"] == "DE"
    assert page.csp_violations == []
