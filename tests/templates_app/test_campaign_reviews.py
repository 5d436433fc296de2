"""A campaign's review says what really changes: Before is the version a run in the item's
context uses now, After the campaign's version, each named by its own asset, in the review, the
inbox and the manifest."""

from typing import Any

from templates_app.models import Review
from templates_app.preflight import build_manifest
from tests.templates_app.campaign_fixtures import GO_LIVE, approved_campaign


def test_a_campaign_review_names_both_assets_and_versions(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    client_for: Any,
    clock: Any,
) -> None:
    approved_campaign(scene, brand_manager, compliance_officer)
    everyday, visual = scene["everyday"], scene["visual"]
    reviews = Review.objects.filter(action="campaign")
    assert reviews.count() == 2, "the component and the statement that contains it"
    for review in reviews:
        assert (review.old_version, review.new_version) == (everyday, visual)
    inbox = client_for(designer).get("/templates/inbox/").content.decode()
    before = f"before: {everyday.variant.asset.key} v{everyday.number}"
    after = f"after: {visual.variant.asset.key} v{visual.number}"
    assert before in inbox and after in inbox
    assert f'alt="After: campaign.spring.logo v{visual.number}"' in inbox
    clock.move_to(GO_LIVE)
    manifest = build_manifest(scene["header"], GO_LIVE, None)
    [binding] = manifest["bindings"]
    assert binding["asset"] == "brand.logo.primary"
    [campaign_entry] = binding["campaigns"]
    assert campaign_entry["asset"] == "campaign.spring.logo", "the version's own asset"
    assert [v["asset"] for v in binding["versions"]] == ["brand.logo.primary"]


def test_the_template_page_and_the_board_show_both_versions_with_thumbnails(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    client_for: Any,
) -> None:
    approved_campaign(scene, brand_manager, compliance_officer)
    everyday, visual = scene["everyday"], scene["visual"]
    review = Review.objects.filter(action="campaign").first()
    assert review is not None
    client = client_for(designer)
    for path in (f"/templates/{review.template_id}/", "/templates/"):
        page = client.get(path).content.decode()
        for version in (everyday, visual):
            thumb = f'src="/assets/versions/{version.pk}/preview?size=row"'
            assert f'{thumb} alt="" width="48" height="48" loading="lazy"> ' in page, path
        assert "after: <img" in page
