"""Exstream reports a run over the API: stored once, refused whole when anything is wrong."""

import json
from typing import Any

import pytest
from django.test import Client

from assets.models import Version
from audit.models import AuditEvent
from templates_app.models import Clearance
from tests.usage.conftest import run_body
from usage.models import ProductionRun, UsageException, UsageRecord

URL = "/api/v1/usage/runs/"


def post(client: Client, body: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_a_cleared_run_of_an_approved_version_is_stored_without_exceptions(
    api: Client, approved_logo: Version, clearance: Clearance
) -> None:
    response = post(api, run_body(approved_logo, clearance=clearance.pk))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["exceptions"] == []
    assert body["run"]["documents"] == 120_000
    run = ProductionRun.objects.get()
    assert (run.run_id, run.source, run.clearance_id) == ("RUN-2026-11-03-001", "api", clearance.pk)
    record = UsageRecord.objects.get()
    assert record.version_id == approved_logo.pk
    assert record.asset_id == approved_logo.variant.asset_id
    assert (record.channel, record.region, record.language, record.segment) == (
        "print",
        "DE",
        "de",
        "gold",
    )
    assert (record.documents, record.pages, record.impressions) == (120_000, 240_000, 120_000)
    event = AuditEvent.objects.get(action="usage.run_reported")
    assert event.data["content_hash"] == run.content_hash
    assert event.data["exceptions"] == {}


def test_the_same_run_again_answers_200_and_stores_nothing_new(
    api: Client, approved_logo: Version, clearance: Clearance
) -> None:
    body = run_body(approved_logo, clearance=clearance.pk)
    assert post(api, body).status_code == 201
    body["records"] = list(reversed(body["records"]))
    again = post(api, body)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert ProductionRun.objects.count() == 1
    assert UsageRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="usage.run_reported").count() == 1


def test_the_same_run_id_with_other_content_is_a_conflict(
    api: Client, approved_logo: Version, clearance: Clearance
) -> None:
    assert post(api, run_body(approved_logo, clearance=clearance.pk)).status_code == 201
    changed = run_body(approved_logo, clearance=clearance.pk, record={"documents": 1})
    response = post(api, changed)
    assert response.status_code == 409
    assert response.json()["error"] == "run_differs"
    assert UsageRecord.objects.get().documents == 120_000


def test_record_order_does_not_change_the_content_hash(
    api: Client, approved_logo: Version, clearance: Clearance
) -> None:
    body = run_body(approved_logo, clearance=clearance.pk)
    second = {**body["records"][0], "region": "AT"}
    body["records"].append(second)
    assert post(api, body).status_code == 201
    body["records"].reverse()
    assert post(api, body).status_code == 200


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"documents": -1}, "records[0].documents"),
        ({"pages": 1.5}, "records[0].pages"),
        ({"impressions": "many"}, "records[0].impressions"),
        ({"impressions": True}, "records[0].impressions"),
        ({"documents": 10**13}, "records[0].documents"),
        ({"channel": "fax"}, "records[0].channel"),
        ({"region": "Germany"}, "records[0].region"),
        ({"language": "de_DE!"}, "records[0].language"),
        ({"version": None}, "records[0].version"),
        ({"sha256": "not-hex"}, "records[0].sha256"),
        ({"colour": "red"}, "records[0].colour"),
        ({"segment": "gold\x00"}, "records[0].segment"),
    ],
)
def test_a_bad_record_is_refused_naming_its_field_and_nothing_is_stored(
    api: Client, approved_logo: Version, letter: Any, record: dict[str, Any], field: str
) -> None:
    response = post(api, run_body(approved_logo, record=record))
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ProductionRun.objects.exists()
    assert not AuditEvent.objects.filter(action="usage.run_reported").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"finished_at": "2026-11-03T05:00:00+00:00"}, "finished_at"),
        ({"started_at": "2026-11-03T06:00:00"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"finished_at": "2027-01-01T00:00:00Z"}, "finished_at"),
        ({"run_id": ""}, "run_id"),
        ({"run_id": "x" * 201}, "run_id"),
        ({"records": []}, "records"),
        ({"records": "all"}, "records"),
        ({"clearance": "first"}, "clearance"),
        ({"operator": "bob"}, "operator"),
    ],
)
def test_a_bad_header_is_refused_naming_its_field(
    api: Client, approved_logo: Version, letter: Any, overrides: dict[str, Any], field: str
) -> None:
    response = post(api, run_body(approved_logo, **overrides))
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ProductionRun.objects.exists()


