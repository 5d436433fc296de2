"""A new version reaches its officer as a notice and an email in the mail catcher; a comment
pinned on it is carried to the next version."""

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from assets.models import Asset
from assets.selectors import clean_selectors
from assets.services import version_create, version_submit
from assets.uploads import inspect_bytes
from govern.models import Notification
from govern.notify import send_emails
from tests import images
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo
from tests.govern.test_mail_catcher import catcher  # noqa: F401  (the fixture)


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
    waiting = Notification.objects.filter(user=colin, key=f"version-waiting:{first.pk}")
    assert send_emails(list(waiting.values_list("pk", flat=True))) == 1  # as the worker does
    mails = [path.read_text() for path in (catcher / "new").iterdir()]
    assert any(f"Subject: [Govern] {first} [fr] waits for your decision" in m for m in mails)

    log_in(page, "colin", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.get_by_role("link", name="Notices").click()
    page.get_by_text(f"{first} [fr] waits for your decision").wait_for()

    page.goto(f"/assets/versions/{first.pk}/")
    page.get_by_label("New comment").fill("The yellow is too warm here")
    region = page.get_by_role("group", name="On the region")
    for name, value in (("x", "10"), ("y", "20"), ("width", "30"), ("height", "25")):
        region.get_by_label(name, exact=True).fill(value)
    page.get_by_role("button", name="Add comment").click()
    page.get_by_text("Comment added.").wait_for()
    assert page.locator("svg.pins rect").count() == 1

    second = upload(logo, bella, 650)
    page.goto(f"/assets/versions/{second.pk}/")
    comments = page.get_by_role("region", name="Comments")
    assert comments.get_by_text("The yellow is too warm here").is_visible()
    assert comments.get_by_text(f"carried from v{first.number}").is_visible()
    assert page.csp_violations == []
