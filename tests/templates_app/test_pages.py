"""Template pages: readiness board, template page, inbox, request changes, replacement answers."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, Version
from assets.services import version_approve
from govern.models import Notification
from govern.roles import Role
from templates_app.models import ReplacementRequest, Review, Template
from templates_app.services import binding_set, composition_add

ClientFor = Callable[[Any], Client]
MakeTemplate = Callable[..., Template]


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def changed_logo(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    second_compliance_officer: Any,
) -> Version:
    version_approve(version=add_version(logo), actor=second_compliance_officer)
    return add_version(logo)


@pytest.fixture
def letter(make_template: MakeTemplate, logo: Asset, designer: Any) -> Template:
    footer = make_template("Footer", kind="component", channels=["email"])
    binding_set(template=footer, slot="logo", asset=logo, actor=designer)
    letter = make_template("Letter")
    composition_add(parent=letter, child=footer, actor=designer)
    return letter


def test_review_page_previews_the_impact_before_the_decision(
    changed_logo: Version, letter: Template, compliance_officer: Any, client_for: ClientFor
) -> None:
    page = html(client_for(compliance_officer).get(changed_logo.get_absolute_url()))
    assert "is used by <strong>2 templates</strong>" in page
    assert "in Insurance DE, channels email, print." in page
    assert "Approving this version flags them for review" in page
    assert "/templates/?asset=brand.logo.primary" in page


def test_board_lists_templates_needing_review_first_with_their_causes(
    changed_logo: Version,
    letter: Template,
    make_template: MakeTemplate,
    auditor: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    make_template("Another")
    version_approve(version=changed_logo, actor=compliance_officer)
    page = html(client_for(auditor).get("/templates/"))
    assert page.index("Letter") < page.index("Another")
    assert "2 templates need review, 1 cleared." in page
    filtered = html(client_for(auditor).get("/templates/?asset=brand.logo.primary"))
    assert "Letter" in filtered and "Another" not in filtered


def test_board_query_count_does_not_grow_with_templates(
    make_template: MakeTemplate, auditor: Any, client_for: ClientFor
) -> None:
    client = client_for(auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/templates/").status_code == 200
        return len(captured)

    make_template()
    few = queries()
    for _ in range(10):
        make_template()
    assert queries() == few


def test_designer_acknowledges_many_reviews_from_the_inbox(
    changed_logo: Version,
    letter: Template,
    designer: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    version_approve(version=changed_logo, actor=compliance_officer)
    client = client_for(designer)
    page = html(client.get("/templates/inbox/"))
    assert "Letter" in page and "Footer" in page
    assert f"/assets/versions/{changed_logo.pk}/preview" in page, "the new version beside the old"
    ids = list(Review.objects.values_list("pk", flat=True))
    response = client.post(
        "/templates/inbox/acknowledge/", {"review": ids, "note": "Proofs fine"}, follow=True
    )
    assert "Acknowledged 2 reviews." in html(response)
    assert "Nothing to review." in html(response)
    assert set(Template.objects.values_list("state", flat=True)) == {"cleared"}


def test_a_long_inbox_is_counted_to_a_cap_and_shown_a_page_at_a_time(
    changed_logo: Version,
    letter: Template,
    designer: Any,
    compliance_officer: Any,
    client_for: ClientFor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from templates_app import views

    monkeypatch.setattr(views, "INBOX_PAGE_SIZE", 1)
    monkeypatch.setattr(views, "INBOX_COUNT_CAP", 1)
    version_approve(version=changed_logo, actor=compliance_officer)
    first, second = Review.objects.order_by("created_at", "pk").select_related("template")
    client = client_for(designer)
    page = html(client.get("/templates/inbox/"))
    assert "1+ reviews wait for you, oldest first." in page
    assert f'value="{first.pk}"' in page and f'value="{second.pk}"' not in page
    assert 'rel="next"' in page
    page = html(client.get("/templates/inbox/?page=2"))
    assert f'value="{second.pk}"' in page and f'value="{first.pk}"' not in page


def test_request_changes_from_the_inbox_reaches_brand_managers(
    changed_logo: Version,
    letter: Template,
    designer: Any,
    brand_manager: Any,
    compliance_officer: Any,
    add_version: Callable[..., Version],
    logo: Asset,
    client_for: ClientFor,
) -> None:
    version_approve(version=changed_logo, actor=compliance_officer)
    review = Review.objects.get(template=letter)
    empty = client_for(designer).post(f"/templates/reviews/{review.pk}/request-changes/", {})
    assert empty.status_code == 400
    client_for(designer).post(
        f"/templates/reviews/{review.pk}/request-changes/", {"reason": "Logo too small"}
    )
    page = html(client_for(brand_manager).get("/templates/replacements/"))
    assert "Logo too small" in page
    replacement = ReplacementRequest.objects.get()
    declined = client_for(brand_manager).post(
        f"/templates/replacements/{replacement.pk}/answer/",
        {"action": "decline", "reason": "Guide fixes the size"},
        follow=True,
    )
    assert "Answered the request" in html(declined)
    inbox = html(client_for(designer).get("/templates/inbox/"))
    assert "Declined" in inbox and "Guide fixes the size" in inbox


def test_template_pages_respect_scope_and_roles(
    letter: Template, outsider: Any, auditor: Any, brand_manager: Any, client_for: ClientFor
) -> None:
    assert client_for(outsider).get(f"/templates/{letter.pk}/").status_code == 404
    assert client_for(auditor).get(f"/templates/{letter.pk}/").status_code == 200
    assert client_for(auditor).get("/templates/inbox/").status_code == 403
    assert client_for(auditor).get("/templates/replacements/").status_code == 403
    assert client_for(brand_manager).get("/templates/replacements/").status_code == 200


def test_the_inbox_ticks_nothing_and_refuses_a_review_waiting_for_its_replacement(
    changed_logo: Version,
    letter: Template,
    designer: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    version_approve(version=changed_logo, actor=compliance_officer)
    client = client_for(designer)
    page = html(client.get("/templates/inbox/"))
    assert 'name="review"' in page and '" checked>' not in page
    review = Review.objects.get(template=letter)
    client.post(f"/templates/reviews/{review.pk}/request-changes/", {"reason": "Too small"})
    page = html(client.get("/templates/inbox/"))
    assert f'value="{review.pk}"' not in page
    assert "waits for the replacement you asked for" in page
    refused = client.post(
        "/templates/inbox/acknowledge/", {"review": [review.pk], "note": "x"}, follow=True
    )
    assert "waits for the replacement you asked for (open)" in html(refused)
    assert Review.objects.get(pk=review.pk).state == "changes_requested"


def test_owners_brand_managers_and_requesters_are_told(
    changed_logo: Version,
    letter: Template,
    designer: Any,
    brand_manager: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    from govern.models import Notification

    def subjects(user: Any) -> list[str]:
        return list(Notification.objects.filter(user=user).values_list("subject", flat=True))

    version_approve(version=changed_logo, actor=compliance_officer)
    assert subjects(designer) == [f"{changed_logo} approved: 2 of your templates to review"]
    review = Review.objects.get(template=letter)
    client_for(designer).post(
        f"/templates/reviews/{review.pk}/request-changes/", {"reason": "Logo too small"}
    )
    asked = Notification.objects.get(user=brand_manager, key__startswith="replacement-requested")
    assert "Logo too small" in asked.body and asked.url == "/templates/replacements/"
    replacement = ReplacementRequest.objects.get()
    client_for(brand_manager).post(
        f"/templates/replacements/{replacement.pk}/answer/",
        {"action": "decline", "reason": "Guide fixes the size"},
    )
    told = Notification.objects.get(user=designer, key__startswith="replacement-answered")
    assert told.subject == f"Your request for {replacement.asset.key} was declined"
    assert "Guide fixes the size" in told.body


def test_the_boards_counts_are_those_of_its_asset_filter(
    changed_logo: Version,
    letter: Template,
    make_template: MakeTemplate,
    designer: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    make_template("Unrelated notice")
    version_approve(version=changed_logo, actor=compliance_officer)  # flags Letter and Footer
    client = client_for(designer)
    everything = html(client.get("/templates/"))
    assert "2 templates need review, 1 cleared." in everything
    of_logo = html(client.get("/templates/?asset=brand.logo.primary"))
    assert "2 templates need review, 0 cleared." in of_logo
    assert "Unrelated notice" not in of_logo


def test_a_replacement_is_answered_by_uploading_the_new_version_in_place(
    changed_logo: Version,
    letter: Template,
    designer: Any,
    brand_manager: Any,
    compliance_officer: Any,
    client_for: ClientFor,
    make_user: Callable[..., Any],
    unit: Any,
) -> None:
    other_manager = make_user("bruno", Role.BRAND_MANAGER, unit)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import images

    version_approve(version=changed_logo, actor=compliance_officer)
    review = Review.objects.get(template=letter)
    client_for(designer).post(
        f"/templates/reviews/{review.pk}/request-changes/", {"reason": "Lighter, please"}
    )
    replacement = ReplacementRequest.objects.get()
    manager = client_for(brand_manager)
    path = f"/templates/replacements/{replacement.pk}/answer/"
    bad = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    refused = manager.post(path, {"action": "upload", "file": bad}, follow=True)
    assert "Answered the request" not in html(refused)
    assert Version.objects.filter(variant=changed_logo.variant).count() == 2
    good = SimpleUploadedFile("logo.png", images.png(700, 240), content_type="image/png")
    answered = manager.post(path, {"action": "upload", "file": good}, follow=True)
    assert "Answered the request for brand.logo.primary." in html(answered)
    replacement.refresh_from_db()
    new = replacement.fulfilled_version
    assert replacement.state == "answered" and new is not None
    assert (new.variant_id, new.state) == (changed_logo.variant_id, "in_review")
    asked = Notification.objects.filter(key=f"replacement-requested:{replacement.pk}")
    mine, theirs = asked.get(user=brand_manager), asked.get(user=other_manager)
    assert (mine.read_at is not None, mine.settled_at) == (True, None), "who answered read it"
    assert theirs.settled_by == brand_manager.username, "the other manager's settled"


def test_the_template_page_shows_what_each_slot_resolves_to(
    changed_logo: Version,
    letter: Template,
    designer: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    footer = Template.objects.get(name="Footer")
    page = html(client_for(designer).get(f"/templates/{footer.pk}/"))
    approved = Version.objects.get(variant=changed_logo.variant, state="approved")
    assert f"/assets/versions/{approved.pk}/preview?size=row" in page
    assert f"now v{approved.number}" in page