def test_a_body_that_is_not_an_object_is_refused(api: Client, letter: Any) -> None:
    response = post(api, [1, 2, 3])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"


def test_too_many_records_are_refused(
    api: Client, approved_logo: Version, letter: Any, settings: Any
) -> None:
    settings.USAGE_MAX_RECORDS = 2
    body = run_body(approved_logo)
    body["records"] = [{**body["records"][0], "segment": f"s{n}"} for n in range(3)]
    response = post(api, body)
    assert response.status_code == 400
    assert "records" in response.json()["fields"]


def test_two_records_with_the_same_version_and_context_are_refused(
    api: Client, approved_logo: Version, letter: Any
) -> None:
    body = run_body(approved_logo)
    body["records"].append(dict(body["records"][0]))
    response = post(api, body)
    assert response.status_code == 400
    assert response.json()["error"] == "duplicate_record"
    assert not ProductionRun.objects.exists()


def test_an_unknown_template_or_clearance_is_refused(
    api: Client, approved_logo: Version, letter: Any
) -> None:
    response = post(api, run_body(approved_logo, template="EX-NOPE"))
    assert response.status_code == 400
    assert "template" in response.json()["fields"]
    response = post(api, run_body(approved_logo, template="EX-LETTER", clearance=999_999))
    assert response.status_code == 400
    assert not ProductionRun.objects.exists()


def test_an_unknown_version_is_kept_as_unknown_content(
    api: Client, letter: Any, clearance: Clearance
) -> None:
    body = run_body(None, clearance=clearance.pk, record={"version": 987_654})
    response = post(api, body)
    assert response.status_code == 201
    codes = [exception["code"] for exception in response.json()["exceptions"]]
    assert "unknown_content" in codes
    record = UsageRecord.objects.get()
    assert record.version_id is None and record.reported == "version:987654"


def test_a_sha256_maps_back_through_the_delivered_rendition(
    api: Client,
    approved_logo: Version,
    clearance: Clearance,
    settings: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assets import profiles
    from templates_app.outbox import services as deliveries
    from templates_app.outbox import worker as outbox

    settings.EXSTREAM_TRANSPORT = "hotfolder"
    settings.EXSTREAM_HOTFOLDER = tmp_path / "hot"
    monkeypatch.setattr(
        profiles, "PROFILES", {"web": {"channel": "web", "format": "WEBP", "max_side": 2000}}
    )
    approved_logo.deliveries.all().delete()
    deliveries.deliveries_enqueue(version=approved_logo)
    assert outbox.drain() == {"delivered": 1}
    rendition = approved_logo.deliveries.get().rendition
    assert rendition is not None
    body = run_body(None, clearance=clearance.pk, record={"sha256": rendition.sha256})
    response = post(api, body)
    assert response.status_code == 201
    assert UsageRecord.objects.get().version_id == approved_logo.pk


def test_a_version_with_a_sha256_it_was_never_delivered_as_is_unknown_content(
    api: Client, approved_logo: Version, clearance: Clearance
) -> None:
    body = run_body(approved_logo, clearance=clearance.pk, record={"sha256": "ab" * 32})
    response = post(api, body)
    assert response.status_code == 201
    assert UsageRecord.objects.get().version_id is None
    assert UsageException.objects.get(code="unknown_content")


def test_a_version_of_another_unit_is_unknown_content_and_not_revealed(
    api: Client, letter: Any, clearance: Clearance, other_unit: Any, make_user: Any
) -> None:
    from assets.selectors import clean_selectors
    from assets.services import asset_create, version_approve, version_create, version_submit
    from assets.uploads import inspect_bytes
    from govern.roles import Role
    from tests import images

    bella = make_user("otto", Role.BRAND_MANAGER, other_unit)
    officer = make_user("olga", Role.COMPLIANCE_OFFICER, other_unit)
    asset = asset_create(key="other.logo", title="Other", kind="logo", unit=other_unit, actor=bella)
    version = version_create(
        asset=asset,
        selectors=clean_selectors(),
        content=inspect_bytes(images.png(30, 30)),
        actor=bella,
    )
    version_approve(version=version_submit(version=version, actor=bella), actor=officer)
    response = post(api, run_body(version, clearance=clearance.pk))
    assert response.status_code == 201
    record = UsageRecord.objects.get()
    assert record.version_id is None
    exception = UsageException.objects.get(code="unknown_content")
    assert "other.logo" not in exception.detail
