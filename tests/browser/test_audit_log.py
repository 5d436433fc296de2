"""An auditor reads the audit log at 1366 px: one line a row, the full text on hover, the chain's
standing above it."""

import os
import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo

# Each row's cells against one line of their own text: taller means a row wrapped.
ROW_LINES = """(() => Array.from(document.querySelectorAll('table.event-log tbody td'))
.map((td) => {
  const style = getComputedStyle(td);
  const inner = td.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return inner / parseFloat(style.lineHeight);
}))()"""


def test_audit_rows_stay_one_line_high_at_1366_px(page: Any) -> None:
    seed_demo()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "audrey", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/audit/")
    expect(page.get_by_role("status").filter(has_text="Chain").first).to_be_visible()
    lines = page.evaluate(ROW_LINES)
    assert len(lines) > 20 and max(lines) < 1.5, lines
    cut = page.locator("td.details").filter(has_text="licence sha256").first
    assert cut.evaluate("(td) => td.scrollWidth > td.clientWidth"), "a long detail is cut"
    assert re.search(r"licence sha256 [0-9a-f]{64}", cut.get_attribute("title") or "")
    versions = page.locator("td.object a").filter(has_text=re.compile(r"^[a-z.-]+ v\d+$"))
    expect(versions.first, message="a version is named by its asset key and number").to_be_visible()
    if os.environ.get("GOVERN_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['GOVERN_SCREENSHOTS']}/laptop-audrey-audit-log.png")
    assert page.csp_violations == []
