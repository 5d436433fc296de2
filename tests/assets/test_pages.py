"""The asset pages: review queue, review page, previews, library, asset creation and uploads."""

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from assets.models import Asset, Version, VersionState
from assets.selectors import clean_selectors
from assets.services import asset_create, version_approve
from govern.roles import Role
from govern.services import role_grant
from tests import images
from tests.conftest import PASSWORD, signed, stored_files

ClientFor = Callable[[Any], Client]
AddVersion = Callable[..., Version]


def html(response: Any) -> str:
    return response.content.decode()


def queued_keys(client: Client, query: str = "") -> list[str]:
    page = html(client.get(f"/assets/review/{query}"))
    return [
        part.split('">')[1].split("</a>")[0]
        for part in page.split('<td><a href="/assets/versions/')[1:]
    ]


# The review queue


def test_queue_lists_versions_awaiting_the_officer_oldest_first(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
    brand_manager: Any,
    other_unit: Any,
    make_user: Callable[..., Any],
) -> None:
    first = add_version(logo)
    add_version(logo, submit=False)  # a draft is not in the queue
    elsewhere_manager = make_user("ella", Role.BRAND_MANAGER, other_unit)
    role_grant(
        user=compliance_officer, role=Role.BRAND_MANAGER, unit=logo.business_unit, actor=None
    )
    own = add_version(logo, actor=compliance_officer)  # the officer's own upload
    elsewhere = asset_create(
        key="uk.logo", title="UK", kind="logo", unit=other_unit, actor=elsewhere_manager
    )
    add_version(elsewhere, actor=elsewhere_manager)
    second = add_version(logo)
    page = client_for(compliance_officer).get("/assets/review/")
    assert page.status_code == 200
    assert html(page).index(f"/assets/versions/{first.pk}/") < html(page).index(
        f"/assets/versions/{second.pk}/"
    )
    assert f"/assets/versions/{own.pk}/" not in html(page)
    assert "uk.logo" not in html(page)
    assert "2 versions await your decision" in html(page)


def test_queue_filters_by_kind_and_age(
    logo: Asset,
    disclaimer: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        old = add_version(logo)
    recent = add_version(disclaimer)
    client = client_for(compliance_officer)
    kind_page = html(client.get("/assets/review/?kind=disclaimer"))
    assert (
        f"/assets/versions/{recent.pk}/" in kind_page
        and f"/assets/versions/{old.pk}/" not in kind_page
    )
    age_page = html(client.get("/assets/review/?age=3"))
    assert (
        f"/assets/versions/{old.pk}/" in age_page
        and f"/assets/versions/{recent.pk}/" not in age_page
    )
    assert "No versions match these filters." in html(client.get("/assets/review/?age=7"))


def test_queue_filters_by_unit_slug_and_refuses_a_unit_that_is_not_the_officers(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
    other_unit: Any,
) -> None:
    version = add_version(logo)
    client = client_for(compliance_officer)
    page = html(client.get(f"/assets/review/?unit={logo.business_unit.slug}"))
    assert f"/assets/versions/{version.pk}/" in page
    assert f'<option value="{logo.business_unit.slug}" selected>' in page
    assert f'value="{other_unit.slug}"' not in page  # only the officer's units are offered
    refused = html(client.get(f"/assets/review/?unit={other_unit.slug}"))
    assert f"/assets/versions/{version.pk}/" not in refused
    assert "No versions match these filters." in refused


def test_a_queue_row_says_what_waits_and_for_how_long(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=3, hours=5)):
        version = add_version(logo, selectors=clean_selectors(region="DE"))
    page = html(client_for(compliance_officer).get("/assets/review/"))
    row = page.split(f'<td><a href="/assets/versions/{version.pk}/">')[1].split("</tr>")[0]
    assert logo.key in row and logo.title in row and "Logo" in row
    assert "<td>DE</td>" in row and f"<td>v{version.number}</td>" in row
    assert version.submitted_by is not None
    assert f"<td>{version.submitted_by.username}</td>" in row
    assert '<td>3 days <span class="badge state-rejected">overdue</span></td>' in row
    assert "<td>0 of 1</td>" in row
    assert f"<td>{logo.business_unit.name}</td>" in row  # named from the filter's units


