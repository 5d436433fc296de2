"""Rights in the demo: an ended German licence falls back in the manifest, and a compliance
officer mapping a Smint.io geography key in the browser changes pre-flight's answer."""

import json
import urllib.request
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from govern.models import BusinessUnit
from govern.services import api_key_create
from templates_app.models import Template
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo

GERMAN_PRINT = {"region": "DE", "language": "de", "channel": "print"}


def call(base_url: str, key: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the live server on loopback
        f"{base_url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def test_fallback_in_the_manifest_and_a_mapping_that_changes_preflight(
    page: Any, live_server: Any, deliver_all: Callable[[], Any]
) -> None:
    seed_demo()
    deliver_all()
    unit = BusinessUnit.objects.get(slug="insurance-de")
    _key, raw_key = api_key_create(name="exstream-test", units=[unit], actor=None)
    mailing = Template.objects.get(exstream_id="INSURANCE-RENEWAL-MAILING")
    query = "region=DE&language=de&channel=print"
    manifest = call(live_server.url, raw_key, f"/api/v1/templates/{mailing.pk}/manifest?{query}")
    [binding] = manifest["bindings"]
    assert [v["variant"]["language"] for v in binding["versions"]] == [""]
    assert binding["skipped"][0]["variant"] == "de"
    assert "valid only until" in binding["skipped"][0]["reason"]

    def preflight() -> dict[str, Any]:
        body = {"run_at": timezone.now().isoformat(), "contexts": [GERMAN_PRINT]}
        return call(live_server.url, raw_key, f"/api/v1/templates/{mailing.pk}/preflight/", body)

    first = preflight()
    assert first["verdict"] == "go"
    assert [w["code"] for w in first["warnings"]] == ["licence_unknown"]
    assert "geography_dach are not mapped" in first["warnings"][0]["detail"]

    log_in(page, "colin", DEMO_PASSWORD)
    page.get_by_role("link", name="Vocabularies").click()
    page.get_by_label("Meaning of geography_dach").fill("AT, CH")
    page.get_by_label("Meaning of geography_dach").press("Enter")
    expect(page.get_by_text("geography_dach now means AT, CH.")).to_be_visible()
    narrowed = preflight()
    assert narrowed["verdict"] == "no-go"
    assert {r["code"] for r in narrowed["reasons"]} == {"out_of_rights"}

    page.get_by_label("Meaning of geography_dach").fill("AT, CH, DE")
    page.get_by_label("Meaning of geography_dach").press("Enter")
    expect(page.get_by_text("geography_dach now means AT, CH, DE.")).to_be_visible()
    assert page.csp_violations == []
    settled = preflight()
    assert (settled["verdict"], settled["warnings"]) == ("go", [])
