"""The campaigns API: a brand manager creates, an officer decides, the manifest and pre-flight
follow the window; bad input is a 4xx with a reason and changes nothing."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from templates_app.models import Campaign, CampaignItem, CampaignState
from tests.templates_app.campaign_fixtures import ENDS, GO_LIVE, item

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def body(scene: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "name": "Spring renewal",
        "business_unit": scene["header"].business_unit.slug,
        "go_live_at": "2027-03-01T00:00",
        "ends_at": "2027-04-15T00:00",
        "time_zone": "Europe/Berlin",
        "items": [{**item(scene), "region": "de"}],
        **changes,
    }


def test_a_campaign_is_built_submitted_and_approved_through_the_api(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    maker, officer = client_for(brand_manager), client_for(compliance_officer)
    created = post(maker, "/api/v1/campaigns/", body(scene))
    assert created.status_code == 201, created.content
    data = created.json()
    # A wall-clock time in Berlin, stored in UTC.
    assert data["go_live_at"] == "2027-02-28T23:00:00Z"
    assert data["items"][0]["region"] == "DE" and data["items"][0]["ready"] is True
    pk = data["id"]
    assert post(officer, f"/api/v1/campaigns/{pk}/submit/").status_code == 403
    assert post(maker, f"/api/v1/campaigns/{pk}/submit/").json()["state"] == "in_review"
    assert post(maker, f"/api/v1/campaigns/{pk}/approve/").status_code == 403
    approved = post(officer, f"/api/v1/campaigns/{pk}/approve/", {"comment": "Fine."})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["decisions"][0]["actor"] == "colin"
    listed = maker.get("/api/v1/campaigns/?state=approved").json()
    assert [c["id"] for c in listed["results"]] == [pk]
    late = post(maker, f"/api/v1/campaigns/{pk}/items/", item(scene, region="AT"))
    assert late.status_code == 409
    assert "create a new campaign or cancel" in late.json()["detail"]
    assert CampaignItem.objects.filter(campaign_id=pk).count() == 1
    cancelled = post(maker, f"/api/v1/campaigns/{pk}/cancel/", {"reason": "Budget."})
    assert cancelled.json()["state"] == "cancelled"


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"go_live_at": "2027-01-01T00:00"}, 400, "go_live_at"),
        ({"ends_at": "2027-02-01T00:00"}, 400, "ends_at"),
        ({"go_live_at": "soon"}, 400, "go_live_at"),
        ({"time_zone": "Mars/Olympus"}, 400, "time_zone"),
        ({"business_unit": "nowhere"}, 400, "business_unit"),
        ({"colour": "red"}, 400, "colour"),
        ({"name": 7}, 400, "name"),
    ],
)
def test_bad_campaigns_are_400_naming_the_field_and_create_nothing(
    scene: dict[str, Any],
    brand_manager: Any,
    client_for: Callable[[Any], Client],
    changes: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = post(client_for(brand_manager), "/api/v1/campaigns/", body(scene, **changes))
    assert response.status_code == status, response.content
    assert field in json.dumps(response.json())
    assert not Campaign.objects.exists()


def test_items_naming_another_units_objects_are_404_and_a_wrong_kind_400(
    scene: dict[str, Any],
    brand_manager: Any,
    other_unit: Any,
    make_template: Any,
    disclaimer: Any,
    add_version: Any,
    client_for: Callable[[Any], Client],
) -> None:
    from templates_app.models import Template

    stranger = Template.objects.create(
        exstream_id="EX-OTHER", name="Other", kind="communication", business_unit=other_unit
    )
    client = client_for(brand_manager)
    foreign = body(scene, items=[{**item(scene), "template": stranger.pk}])
    assert post(client, "/api/v1/campaigns/", foreign).status_code == 404
    text = add_version(disclaimer)
    wrong = post(
        client, "/api/v1/campaigns/", body(scene, items=[{**item(scene), "version": text.pk}])
    )
    assert wrong.status_code == 400 and "takes an image" in wrong.content.decode()
    both = body(scene, items=[{**item(scene), "asset": scene["logo"].pk}])
    assert post(client, "/api/v1/campaigns/", both).status_code == 400
    assert not Campaign.objects.exists()


def test_outside_the_unit_a_campaign_is_404_and_an_auditor_may_not_act(
    scene: dict[str, Any],
    brand_manager: Any,
    auditor: Any,
    outsider: Any,
    client_for: Callable[[Any], Client],
) -> None:
    pk = post(client_for(brand_manager), "/api/v1/campaigns/", body(scene)).json()["id"]
    assert client_for(outsider).get(f"/api/v1/campaigns/{pk}/").status_code == 404
    assert client_for(auditor).get(f"/api/v1/campaigns/{pk}/").status_code == 200
    for action in ("submit", "approve", "reject", "cancel"):
        assert post(client_for(auditor), f"/api/v1/campaigns/{pk}/{action}/").status_code == 403
    assert Campaign.objects.get(pk=pk).state == CampaignState.DRAFT


def test_the_manifest_follows_the_window_and_its_etag_changes_at_its_bounds(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    integration_key: str,
    api_client_for_key: Callable[[str], Client],
) -> None:
    from tests.templates_app.campaign_fixtures import approved_campaign

    campaign = approved_campaign(scene, brand_manager, compliance_officer)
    client = api_client_for_key(integration_key)
    url = f"/api/v1/templates/{scene['statement'].pk}/manifest?region=DE&at="

    def manifest(at: Any) -> tuple[list[int], str, Any]:
        response = client.get(url + at.isoformat().replace("+00:00", "Z"))
        [entry] = response.json()["bindings"]
        return [v["version"] for v in entry["versions"]], response.headers["ETag"], entry

    before, before_tag, _ = manifest(GO_LIVE - timedelta(seconds=1))
    inside, inside_tag, entry = manifest(GO_LIVE)
    after, after_tag, _ = manifest(ENDS)
    assert before == after == [scene["everyday"].pk]
    assert inside == [scene["visual"].pk] and entry["campaign"] == campaign.pk
    assert len({before_tag, inside_tag, after_tag}) == 3
    every = client.get(
        f"/api/v1/templates/{scene['statement'].pk}/manifest?at=2027-03-02T00:00:00Z"
    )
    [listed] = every.json()["bindings"]
    assert listed["campaigns"][0]["version"] == scene["visual"].pk
    assert [v["version"] for v in listed["versions"]] == [scene["everyday"].pk]


def test_pre_flight_with_run_at_inside_the_window_resolves_the_campaign(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    integration_key: str,
    api_client_for_key: Callable[[str], Client],
) -> None:
    from templates_app.models import Review, ReviewState
    from templates_app.services import reviews_acknowledge
    from tests.templates_app.campaign_fixtures import approved_campaign

    approved_campaign(scene, brand_manager, compliance_officer)
    client = api_client_for_key(integration_key)
    url = f"/api/v1/templates/{scene['statement'].pk}/preflight/"
    run = {"run_at": "2027-03-10T06:00:00Z", "contexts": [{"region": "DE"}]}
    waiting = post(client, url, run).json()
    assert waiting["verdict"] == "no-go"
    assert {r["code"] for r in waiting["reasons"]} == {"open_review"}
    assert waiting["reasons"][0]["detail"].startswith(
        "Header component must be reviewed: Spring renewal replaces header_logo from 1 March 2027"
    )
    reviews_acknowledge(reviews=list(Review.objects.filter(state=ReviewState.OPEN)), actor=designer)
    answer = post(client, url, run).json()
    assert answer["verdict"] == "go", answer
    from templates_app.models import Clearance

    resolved = Clearance.objects.get(pk=answer["clearance"]).evidence["resolved"]
    assert [entry["version"] for entry in resolved] == [scene["visual"].pk]
