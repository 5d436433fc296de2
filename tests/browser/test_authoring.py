"""Authoring in a browser: the criteria editor's fields, and a draft discarded by its author."""

from pathlib import Path
from typing import Any

import pytest

from assets.models import Asset, CriteriaRuleSet, Version, VersionState
from tests import images
from tests.browser.test_layout import WIDTHS, _screenshot, problems
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_adds_a_rule_with_its_fields_and_saves_the_rule_set(
    page: Any, width: str
) -> None:
    seed_demo()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    log_in(page, "colin", DEMO_PASSWORD)
    page.goto("/assets/criteria/")
    logos = page.locator("details.criteria-kind").filter(has_text="Logo").first
    logos.locator("> summary").click()
    logos.get_by_label("Add a rule").select_option(label="Largest file")
    logos.get_by_role("button", name="Add (not saved yet)").click()
    opened = page.locator("details.criteria-kind[open]")
    opened.get_by_label("bytes").fill("2000000")
    opened.get_by_label("Checklist an approver ticks").fill("Clear space respected")
    assert problems(page) == []
    _screenshot(page, width, "colin", "/assets/criteria/editing")
    opened.get_by_role("button", name="Save as a new version").click()
    page.get_by_text("logo criteria #1").first.wait_for()
    saved = CriteriaRuleSet.objects.get(kind="logo", active=True)
    assert saved.rules[-1] == {"rule": "max_bytes", "params": {"bytes": 2000000}, "blocking": True}
    assert saved.checklist == ["Clear space respected"]
    assert page.csp_violations == []


def test_a_brand_manager_discards_a_low_resolution_draft(page: Any, tmp_path: Path) -> None:
    seed_demo()
    small = tmp_path / "small.png"
    small.write_bytes(images.png(90, 45))
    log_in(page, "bella", DEMO_PASSWORD)
    logo = Asset.objects.get(key="insurance.logo.primary")
    page.goto(logo.get_absolute_url())
    page.get_by_label("File").set_input_files(str(small))
    page.get_by_role("checkbox", name="Print").check()  # print needs 300 dpi: it cannot go
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Uploaded insurance.logo.primary v").wait_for()
    draft = Version.objects.filter(variant__asset=logo).order_by("-pk").first()
    assert draft is not None and draft.state == VersionState.DRAFT
    page.goto(draft.get_absolute_url())
    page.get_by_text("print needs 300 dpi: at least").first.wait_for()
    page.get_by_role("button", name="Discard this draft").click()
    page.get_by_text(f"{draft} discarded.").wait_for()
    draft.refresh_from_db()
    assert draft.state == VersionState.DISCARDED
    assert page.csp_violations == []
