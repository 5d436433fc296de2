"""A compliance officer logs in on a fresh demo and reaches the review queue."""

import io
from typing import Any

from django.core.management import call_command
from playwright.sync_api import expect

DEMO_PASSWORD = "demo-pass-for-browser"


def seed_demo() -> None:
    call_command("seed_demo", "--password", DEMO_PASSWORD, stdout=io.StringIO())


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_compliance_officer_logs_in_and_sees_the_review_queue(page: Any) -> None:
    seed_demo()
    log_in(page, "colin", DEMO_PASSWORD)
    page.get_by_role("link", name="Review queue").click()
    page.wait_for_url("**/assets/review/")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_text("versions await your decision.")).to_be_visible()
    expect(page.get_by_role("link", name="insurance.logo.primary")).to_be_visible()
    assert page.csp_violations == []


def test_wrong_password_shows_a_clear_error_and_stays_on_the_login_page(page: Any) -> None:
    seed_demo()
    log_in(page, "colin", "not-the-password")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    assert page.url.endswith("/login/")


def test_api_docs_render_offline_under_the_content_security_policy(page: Any) -> None:
    seed_demo()
    log_in(page, "audrey", DEMO_PASSWORD)
    page.goto("/api/docs/")
    page.get_by_text("Govern API").first.wait_for()
    expect(page.get_by_text("/api/v1/audit-events/").first).to_be_visible()
    assert page.csp_violations == []
