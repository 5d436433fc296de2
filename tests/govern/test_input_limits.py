"""Absurd numbers, deep JSON, huge pages and bodies get a clear 4xx with a JSON reason."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assets.models import Asset
from assets.services import asset_create
from govern.models import BusinessUnit
from templates_app.models import Template
from templates_app.services import template_create

HUGE = "9223372036854775808"  # 2**63: one past what the database holds


@pytest.fixture
def three_assets(unit: BusinessUnit, brand_manager: Any) -> list[Asset]:
    return [
        asset_create(key=f"a.{n}", title="A", kind="logo", unit=unit, actor=brand_manager)
        for n in range(3)
    ]


def test_pages_are_capped_and_absurd_offsets_refused(
    three_assets: list[Asset],
    brand_manager: Any,
    client_for: Callable[[Any], Client],
    settings: Any,
) -> None:
    settings.API_MAX_PAGE_SIZE = 2
    client = client_for(brand_manager)
    for limit in ("100000000", HUGE):
        page = client.get(f"/api/v1/assets/?limit={limit}")
        assert page.status_code == 200 and len(page.json()["results"]) == 2
    for offset in (HUGE, "-1", "x", "9" * 5000):
        refused = client.get(f"/api/v1/assets/?offset={offset}")
        assert refused.status_code == 400, offset
        assert "offset" in refused.json()["detail"]


def post_json(client: Client, path: str, body: Any) -> Any:
    return client.post(
        path,
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
    )


def test_deep_json_is_a_400_with_a_reason(
    brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    for levels in (40, 100_000):
        body = "[" * levels + "]" * levels
        refused = post_json(client, "/api/v1/assets/", body)
        assert refused.status_code == 400, levels
        assert "nested deeper than 32" in json.dumps(refused.json())


def test_ids_past_the_databases_range_are_refused_before_any_query(
    designer: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(designer)
    refused = post_json(client, "/api/v1/reviews/acknowledge/", {"reviews": [2**64], "note": "x"})
    assert refused.status_code == 400
    assert "reviews" in refused.json()["detail"]
    assert client.get(f"/api/v1/templates/{2**64}/").status_code == 404


def test_preflight_names_at_most_the_allowed_contexts(
    unit: BusinessUnit, designer: Any, client_for: Callable[[Any], Client], settings: Any
) -> None:
    settings.PREFLIGHT_MAX_CONTEXTS = 3
    template: Template = template_create(
        exstream_id="EX-1",
        name="T",
        kind="communication",
        channels=["print"],
        unit=unit,
        actor=designer,
    )
    body = {"run_at": "2027-01-01T00:00:00Z", "contexts": [{"channel": "print"}] * 4}
    refused = post_json(client_for(designer), f"/api/v1/templates/{template.pk}/preflight/", body)
    assert refused.status_code == 400
    assert "contexts" in refused.json()["detail"]
    body["contexts"] = body["contexts"][:3]
    assert (
        post_json(
            client_for(designer), f"/api/v1/templates/{template.pk}/preflight/", body
        ).status_code
        == 200
    )


def test_the_hook_refuses_absurd_timestamps_and_bodies_as_json(settings: Any, db: None) -> None:
    settings.SMINTIO_HOOK_SECRETS = ["hook-secret"]
    client = Client()
    stamp = client.post(
        "/hooks/smintio",
        b"{}",
        content_type="application/json",
        headers={"Govern-Signature": "t=" + "9" * 5000 + ",v1=ab"},
    )
    assert stamp.status_code == 401 and stamp.json()["error"] == "bad_signature"
    big = client.post("/hooks/smintio", b"x" * (3 * 1024 * 1024), content_type="application/json")
    assert big.status_code == 413 and big.json()["error"] == "too_large"


def test_too_many_form_fields_get_a_json_reason(
    brand_manager: Any, client_for: Callable[[Any], Client], three_assets: list[Asset]
) -> None:
    client = client_for(brand_manager)
    fields = {f"f{n}": "x" for n in range(3000)}
    refused = client.post(f"/api/v1/assets/{three_assets[0].pk}/versions/", fields)
    assert refused.status_code == 400
    assert refused.json()["error"] == "too_many_fields"
    assert "at most 1000 fields" in refused.json()["detail"]


def test_a_limit_or_offset_that_is_not_a_whole_number_is_refused(
    three_assets: list[Asset], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    for query in ("limit=", "limit=0", "limit=x", "limit=-1", "limit=%D9%A3", "offset="):
        refused = client.get(f"/api/v1/assets/?{query}")
        assert refused.status_code == 400, query
        assert query.split("=")[0] in refused.json()["fields"]
    assert len(client.get("/api/v1/assets/?limit=2").json()["results"]) == 2


def test_list_filters_are_checked_like_bodies(
    three_assets: list[Asset], brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    refused = {
        "/api/v1/assets/?kind=poster": "kind",
        "/api/v1/assets/?unit=": "unit",
        "/api/v1/versions/?state=lost": "state",
        "/api/v1/templates/?state=": "state",
        "/api/v1/reviews/?mine=null": "mine",
        "/api/v1/reviews/?template=abc": "template",
        f"/api/v1/reviews/?template={HUGE}": "template",
        "/api/v1/replacement-requests/?state=AAA": "state",
    }
    for path, name in refused.items():
        answer = client.get(path)
        assert answer.status_code == 400, path
        assert name in answer.json()["fields"], path
    assert client.get("/api/v1/assets/?kind=logo").json()["count"] == 3
    assert client.get("/api/v1/reviews/?mine=true").status_code == 200
