"""Campaign times in the unit's zone: the builder reads them there by default, pages, notices
and e-mails show them there with the zone named, and a time the zone's clocks skip is refused
(on the form and in the API) while one they pass twice is taken the first time, said so."""

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from audit.models import AuditEvent
from govern.models import Notification
from govern.notify import send_digests
from templates_app.campaigns.services import campaign_approve, campaign_submit
from templates_app.models import Campaign
from tests.templates_app.campaign_fixtures import approved_campaign, item, make_campaign
from tests.templates_app.conftest import license_version

pytestmark = pytest.mark.django_db
WINTER = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def new_campaign(client: Client, scene: dict[str, Any], **fields: str) -> Any:
    body = {"name": "Spring renewal", "business_unit": scene["header"].business_unit.slug}
    return client.post("/templates/campaigns/new/", {**body, **fields})


def api_campaign(client: Client, scene: dict[str, Any], **fields: Any) -> Any:
    body = {
        "name": "Spring renewal",
        "business_unit": scene["header"].business_unit.slug,
        "items": [item(scene)],
        **fields,
    }
    return client.post("/api/v1/campaigns/", json.dumps(body), content_type="application/json")


def test_the_builder_reads_times_in_the_units_zone_and_every_page_shows_them_named(
    scene: dict[str, Any], clock: Any, brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    clock.move_to(WINTER)
    client = client_for(brand_manager)
    form = client.get("/templates/campaigns/new/").content.decode()
    assert '<option value="" selected>The unit&#x27;s own zone</option>' in form
    assert "Insurance DE plans in Europe/Berlin" in form
    new_campaign(client, scene, go_live_at="2027-01-10T00:00", ends_at="2027-01-31T00:00")
    campaign = Campaign.objects.get()
    assert campaign.time_zone == "Europe/Berlin"
    assert campaign.go_live_at == datetime(2027, 1, 9, 23, 0, tzinfo=UTC)
    window = "10 January 2027, 00:00 Europe/Berlin"
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert window in page
    shown = re.sub(r' datetime="[^"]*"', "", page)  # the machine-readable attribute aside
    assert "2027-01-09T23:00:00+00:00" not in shown
    assert "Entered in" not in page  # entered in the unit's own zone
    assert window in client.get("/templates/campaigns/").content.decode()
    calendar = client.get("/templates/campaigns/calendar/?from=2027-01").content.decode()
    assert f"Spring renewal: Draft, {window} to 31 January 2027, 00:00 Europe/Berlin" in calendar


def test_a_campaign_entered_in_another_zone_shows_the_units_and_the_one_it_was_entered_in(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    new_campaign(client, scene, go_live_at="2027-03-01T00:00", time_zone="America/New_York")
    campaign = Campaign.objects.get()
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "1 March 2027, 06:00 Europe/Berlin" in page
    assert "Entered in America/New_York: 1 March 2027, 00:00 America/New_York." in page


def test_readiness_and_conflicts_give_their_times_in_the_units_zone(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    approved_campaign(scene, brand_manager, compliance_officer)
    license_version(
        scene["visual"], "k1", released=True, valid_until=datetime(2027, 4, 1, tzinfo=UTC)
    )
    later = make_campaign(scene, brand_manager, name="Easter")
    page = client_for(brand_manager).get(later.get_absolute_url()).content.decode()
    assert "(for any at 15 April 2027, 01:59 Europe/Berlin)" in page
    assert (
        "also fills Header component.header_logo for any from 1 March 2027, 01:00 Europe/Berlin "
        "to 15 April 2027, 02:00 Europe/Berlin"
    ) in page


def test_notices_and_their_emails_give_the_go_live_in_the_units_zone(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any, designer: Any
) -> None:
    compliance_officer.email = "colin@example.test"
    compliance_officer.save(update_fields=["email"])
    campaign = campaign_submit(campaign=make_campaign(scene, brand_manager), actor=brand_manager)
    waiting = Notification.objects.get(
        user=compliance_officer, key=f"campaign-waiting:{campaign.pk}"
    )
    assert waiting.body == "1 item(s), going live 1 March 2027, 01:00 Europe/Berlin."
    assert send_digests() == 1
    assert "going live 1 March 2027, 01:00 Europe/Berlin." in mail.outbox[0].body
    campaign_approve(campaign=campaign, actor=compliance_officer)
    flagged = Notification.objects.get(user=designer, key=f"campaign-flagged:{campaign.pk}")
    assert flagged.body == "It goes live 1 March 2027, 01:00 Europe/Berlin."


def test_a_time_the_clocks_skip_is_refused_on_the_form_naming_the_hour(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    response = new_campaign(client_for(brand_manager), scene, go_live_at="2027-03-28T02:30")
    assert response.status_code == 400
    assert (
        "02:30 does not exist on 28 March 2027 in Europe/Berlin: the clocks go from 02:00 "
        "straight to 03:00." in response.content.decode()
    )
    assert not Campaign.objects.exists()
    assert not AuditEvent.objects.filter(action="campaign.created").exists()


def test_a_time_the_clocks_skip_is_400_in_the_api_naming_the_field_and_the_hour(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    response = api_campaign(
        client_for(brand_manager),
        scene,
        go_live_at="2027-03-01T00:00",
        ends_at="2027-03-28T02:30",
        time_zone="Europe/Berlin",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["ends_at"] == [
        "02:30 does not exist on 28 March 2027 in Europe/Berlin: the clocks go from 02:00 "
        "straight to 03:00. Choose a time before 02:00 or from 03:00."
    ]
    assert not Campaign.objects.exists()


def test_a_time_the_clocks_pass_twice_is_the_first_on_the_form_and_the_page_says_so(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    created = new_campaign(client, scene, go_live_at="2027-10-31T02:30")
    campaign = Campaign.objects.get()
    assert created.status_code == 302
    assert campaign.go_live_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    page = client.get(created["Location"]).content.decode()
    assert (
        "02:30 happens twice on 31 October 2027 in Europe/Berlin; Govern took the first "
        "(CEST, UTC+02:00), not the second (CET, UTC+01:00)."
    ) in page
    assert "31 October 2027, 02:30 Europe/Berlin (CEST)" in page


def test_a_time_the_clocks_pass_twice_is_the_first_in_the_api_with_a_note(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    response = api_campaign(client_for(brand_manager), scene, go_live_at="2027-10-31T02:30")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["time_zone"] == "Europe/Berlin"  # the unit's, none given
    assert data["go_live_at"] == "2027-10-31T00:30:00Z"
    assert data["time_notes"] == [
        "02:30 happens twice on 31 October 2027 in Europe/Berlin; Govern took the first "
        "(CEST, UTC+02:00), not the second (CET, UTC+01:00)."
    ]
    # A time with its offset is no choice: the second 02:30 is there for whoever means it.
    second = api_campaign(
        client_for(brand_manager), scene, name="Later", go_live_at="2027-10-31T02:30+01:00"
    )
    assert second.json()["go_live_at"] == "2027-10-31T01:30:00Z"
    assert second.json()["time_notes"] == []


@pytest.mark.parametrize("moment", ["0001-01-01T00:30", "9999-12-31T23:30"])
def test_times_at_the_ends_of_the_calendar_are_400_naming_the_field_never_500(
    scene: dict[str, Any], brand_manager: Any, client_for: Callable[[Any], Client], moment: str
) -> None:
    client = client_for(brand_manager)
    response = api_campaign(client, scene, go_live_at="2027-03-01T00:00", ends_at=moment)
    assert response.status_code == 400 and "ends_at" in response.json()["fields"]
    page = new_campaign(client, scene, go_live_at=moment)
    assert page.status_code == 400 and "Give a time between" in page.content.decode()
    assert not Campaign.objects.exists()
