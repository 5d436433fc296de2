"""The campaign pages: list, calendar, a new draft in the person's zone, items added on its
page, the decisions, and the scope rules (404 outside the unit, 403 for a role that may not)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from templates_app.models import Campaign, CampaignState
from tests.templates_app.campaign_fixtures import approved_campaign, make_campaign

pytestmark = pytest.mark.django_db


def test_the_list_says_what_a_campaign_is_when_there_is_none(
    scene: dict[str, Any], designer: Any, client_for: Callable[[Any], Client]
) -> None:
    html = client_for(designer).get("/templates/campaigns/").content.decode()
    assert "No campaigns yet." in html
    assert "New campaign" not in html  # designers do not create campaigns


def test_a_brand_manager_creates_a_draft_in_her_zone_and_adds_an_item(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    assert "Time zone" in client.get("/templates/campaigns/new/").content.decode()
    response = client.post(
        "/templates/campaigns/new/",
        {
            "name": "Spring renewal",
            "business_unit": scene["header"].business_unit.slug,
            "go_live_at": "2027-03-01T00:00",
            "ends_at": "2027-04-15T00:00",
            "time_zone": "Europe/Berlin",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert campaign.go_live_at.isoformat() == "2027-02-28T23:00:00+00:00"
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "1 March 2027, 00:00 Europe/Berlin" in page
    assert "No items yet" in page
    added = client.post(
        f"/templates/campaigns/{campaign.pk}/items/",
        {"target": f"slot:{scene['header'].pk}:header_logo", "version": scene["visual"].pk},
    )
    assert added.status_code == 302
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Header component</a>.header_logo" in page and "Ready" in page
    client.post(f"/templates/campaigns/{campaign.pk}/submit/")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_REVIEW


def test_a_past_go_live_is_refused_on_the_form_with_the_reason(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    response = client_for(brand_manager).post(
        "/templates/campaigns/new/",
        {
            "name": "Late",
            "business_unit": scene["header"].business_unit.slug,
            "go_live_at": "2027-01-01T00:00",
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 400
    assert "The go-live is in the past" in response.content.decode()
    assert not Campaign.objects.exists()


def test_an_officer_approves_from_the_page_and_a_rejection_without_reason_is_refused(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    from templates_app.campaigns.services import campaign_submit

    campaign = campaign_submit(campaign=make_campaign(scene, brand_manager), actor=brand_manager)
    officer = client_for(compliance_officer)
    assert "Approve campaign" in officer.get(campaign.get_absolute_url()).content.decode()
    refused = officer.post(
        f"/templates/campaigns/{campaign.pk}/reject/", {"comment": ""}, follow=True
    )
    assert "a rejection needs a comment" in refused.content.decode()
    officer.post(f"/templates/campaigns/{campaign.pk}/approve/", {"comment": "Good."})
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED
    page = officer.get(campaign.get_absolute_url()).content.decode()
    assert "Campaign approved" in page and "Deliveries to Exstream" in page
    assert "Approve campaign" not in page


def test_the_maker_sees_no_decision_and_outsiders_get_404(
    scene: dict[str, Any],
    brand_manager: Any,
    outsider: Any,
    auditor: Any,
    client_for: Callable[[Any], Client],
) -> None:
    from templates_app.campaigns.services import campaign_submit

    campaign = campaign_submit(campaign=make_campaign(scene, brand_manager), actor=brand_manager)
    assert (
        "Approve campaign"
        not in client_for(brand_manager).get(campaign.get_absolute_url()).content.decode()
    )
    assert client_for(outsider).get(campaign.get_absolute_url()).status_code == 404
    assert (
        client_for(auditor).post(f"/templates/campaigns/{campaign.pk}/approve/").status_code == 403
    )
    assert (
        client_for(auditor).post(f"/templates/campaigns/{campaign.pk}/cancel/").status_code == 403
    )
    assert client_for(auditor).get("/templates/campaigns/new/").status_code == 403
    assert (
        client_for(brand_manager).post(f"/templates/campaigns/{campaign.pk}/dance/").status_code
        == 404
    )
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_REVIEW


def test_the_calendar_draws_a_bar_per_campaign_in_each_month_it_runs(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    campaign = approved_campaign(scene, brand_manager, compliance_officer)
    client = client_for(brand_manager)
    html = client.get("/templates/campaigns/calendar/?from=2027-02").content.decode()
    march = html.split("<h2>March 2027</h2>", 1)[1].split("</section>", 1)[0]
    april = html.split("<h2>April 2027</h2>", 1)[1].split("</section>", 1)[0]
    may = html.split("<h2>May 2027</h2>", 1)[1].split("</section>", 1)[0]
    assert f'href="{campaign.get_absolute_url()}"' in march and 'class="bar state-approved' in march
    assert 'x="0.0"' in april  # runs on from March
    assert "No campaign runs this month." in may
    assert 'x="0.0" y="4" width="1000.0"' in march
    # A month that is no month falls back to this one rather than failing.
    assert client.get("/templates/campaigns/calendar/?from=2027-13").status_code == 200


def test_home_tells_an_officer_of_campaigns_waiting_and_not_the_one_who_approved(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    second_compliance_officer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    from govern.models import Notification
    from templates_app.campaigns.services import campaign_approve, campaign_submit

    campaign = campaign_submit(campaign=make_campaign(scene, brand_manager), actor=brand_manager)
    assert Notification.objects.filter(
        user=compliance_officer, key=f"campaign-waiting:{campaign.pk}"
    ).exists()
    marker = 'href="/templates/campaigns/?state=in_review"><strong class="count">'
    home = client_for(compliance_officer).get("/").content.decode()
    assert home.split(marker)[1].startswith("1</strong> Campaigns waiting for your decision")
    Campaign.objects.filter(pk=campaign.pk).update(required_approvals=2)
    campaign_approve(campaign=campaign, actor=compliance_officer)
    home = client_for(compliance_officer).get("/").content.decode()
    assert home.split(marker)[1].startswith("0</strong>")
    other = client_for(second_compliance_officer).get("/").content.decode()
    assert other.split(marker)[1].startswith("1</strong>")


def test_the_template_page_lists_the_campaigns_that_reach_it(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    campaign = approved_campaign(scene, brand_manager, compliance_officer)
    html = client_for(designer).get(scene["statement"].get_absolute_url()).content.decode()
    card = html.split("<h2>Campaigns</h2>", 1)[1].split("</section>", 1)[0]
    assert f'href="{campaign.get_absolute_url()}">Spring renewal</a>' in card
    assert "1 March 2027, 01:00 Europe/Berlin" in card  # in the unit's zone
