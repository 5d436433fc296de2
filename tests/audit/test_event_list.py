"""Auditors browse and filter the audit log of their units, in the UI and over the API."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from govern.models import BusinessUnit
from govern.services import api_key_create, installation_auditor_grant


def sequences(client: Client, query: str = "") -> list[int]:
    response = client.get(f"/api/v1/audit-events/{query}")
    assert response.status_code == 200, response.content
    return [event["sequence"] for event in response.json()["results"]]


@pytest.fixture
def events(auditor: Any, outsider: Any, unit: BusinessUnit, other_unit: BusinessUnit) -> dict:
    """A platform event, one event in the auditor's unit and one in another unit."""
    start = timezone.now() - timedelta(days=2)
    with time_machine.travel(start, tick=False):
        platform = audit_record(action="auth.login", actor=outsider)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        mine = audit_record(action="version.approved", actor=auditor, unit_id=unit.pk)
    theirs = audit_record(action="version.approved", actor=outsider, unit_id=other_unit.pk)
    return {"platform": platform, "mine": mine, "theirs": theirs, "start": start}


def test_a_unit_auditor_sees_their_units_only_and_an_installation_auditor_the_rest(
    auditor: Any, events: dict, client_for: Callable[[Any], Client]
) -> None:
    seen = sequences(client_for(auditor))
    assert events["theirs"].sequence not in seen
    assert events["platform"].sequence not in seen, "a login belongs to no unit"
    assert events["mine"].sequence in seen
    assert seen == sorted(seen, reverse=True), "newest first"
    installation_auditor_grant(user=auditor, actor=None)
    wide = sequences(client_for(auditor))
    assert events["platform"].sequence in wide and events["theirs"].sequence not in wide


def test_an_api_keys_events_are_seen_by_the_auditors_of_its_units(
    auditor: Any, outsider: Any, unit: BusinessUnit, client_for: Callable[[Any], Client]
) -> None:
    api_key, _raw = api_key_create(name="exstream-prod", units=[unit], actor=None)
    created = AuditEvent.objects.get(action="api_key.created")
    assert created.business_unit_id == unit.pk
    assert created.sequence in sequences(client_for(auditor), "?action=api_key.")
    assert sequences(client_for(outsider), "?action=api_key.") == []


def test_filters_narrow_by_actor_action_target_and_time(
    auditor: Any, events: dict, client_for: Callable[[Any], Client]
) -> None:
    installation_auditor_grant(user=auditor, actor=None)
    client = client_for(auditor)
    mine, platform = events["mine"].sequence, events["platform"].sequence
    assert sequences(client, "?action=version.") == [mine]
    assert sequences(client, "?actor=oscar") == [platform]
    until = (events["start"] + timedelta(hours=1)).isoformat()
    assert sequences(client, f"?until={until.replace('+', '%2B')}") == [platform]
    grant = sequences(client, "?action=role.granted&target_type=auth.user")
    assert grant, "role grants of the auditor's unit are visible"


def test_invalid_filter_gets_400_with_the_reason(
    auditor: Any, client_for: Callable[[Any], Client]
) -> None:
    response = client_for(auditor).get("/api/v1/audit-events/?since=yesterday")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert "since" in response.json()["detail"]


def test_roles_other_than_auditor_get_403(
    compliance_officer: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(compliance_officer)
    assert client.get("/api/v1/audit-events/").status_code == 403
    assert client.get("/audit/").status_code == 403


def test_page_shows_events_and_filters_them(
    auditor: Any, events: dict, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(auditor)
    html = client.get("/audit/?action=version.").content.decode()
    assert "version.approved" in html and "auth.login<" not in html
    assert 'href="/audit/"' in html, "a filtered page offers to clear the filters"
    empty = client.get("/audit/?actor=nobody").content.decode()
    assert "No events match these filters." in empty
    invalid = client.get("/audit/?since=not-a-date").content.decode()
    assert "Enter a valid date/time." in invalid


def test_page_shows_data_whose_keys_are_names_of_dict_methods(
    auditor: Any, unit: BusinessUnit, client_for: Callable[[Any], Client]
) -> None:
    audit_record(
        action="campaign.live",
        unit_id=unit.pk,
        data={"items": [{"target": "Letter.footer_logo"}], "keys": 2},
    )
    response = client_for(auditor).get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()  # (PostgreSQL's jsonb keeps its own key order)
    said = html.lower()  # whichever key comes first opens the sentence with a capital
    assert "items: target letter.footer_logo" in said
    assert "keys 2" in said
    assert "&#x27;" not in html and "=[" not in html, "no dict or list repr"


def test_page_query_count_does_not_grow_with_the_log(
    auditor: Any, unit: BusinessUnit, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audit/").status_code == 200
        return len(captured)

    for n in range(60):  # a full page of them, whatever the fixtures recorded before
        audit_record(action="test.event", unit_id=unit.pk, data={"n": n})
    few = queries()
    for n in range(60):
        audit_record(action="test.event", unit_id=unit.pk, data={"n": n})
    assert queries() == few


def test_the_audit_page_says_actions_in_words_and_links_targets(
    auditor: Any, unit: BusinessUnit, brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    from assets.services import asset_create

    asset = asset_create(
        key="brand.logo", title="Logo", kind="logo", unit=unit, actor=brand_manager
    )
    audit_record(action="version.approval_recorded", actor=auditor, unit_id=unit.pk)
    page = client_for(auditor).get("/audit/").content.decode()
    assert (
        '<td class="action" title="Version approval recorded (version.approval_recorded)">'
        "Version approval recorded</td>" in page
    )
    assert f'<a href="/assets/{asset.pk}/">asset brand.logo</a>' in page
