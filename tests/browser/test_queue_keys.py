"""A compliance officer clears a filtered queue with the keyboard alone."""

from typing import Any

from django.contrib.auth.models import User
from playwright.sync_api import expect

from assets.models import Version, VersionState
from assets.selectors import clean_selectors
from assets.services import asset_create, version_create, version_submit
from assets.uploads import inspect_bytes
from govern.models import BusinessUnit
from tests import images
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo

KEYS = ["kbd.logo.a", "kbd.logo.b", "kbd.logo.c", "kbd.logo.d"]


def queue_of_logos() -> list[Version]:
    unit = BusinessUnit.objects.get(name="Insurance DE")
    bella = User.objects.get(username="bella")
    versions = []
    for n, key in enumerate(KEYS):
        asset = asset_create(key=key, title=f"Logo {n}", kind="logo", unit=unit, actor=bella)
        version = version_create(
            asset=asset,
            selectors=clean_selectors(),
            content=inspect_bytes(images.png(480 + n, 240)),
            actor=bella,
        )
        versions.append(version_submit(version=version, actor=bella))
    return versions


def test_the_queue_is_cleared_with_single_keys_keeping_its_filter(page: Any) -> None:
    seed_demo()
    a, b, c, d = queue_of_logos()
    log_in(page, "colin", DEMO_PASSWORD)
    page.goto("/assets/review/?q=kbd.&sort=asset")
    expect(page.get_by_text("4 versions await your decision")).to_be_visible()

    page.keyboard.press("j")  # marks the first row; Enter opens it
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/assets/versions/{b.pk}/?q=kbd.&sort=asset")
    expect(page.get_by_text("2 of 4")).to_be_visible()
    page.keyboard.press("k")
    page.wait_for_url(f"**/assets/versions/{a.pk}/?q=kbd.&sort=asset")
    expect(page.get_by_text("1 of 4")).to_be_visible()

    page.keyboard.press("a")  # approve: on to the one that followed, filter kept
    page.wait_for_url(f"**/assets/versions/{b.pk}/?q=kbd.&sort=asset")
    expect(page.get_by_text("kbd.logo.a v1: approved.")).to_be_visible()
    expect(page.get_by_text("1 of 3")).to_be_visible()

    page.keyboard.press("j")  # skip b
    page.wait_for_url(f"**/assets/versions/{c.pk}/?q=kbd.&sort=asset")
    page.keyboard.press("r")  # the comment, then Ctrl+Enter rejects
    page.keyboard.type("Wrong blue: see the brand guide.")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/assets/versions/{d.pk}/?q=kbd.&sort=asset")
    expect(page.get_by_text("kbd.logo.c v1: rejected.")).to_be_visible()

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Shortcuts")).not_to_be_visible()

    page.keyboard.press("a")  # d, the last: back to b, the one skipped
    page.wait_for_url(f"**/assets/versions/{b.pk}/?q=kbd.&sort=asset")
    page.keyboard.press("a")
    page.wait_for_url("**/assets/review/?q=kbd.&sort=asset")
    expect(page.get_by_text("No versions match these filters.")).to_be_visible()

    states = {v.pk: v.state for v in Version.objects.filter(pk__in=[a.pk, b.pk, c.pk, d.pk])}
    assert states == {
        a.pk: VersionState.APPROVED,
        b.pk: VersionState.APPROVED,
        c.pk: VersionState.REJECTED,
        d.pk: VersionState.APPROVED,
    }
    assert (
        Version.objects.get(pk=c.pk).decisions.get().comment == "Wrong blue: see the brand guide."
    )
    assert page.csp_violations == []


def test_two_ticked_versions_are_approved_together_from_the_queue(page: Any) -> None:
    seed_demo()
    a, b, c, _ = queue_of_logos()
    log_in(page, "colin", DEMO_PASSWORD)
    page.goto("/assets/review/?q=kbd.&sort=asset")
    page.keyboard.press("j")
    page.keyboard.press("x")  # ticks a
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")  # ticks c
    counted = page.locator("[data-ticked-count]")
    expect(counted).to_have_text("2 of 4 on this page ticked.")
    tick_all = page.get_by_label("Tick every version on this page that can be decided together")
    tick_all.check()
    expect(counted).to_have_text("4 of 4 on this page ticked.")
    tick_all.uncheck()
    expect(counted).to_have_text("0 of 4 on this page ticked.")
    page.keyboard.press("Escape")  # leaves the box
    page.keyboard.press("x")  # ticks c again, still marked
    page.keyboard.press("k")
    page.keyboard.press("k")
    page.keyboard.press("x")  # and a
    expect(counted).to_have_text("2 of 4 on this page ticked.")
    page.get_by_label("Comment").fill("Brand guide 4.2")
    page.get_by_role("button", name="Approve ticked").click()
    page.get_by_text("Approved 2: kbd.logo.a v1, kbd.logo.c v1.").wait_for()
    assert page.url.endswith("/assets/review/?q=kbd.&sort=asset")
    states = dict(Version.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "state"))
    assert states == {a.pk: "approved", b.pk: "in_review", c.pk: "approved"}
    expect(page.get_by_text("2 versions await your decision")).to_be_visible()
