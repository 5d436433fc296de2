"""A brand manager uploads and submits, a compliance officer approves, an auditor sees both."""

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests import images
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def test_upload_submit_approve_and_audit(page: Any, tmp_path: Path) -> None:
    seed_demo()
    logo = tmp_path / "logo.png"
    logo.write_bytes(images.png(120, 60))

    log_in(page, "bella", DEMO_PASSWORD)
    page.get_by_role("link", name="Asset library").click()
    page.get_by_role("link", name="New asset").click()
    page.get_by_label("Key").fill("brand.logo.browser")
    page.get_by_label("Title").fill("Browser logo")
    page.get_by_label("Kind").select_option("logo")
    page.get_by_label("Business unit").select_option(label="Insurance DE")
    page.get_by_role("button", name="Create asset").click()
    page.get_by_label("File").set_input_files(str(logo))
    page.get_by_label("Language").fill("de")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Uploaded brand.logo.browser v1")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("In review").first).to_be_visible()
    log_out(page)

    log_in(page, "colin", DEMO_PASSWORD)
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="brand.logo.browser").click()
    page.get_by_role("img", name="Preview of brand.logo.browser v1").wait_for()  # loaded
    page.get_by_role("textbox", name="Comment (required to reject)").fill(
        "Colours match the guide."
    )
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("brand.logo.browser v1: approved.")).to_be_visible()
    log_out(page)

    log_in(page, "audrey", DEMO_PASSWORD)
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").fill("version.")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr").filter(has_text="brand.logo.browser v1")
    submitted = rows.filter(has_text="Version submitted").filter(has_text="bella")
    approved = rows.filter(has_text="Version approved").filter(has_text="colin")
    expect(submitted).to_have_count(1)
    expect(approved).to_have_count(1)
    assert page.csp_violations == []
