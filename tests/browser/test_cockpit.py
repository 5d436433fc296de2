"""The reviewer's cockpit: the decision stays in view, both sides zoom together onto the
change, and a comment is pinned by drawing a box on the image."""

import os
from typing import Any

import pytest

from assets.models import Annotation, Version, VersionState
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo

WIDTHS = {"phone": (390, 844), "laptop": (1366, 768)}


def in_review() -> Version:
    return Version.objects.get(
        variant__asset__key="insurance.logo.primary", state=VersionState.IN_REVIEW
    )


def in_view(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def keep(page: Any, name: str) -> None:
    folder = os.environ.get("GOVERN_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png")


CENTRE = """(id) => {
  const box = document.getElementById(id) || document.querySelectorAll('[data-zoom]')[id];
  const target = box.querySelector('[data-zoom-target]');
  return [(box.scrollLeft + box.clientWidth / 2 - target.offsetLeft) / target.offsetWidth,
          (box.scrollTop + box.clientHeight / 2 - target.offsetTop) / target.offsetHeight,
          target.offsetWidth];
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_the_decision_stays_in_view_while_the_page_scrolls(page: Any, width: str) -> None:
    seed_demo()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    log_in(page, "colin", DEMO_PASSWORD)
    version = in_review()
    page.goto(f"/assets/versions/{version.pk}/")
    approve = page.get_by_role("button", name="Approve")
    assert in_view(page, approve), "decided without scrolling"
    keep(page, f"{width}-cockpit-top")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    assert in_view(page, approve)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert in_view(page, approve)
    approve.click()
    page.wait_for_load_state()
    assert Version.objects.get(pk=version.pk).state == VersionState.APPROVED
    assert page.csp_violations == []


def test_both_sides_zoom_together_onto_the_change_and_say_their_bounds(page: Any) -> None:
    seed_demo()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "colin", DEMO_PASSWORD)
    page.goto(f"/assets/versions/{in_review().pk}/")
    bar = page.locator("[data-zoom-controls]")
    focus = [float(v) for v in (bar.get_attribute("data-zoom-focus") or "0.5 0.5").split()]
    zoom_in = page.get_by_role("button", name="Zoom in")
    zoom_in.click()
    assert bar.locator("[data-zoom-label]").inner_text() == "2×"
    mine = page.evaluate(CENTRE, "this-zoom")
    theirs = page.evaluate(CENTRE, 1)
    assert abs(mine[0] - focus[0]) < 0.15 and abs(mine[1] - focus[1]) < 0.15, (mine, focus)
    assert abs(mine[0] - theirs[0]) < 0.02 and abs(mine[1] - theirs[1]) < 0.02
    for _ in range(3):
        zoom_in.click()
    assert bar.locator("[data-zoom-label]").inner_text() == "8×"
    zoom_in.click()
    assert "8× is the closest zoom." in bar.locator("[data-zoom-note]").inner_text()
    keep(page, "laptop-cockpit-zoomed")
    # dragging moves both sides
    box = page.locator("#this-zoom").bounding_box()
    before = page.evaluate(CENTRE, 1)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2 - 60)
    page.mouse.up()
    after = page.evaluate(CENTRE, 1)
    assert after[0] > before[0], "the approved side moved with the dragged one"
    page.get_by_role("button", name="Whole image").click()
    assert bar.locator("[data-zoom-label]").inner_text() == "1×"
    page.get_by_role("button", name="Zoom out").click()
    assert "1× already shows the whole image." in bar.locator("[data-zoom-note]").inner_text()


def drag(page: Any, image: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = image.bounding_box()
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=4)
    page.mouse.up()


def region(page: Any) -> list[float]:
    fields = page.get_by_role("group", name="On the region")
    return [
        float(fields.get_by_label(n, exact=True).input_value())
        for n in ("x", "y", "width", "height")
    ]


def test_a_comment_is_pinned_by_drawing_a_box(page: Any) -> None:
    seed_demo()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "colin", DEMO_PASSWORD)
    version = in_review()
    page.goto(f"/assets/versions/{version.pk}/")
    image = page.locator("#this-zoom [data-zoom-target]")
    note = page.locator("[data-zoom-note]")
    page.get_by_role("button", name="Draw a comment box").click()
    drag(page, image, (0.1, 0.2), (0.5, 0.6))
    x, y, width, height = region(page)
    assert abs(x - 10) < 2 and abs(y - 20) < 2 and abs(width - 40) < 2 and abs(height - 40) < 2
    assert "Box drawn at" in note.inner_text()
    assert page.evaluate("document.activeElement.id") == "comment-body"
    image.evaluate("element => element.scrollIntoView({block: 'center'})")
    page.get_by_role("button", name="Draw a comment box").click()
    drag(page, image, (0.8, 0.7), (1.2, 1.1))  # past the image's edge
    x, y, width, height = region(page)
    assert x + width <= 100 and y + height <= 100 and width > 15
    assert "went past the image's edge" in note.inner_text()
    keep(page, "laptop-cockpit-drawn")
    page.get_by_label("New comment").fill("The corner is cut off.")
    page.get_by_role("button", name="Add comment").click()
    pinned = Annotation.objects.get(body="The corner is cut off.")
    assert (pinned.x or 0) + (pinned.width or 0) <= 1.0 and (pinned.width or 0) > 0.15
    assert page.csp_violations == []
