"""A unit's time zone: the server's until said otherwise, an IANA name or refused, changed by
administrators through the audited service, in the units API, and set for the demo's units."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from audit.models import AuditEvent
from govern.models import BusinessUnit

pytestmark = pytest.mark.django_db


def create_unit(*args: str) -> str:
    out = io.StringIO()
    call_command("create_unit", *args, stdout=out)
    return out.getvalue()


def test_a_unit_plans_in_the_servers_zone_unless_given_one(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Lisbon"
    create_unit("energy-pt", "Energy PT")
    create_unit("energy-de", "Energy DE", "--time-zone", "Europe/Berlin")
    zones = dict(BusinessUnit.objects.values_list("slug", "time_zone"))
    assert zones == {"energy-pt": "Europe/Lisbon", "energy-de": "Europe/Berlin"}
    created = AuditEvent.objects.get(action="unit.created", data__slug="energy-de")
    assert created.data["time_zone"] == "Europe/Berlin"


def test_a_zone_that_is_no_iana_name_is_refused_and_changes_nothing(
    admin_client: Client,
) -> None:
    with pytest.raises(CommandError, match="time_zone: 'Mars/Olympus' is not an IANA time zone"):
        create_unit("energy-nl", "Energy NL", "--time-zone", "Mars/Olympus")
    assert not BusinessUnit.objects.exists()
    create_unit("energy-nl", "Energy NL", "--time-zone", "Europe/Amsterdam")
    unit = BusinessUnit.objects.get()
    events = AuditEvent.objects.count()
    refused = admin_client.post(
        f"/admin/govern/businessunit/{unit.pk}/change/",
        {"name": "Energy NL", "industry": "energy", "time_zone": "Mars/Olympus"},
    )
    assert refused.status_code == 200 and "Mars/Olympus" in refused.content.decode()
    unit.refresh_from_db()
    assert unit.time_zone == "Europe/Amsterdam" and AuditEvent.objects.count() == events


def test_the_admin_form_offers_every_zone_and_preselects_the_servers(admin_client: Client) -> None:
    html = admin_client.get("/admin/govern/businessunit/add/").content.decode()
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in html
    assert '<option value="UTC" selected>UTC</option>' in html


def test_the_units_api_says_each_units_zone(
    brand_manager: Any, unit: BusinessUnit, client_for: Any
) -> None:
    listed = client_for(brand_manager).get("/api/v1/units/").json()["results"]
    assert [(row["slug"], row["time_zone"]) for row in listed] == [("insurance-de", "UTC")]


def test_the_demo_units_plan_in_berlin_and_london() -> None:
    call_command("seed_demo", "--password", "demo-pass-123", stdout=io.StringIO())
    zones = dict(BusinessUnit.objects.values_list("slug", "time_zone"))
    assert zones == {"insurance-de": "Europe/Berlin", "banking-uk": "Europe/London"}
