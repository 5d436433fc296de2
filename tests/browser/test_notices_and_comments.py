"""A new version reaches its officer as a notice and an email in the mail catcher; a comment
pinned on it is carried to the next version."""

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from playwright.sync_api import expect

from assets.models import Asset
from assets.selectors import clean_selectors
from assets.services import version_create, version_submit
from assets.uploads import inspect_bytes
from console.demo import DEMO_CHECKLIST
from govern.models import Notification
from govern.notify import email_choose, send_emails
from tests import images
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo
from tests.govern.test_mail_catcher import catcher  # noqa: F401  (the fixture)

CONTRAST = """element => {
  const rgb = text => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = element, back = "rgba(0, 0, 0, 0)";
  while (node && (back === "rgba(0, 0, 0, 0)" || back === "transparent")) {
    back = getComputedStyle(node).backgroundColor; node = node.parentElement;
  }
  const [a, b] = [lum(rgb(getComputedStyle(element).color)), lum(rgb(back))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def contrast(page: Any, locator: Any) -> float:
    """The WCAG contrast ratio of an element's text against the first background behind it."""
    return float(locator.evaluate(CONTRAST))


def upload(asset: Asset, author: User, width: int) -> Any:
    version = version_create(
        asset=asset,
        selectors=clean_selectors(language="fr"),
        content=inspect_bytes(images.png(width, 240)),
        actor=author,
    )
    return version_submit(version=version, actor=author)


def test_a_notice_and_its_email_then_a_comment_carried_forward(
    page: Any,
    catcher: Path,  # noqa: F811
) -> None:
    seed_demo()
    bella = User.objects.get(username="bella")
    logo = Asset.objects.get(key="insurance.logo.primary")
    first = upload(logo, bella, 640)
    colin = User.objects.get(username="colin")
    email_choose(user=colin, email="immediately")  # the default is a daily digest
    waiting = Notification.objects.filter(user=colin, key=f"version-waiting:{first.pk}")
    assert send_emails(list(waiting.values_list("pk", flat=True))) == 1  # as the worker does
    mails = [path.read_text() for path in (catcher / "new").iterdir()]
    assert any(f"Subject: [Govern] {first} [fr] waits for your decision" in m for m in mails)

    log_in(page, "colin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="Notices").click()
    title = page.get_by_role("button", name=f"{first} [fr] waits for your decision")
    title.wait_for()
    assert contrast(page, title) >= 4.5, "a notice's title can be read on its card"

    page.goto(f"/assets/versions/{first.pk}/")
    page.get_by_label("New comment").fill("The yellow is too warm here")
    region = page.get_by_role("group", name="On the region")
    for name, value in (("x", "10"), ("y", "20"), ("width", "30"), ("height", "25")):
        region.get_by_label(name, exact=True).fill(value)
    page.get_by_role("button", name="Add comment").click()
    page.get_by_text("Comment added.").wait_for()
    assert page.locator("svg.pins rect:not([data-drawn])").count() == 1

    second = upload(logo, bella, 650)
    page.goto(f"/assets/versions/{second.pk}/")
    comments = page.get_by_role("region", name="Comments")
    expect(comments.get_by_text("The yellow is too warm here")).to_be_visible()
    expect(comments.get_by_text(f"carried from v{first.number}")).to_be_visible()
    assert page.csp_violations == []


def test_the_badge_falls_as_another_officer_decides(page: Any) -> None:
    from assets.models import Version
    from assets.services import version_approve

    seed_demo()
    log_in(page, "colin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    badge = page.locator("#unread-count .badge")
    before = int(badge.inner_text())
    waiting = Version.objects.get(
        variant__asset__key="insurance.product.gold-card", state="in_review"
    )
    carla = User.objects.get(username="carla")
    version_approve(version=waiting, actor=carla, checklist=DEMO_CHECKLIST)
    page.reload()
    assert int(badge.inner_text()) == before - 1
    page.get_by_role("link", name="Notices").click()
    expect(page.get_by_text("done by carla").first).to_be_visible()
    assert page.csp_violations == []