def test_a_queue_row_escapes_what_people_typed(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    logo.title = '<img src=x onerror="alert(1)"> & co'
    logo.save(update_fields=["title"])
    logo.business_unit.name = "<b>Retail</b>"
    logo.business_unit.save(update_fields=["name"])
    add_version(logo)
    page = html(client_for(compliance_officer).get("/assets/review/"))
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in page
    assert "<td>&lt;b&gt;Retail&lt;/b&gt;</td>" in page
    assert "<img src=x" not in page and "<b>Retail</b>" not in page


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "under a minute"),
        (59, "under a minute"),
        (60, "1 minute"),
        (3_599, "59 minutes"),
        (3_600, "1 hour"),
        (86_399, "23 hours"),
        (86_400, "1 day"),
        (10 * 86_400, "10 days"),
    ],
)
def test_an_age_is_said_in_its_largest_unit(seconds: int, said: str) -> None:
    from assets.queue import age

    assert age(seconds) == said


def test_queue_query_count_does_not_grow_with_the_queue(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    client = client_for(compliance_officer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/assets/review/").status_code == 200
        return len(captured)

    add_version(logo)
    few = queries()
    for _ in range(12):
        add_version(logo)
    assert queries() == few


# The review page


def test_review_page_shows_the_version_beside_the_approved_one_with_the_changed_share(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    second_compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    approved = version_approve(
        version=add_version(logo, data=images.png(40, 40, (0, 0, 255))),
        actor=second_compliance_officer,
    )
    changed = add_version(logo, data=images.png(40, 40, (255, 0, 0)))
    page = html(client_for(compliance_officer).get(f"/assets/versions/{changed.pk}/"))
    assert f"/assets/versions/{changed.pk}/preview" in page
    assert f"/assets/versions/{approved.pk}/preview" in page
    assert "Visual difference: 100.0% of pixels changed" in page
    assert f"/assets/versions/{changed.pk}/diff/{approved.pk}" in page
    assert "Version submitted</span>" in page, "history, in words"
    assert 'value="approve"' in page and 'value="reject"' in page


def test_review_page_zooms_onto_the_changed_region_and_decides_in_a_bar(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    second_compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    import io

    from PIL import Image

    version_approve(
        version=add_version(logo, data=images.png(400, 200, (0, 0, 255))),
        actor=second_compliance_officer,
    )
    picture = Image.new("RGB", (400, 200), (0, 0, 255))
    picture.paste((255, 0, 0), (300, 100, 400, 200))  # only the bottom-right corner changes
    output = io.BytesIO()
    picture.save(output, "PNG")
    changed = add_version(logo, data=output.getvalue())
    page = html(client_for(compliance_officer).get(f"/assets/versions/{changed.pk}/"))
    assert 'data-zoom-focus="0.8750 0.7500"' in page
    assert page.count('data-zoom="compare"') == 3, "both sides and the onion zoom together"
    assert 'data-draw="this-zoom"' in page, "an officer may pin a comment by drawing"
    assert 'id="decision" class="card decision-bar"' in page
    assert page.index('id="decision"') > page.index('id="history"'), "the bar ends the page"


def test_review_page_of_a_text_shows_a_word_diff(
    disclaimer: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    second_compliance_officer: Any,
    client_for: ClientFor,
    make_user: Callable[..., Any],
    unit: Any,
) -> None:
    third = make_user("cora", Role.COMPLIANCE_OFFICER, unit)
    approved = add_version(disclaimer, text="Rates may change at any time.")
    version_approve(
        version=approved,
        actor=second_compliance_officer,
        signature=signed(second_compliance_officer),
    )
    version_approve(version=approved, actor=third, signature=signed(third))
    changed = add_version(disclaimer, text="Rates may change once a year.")
    page = html(client_for(compliance_officer).get(f"/assets/versions/{changed.pk}/"))
    assert "<del>at any time</del><ins>once a year</ins>." in page
    assert "needs 2 approvals (0 so far)" in page


def test_decision_from_the_page_moves_to_the_next_version(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    first, second = add_version(logo), add_version(logo)
    client = client_for(compliance_officer)
    response = client.post(f"/assets/versions/{first.pk}/decide/", {"action": "approve"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assets/versions/{second.pk}/"
    first.refresh_from_db()
    assert first.state == VersionState.APPROVED
    last = client.post(
        f"/assets/versions/{second.pk}/decide/", {"action": "reject", "comment": "Blurred"}
    )
    assert last.headers["Location"] == "/assets/review/"


def test_rejecting_without_a_comment_explains_and_changes_nothing(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    version = add_version(logo)
    client = client_for(compliance_officer)
    response = client.post(
        f"/assets/versions/{version.pk}/decide/", {"action": "reject"}, follow=True
    )
    assert "Say why: a rejection needs a comment." in html(response)
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW


def test_read_only_and_own_versions_show_no_decision_buttons(
    logo: Asset, add_version: AddVersion, auditor: Any, brand_manager: Any, client_for: ClientFor
) -> None:
    version = add_version(logo)
    assert 'value="approve"' not in html(client_for(auditor).get(version.get_absolute_url()))
    own = html(client_for(brand_manager).get(version.get_absolute_url()))
    assert "someone else decides it" in own and 'value="approve"' not in own
    refused = client_for(auditor).post(
        f"/assets/versions/{version.pk}/decide/", {"action": "approve"}
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/assets/versions/{version}/",
        "/assets/versions/{version}/preview",
        "/assets/versions/{version}/diff/{version}",
        "/assets/{asset}/",
    ],
)
def test_pages_of_another_unit_are_404(
    logo: Asset, add_version: AddVersion, outsider: Any, client_for: ClientFor, path: str
) -> None:
    version = add_version(logo)
    url = path.format(version=version.pk, asset=logo.pk)
    assert client_for(outsider).get(url).status_code == 404
    assert (
        client_for(outsider)
        .post(f"/assets/versions/{version.pk}/decide/", {"action": "approve"})
        .status_code
        == 404
    )


def test_preview_is_a_thumbnail_png_and_svg_is_sandboxed(
    logo: Asset, add_version: AddVersion, auditor: Any, client_for: ClientFor
) -> None:
    raster = add_version(logo, data=images.png(1600, 900))
    response = client_for(auditor).get(f"/assets/versions/{raster.pk}/preview")
    assert response.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (800, 450)
    vector = add_version(logo, data=images.svg(), selectors=clean_selectors(channels="web"))
    svg = client_for(auditor).get(f"/assets/versions/{vector.pk}/preview")
    assert "sandbox" in svg.headers["Content-Security-Policy"]


# Library, asset creation and uploads


def test_library_searches_and_filters_in_the_users_units(
    logo: Asset, disclaimer: Asset, auditor: Any, client_for: ClientFor
) -> None:
    client = client_for(auditor)
    assert "brand.logo.primary" in html(client.get("/assets/library/?q=primary"))
    assert "legal.disclaimer.savings" not in html(client.get("/assets/library/?q=primary"))
    assert "brand.logo.primary" not in html(client.get("/assets/library/?kind=disclaimer"))
    assert "No assets match." in html(client.get("/assets/library/?state=approved"))


def test_library_cards_show_the_latest_version_its_state_and_the_approved_one(
    logo: Asset,
    add_version: AddVersion,
    brand_manager: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    approved = version_approve(version=add_version(logo), actor=compliance_officer)
    latest = add_version(logo)
    page = html(client_for(brand_manager).get("/assets/library/"))
    assert f'src="/assets/versions/{latest.pk}/preview?size=row"' in page
    assert f'<span class="badge state-in_review">v{latest.number} in review</span>' in page
    assert f'<span class="badge state-approved">v{approved.number} approved</span>' in page


def test_library_query_count_does_not_grow_with_the_library(
    brand_manager: Any, unit: Any, client_for: ClientFor
) -> None:
    client = client_for(brand_manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/assets/library/").status_code == 200
        return len(captured)

    asset_create(key="a.0", title="A", kind="logo", unit=unit, actor=brand_manager)
    few = queries()
    for n in range(1, 15):
        asset_create(key=f"a.{n}", title="A", kind="icon", unit=unit, actor=brand_manager)
    assert queries() == few


def test_brand_manager_creates_an_asset_in_the_browser_form(
    brand_manager: Any, unit: Any, client_for: ClientFor
) -> None:
    client = client_for(brand_manager)
    response = client.post(
        "/assets/new/",
        {"key": "brand.icon.phone", "title": "Phone", "kind": "icon", "business_unit": unit.pk},
    )
    asset = Asset.objects.get(key="brand.icon.phone")
    assert response.headers["Location"] == f"/assets/{asset.pk}/"
    again = client.post(
        "/assets/new/",
        {"key": "brand.icon.phone", "title": "Phone", "kind": "icon", "business_unit": unit.pk},
    )
    assert again.status_code == 400 and "already exists" in html(again)


def test_only_brand_managers_create_assets(auditor: Any, client_for: ClientFor) -> None:
    assert client_for(auditor).get("/assets/new/").status_code == 403


def test_upload_in_the_browser_stores_a_draft(
    logo: Asset, brand_manager: Any, client_for: ClientFor
) -> None:
    response = client_for(brand_manager).post(
        f"/assets/{logo.pk}/",
        {
            "file": SimpleUploadedFile("logo.png", images.png()),
            "language": "de",
            "channels": ["print"],
        },
    )
    assert response.status_code == 302
    version = Version.objects.get()
    assert (version.state, version.variant.language, version.variant.channels) == (
        "draft",
        "de",
        "print",
    )


def test_hostile_upload_in_the_browser_explains_and_stores_nothing(
    logo: Asset,
    brand_manager: Any,
    compliance_officer: Any,
    client_for: ClientFor,
    media_root: Path,
) -> None:
    response = client_for(brand_manager).post(
        f"/assets/{logo.pk}/",
        {"file": SimpleUploadedFile("logo.svg", images.HOSTILE_SVGS["script"])},
    )
    assert response.status_code == 400
    assert "The SVG contains a script" in html(response)
    assert not Version.objects.exists() and stored_files(media_root) == []
    refused = client_for(compliance_officer).post(
        f"/assets/{logo.pk}/", {"file": SimpleUploadedFile("logo.png", images.png())}
    )
    assert refused.status_code == 403


def test_empty_posts_are_refused_with_the_fields_named(
    logo: Asset, brand_manager: Any, client_for: ClientFor
) -> None:
    client = client_for(brand_manager)
    created = client.post("/assets/new/", {})
    assert created.status_code == 400 and "This field is required." in html(created)
    uploaded = client.post(f"/assets/{logo.pk}/", {})
    assert uploaded.status_code == 400 and "Choose a file to upload." in html(uploaded)
    assert not Version.objects.exists()


def test_after_ones_own_first_approval_the_page_says_who_decides_next(
    disclaimer: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    version = add_version(disclaimer)
    assert version.required_approvals == 2
    client = client_for(compliance_officer)
    decided = client.post(
        f"/assets/versions/{version.pk}/decide/",
        {"action": "sign", "meaning": "approved", "password": PASSWORD},
        follow=True,
    )
    assert f"You approved {version}; waiting for 1 more officer." in html(decided)
    page = html(client.get(f"/assets/versions/{version.pk}/"))
    assert "You approved this version;</strong> waiting for 1 more officer" in page
    assert 'value="sign"' not in page
    assert Version.objects.get(pk=version.pk).state == VersionState.IN_REVIEW


def test_queue_sorts_searches_and_the_review_page_keeps_the_place(
    add_version: AddVersion,
    brand_manager: Any,
    unit: Any,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    keys = ["brand.logo.c", "brand.logo.a", "other.icon", "brand.logo.b"]
    versions = {
        key: add_version(
            asset_create(key=key, title=key, kind="logo", unit=unit, actor=brand_manager)
        )
        for key in keys
    }
    client = client_for(compliance_officer)
    assert queued_keys(client) == keys  # oldest first
    assert queued_keys(client, "?sort=newest") == keys[::-1]
    assert queued_keys(client, "?q=brand.logo&sort=asset") == [
        "brand.logo.a",
        "brand.logo.b",
        "brand.logo.c",
    ]
    middle = versions["brand.logo.b"]
    page = html(client.get(f"/assets/versions/{middle.pk}/?q=brand.logo&sort=asset"))
    assert "2 of 3" in page
    carried = "?q=brand.logo&amp;sort=asset"
    assert f'href="/assets/versions/{versions["brand.logo.a"].pk}/{carried}" rel="prev"' in page
    assert f'href="/assets/versions/{versions["brand.logo.c"].pk}/{carried}" rel="next"' in page
    assert 'name="queue" value="q=brand.logo&amp;sort=asset"' in page
    assert "accesskey" not in page
    assert "3 of" not in html(client.get(f"/assets/versions/{versions['other.icon'].pk}/?q=brand"))


def test_review_page_compares_at_one_scale_enlarges_tiny_images_and_diffs_metadata(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    second_compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    approved = version_approve(
        version=add_version(logo, data=images.png(8, 8, (0, 0, 255))),
        actor=second_compliance_officer,
    )
    changed = add_version(logo, data=images.png(8, 6, (255, 0, 0)))
    client = client_for(compliance_officer)
    page = html(client.get(f"/assets/versions/{changed.pk}/"))
    assert "Old and new at the same scale" in page and 'data-onion-slider="onion"' in page
    assert "/static/js/compare.js" in page and f"Approved v{approved.number}</th>" in page
    assert "Shown 40 times larger, pixel for pixel: the image is 8 × 6 px." in page
    dimensions = page.split('<th scope="row">Dimensions</th>')[1].split("</tr>")[0]
    assert "8 × 6 px" in dimensions and "8 × 8 px" in dimensions and "changed" in dimensions
    preview = client.get(f"/assets/versions/{changed.pk}/preview")
    from PIL import Image

    assert Image.open(io.BytesIO(preview.content)).size == (320, 240), "whole pixels, enlarged"


def test_queue_rows_show_small_thumbnails_and_texts_say_so(
    logo: Asset,
    disclaimer: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    from PIL import Image

    picture, text = add_version(logo), add_version(disclaimer)
    client = client_for(compliance_officer)
    page = html(client.get("/assets/review/"))
    src = f"/assets/versions/{picture.pk}/preview?size=row"
    assert f'<img src="{src}" alt="" width="48" height="48" loading="lazy">' in page
    assert f"/assets/versions/{text.pk}/preview" not in page
    small = Image.open(io.BytesIO(client.get(src).content))
    assert max(small.size) == 96


def test_the_channels_of_an_upload_are_a_fieldset_with_a_legend(
    logo: Asset, brand_manager: Any, client_for: ClientFor
) -> None:
    page = html(client_for(brand_manager).get(f"/assets/{logo.pk}/"))
    fieldset = page.split('<fieldset class="field">')[1].split("</fieldset>")[0]
    assert "<legend>Channels</legend>" in fieldset and 'type="checkbox"' in fieldset
