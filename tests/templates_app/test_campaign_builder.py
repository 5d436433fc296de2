"""The campaign builder: it offers only approved versions, each with its thumbnail (a text with
its first words), and a draft with an item not ready asks to be confirmed, naming the problems,
before it goes to review; the audit event says what was not ready."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from assets.models import Version
from assets.services import version_approve
from audit.models import AuditEvent
from templates_app.campaigns import pickers
from templates_app.models import CampaignItem, CampaignState
from tests.conftest import signed
from tests.templates_app.campaign_fixtures import make_campaign
from tests.templates_app.conftest import license_version

pytestmark = pytest.mark.django_db
NOT_READY = (
    "Header component.header_logo: its licence is valid only until 2027-04-01 "
    "(for any at 15 April 2027, 01:59 Europe/Berlin)"
)


def test_the_builder_offers_only_approved_versions_each_with_its_thumbnail(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    second_compliance_officer: Any,
    disclaimer: Any,
    add_version: Callable[..., Version],
    client_for: Callable[[Any], Client],
) -> None:
    in_review = add_version(scene["visual_asset"])
    words = add_version(disclaimer, text="Terms apply to every spring offer.")
    for officer in (compliance_officer, second_compliance_officer):  # a regulated text: two
        words = version_approve(version=words, actor=officer, signature=signed(officer))
    campaign = make_campaign(scene, brand_manager, items=[])
    client = client_for(brand_manager)
    page = client.get(campaign.get_absolute_url()).content.decode()
    visual = scene["visual"].pk
    assert f'name="version" value="{visual}"' in page
    assert f'src="/assets/versions/{visual}/preview?size=row"' in page
    assert f'name="version" value="{in_review.pk}"' not in page
    assert f'name="version" value="{words.pk}"' in page
    assert "“Terms apply to every spring offer.”" in page
    refused = client.post(
        f"/templates/campaigns/{campaign.pk}/items/",
        {"target": f"slot:{scene['header'].pk}:header_logo", "version": in_review.pk},
    )
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert not CampaignItem.objects.exists()


def test_a_draft_with_an_item_not_ready_asks_before_it_goes_and_the_audit_names_it(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    license_version(
        scene["visual"], "k1", released=True, valid_until=datetime(2027, 4, 1, tzinfo=UTC)
    )
    campaign = make_campaign(scene, brand_manager)
    client, url = client_for(brand_manager), f"/templates/campaigns/{campaign.pk}/submit/"
    asked = client.post(url)
    html = asked.content.decode()
    assert asked.status_code == 409
    assert "Not every item is ready." in html and NOT_READY in html
    assert 'name="submit_anyway" value="yes"' in html and "Submit anyway" in html
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DRAFT
    assert not AuditEvent.objects.filter(action="campaign.submitted").exists()
    assert client.post(url, {"submit_anyway": "yes"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_REVIEW
    submitted = AuditEvent.objects.get(action="campaign.submitted")
    assert submitted.data["not_ready"] == [NOT_READY]


def test_a_ready_draft_goes_at_once_and_others_may_not_submit_it(
    scene: dict[str, Any],
    brand_manager: Any,
    auditor: Any,
    outsider: Any,
    client_for: Callable[[Any], Client],
) -> None:
    campaign = make_campaign(scene, brand_manager)
    url = f"/templates/campaigns/{campaign.pk}/submit/"
    assert client_for(auditor).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 404
    assert client_for(brand_manager).post(url).status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_REVIEW
    assert "not_ready" not in AuditEvent.objects.get(action="campaign.submitted").data


def test_a_unit_with_more_versions_than_the_builder_lists_is_told_so(
    scene: dict[str, Any],
    brand_manager: Any,
    client_for: Callable[[Any], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    campaign = make_campaign(scene, brand_manager, items=[])
    page = client_for(brand_manager).get(campaign.get_absolute_url()).content.decode()
    assert "are offered here" not in page
    monkeypatch.setattr(pickers, "MAX_PICKS", 2)  # the scene's unit has two approved versions
    page = client_for(brand_manager).get(campaign.get_absolute_url()).content.decode()
    assert "The first 2 are offered here; the API takes any." in page
