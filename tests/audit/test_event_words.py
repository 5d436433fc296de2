"""The audit log page in words: targets named by what they are, details as sentences, each row
one line with its full text on hover, names found without a query per row."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.services import audit_record
from govern.exports import audit_delivery
from govern.models import BusinessUnit
from tests.templates_app.campaign_fixtures import clock, make_campaign, scene  # noqa: F401
from tests.templates_app.conftest import add_version, logo, make_template  # noqa: F401

pytestmark = pytest.mark.django_db


def page(client: Client, query: str = "") -> str:
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_targets_are_named_and_details_are_sentences_with_keys_and_numbers(
    scene: dict[str, Any],  # noqa: F811
    brand_manager: Any,
    auditor: Any,
    unit: BusinessUnit,
    client_for: Callable[[Any], Client],
) -> None:
    campaign = make_campaign(scene, brand_manager)
    audit_delivery("run_evidence", "pdf", {"id": 2}, auditor, unit.pk, "ab" * 32, 48_211)
    html = page(client_for(auditor))
    visual = scene["visual"]
    assert f'<a href="/assets/versions/{visual.pk}/">campaign.spring.logo v1</a>' in html
    assert f'<a href="/templates/campaigns/{campaign.pk}/">campaign Spring renewal</a>' in html
    assert ">template Savings statement</a>" in html
    assert f"version campaign.spring.logo v1 (version id {visual.pk})" in html
    assert "Run evidence as PDF, 48,211 bytes, file sha256 abababababab…, filtered by id 2." in html
    assert f"file sha256 {'ab' * 32}, filtered by id 2." in html, "the whole hash on hover"
    assert "templates_app.campaign 2<" not in html and "filters=" not in html
    assert "{&#x27;" not in html, "no dict repr"
    assert "Slot header_logo; asset brand.logo.primary; placement" not in html
    assert "Slot header_logo; asset brand.logo.primary." in html, "empty values left out"


def test_each_row_is_one_line_with_its_full_text_in_the_title(
    auditor: Any, unit: BusinessUnit, client_for: Callable[[Any], Client]
) -> None:
    comment = "A long comment " * 20
    audit_record(action="test.long", unit_id=unit.pk, data={"comment": comment})
    html = page(client_for(auditor), "?action=test.")
    assert '<table class="event-log">' in html
    assert f'<td class="details" title="Comment “{comment}”.">' in html


def test_naming_takes_no_query_per_row(
    scene: dict[str, Any],  # noqa: F811
    brand_manager: Any,
    auditor: Any,
    unit: BusinessUnit,
    client_for: Callable[[Any], Client],
) -> None:
    campaign = make_campaign(scene, brand_manager)
    targets = [scene["visual"], scene["visual_asset"], scene["statement"], campaign, auditor]
    client = client_for(auditor)

    def record(times: int) -> None:
        for _ in range(times):
            for target in targets:
                data = {"version": scene["everyday"].pk}
                audit_record(action="test.named", target=target, unit_id=unit.pk, data=data)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            html = page(client, "?action=test.")
        assert "campaign Spring renewal" in html and "brand.logo.primary v1" in html
        return len(captured)

    record(1)
    few = queries()
    record(9)
    assert queries() == few


def test_details_leave_out_empty_values_and_what_the_target_says() -> None:
    from audit.models import AuditEvent
    from console.audit_log.words import details

    event = AuditEvent(
        action="version.approved",
        target_type="assets.version",
        data={
            "asset": "brand.logo",
            "number": 2,
            "superseded": 1,
            "approvals": 2,
            "pinned_version": None,
            "placement": "",
            "regulated": True,
            "sha256": "c" * 64,
        },
    )
    assert details(event, {}) == (
        f"Superseded v1; approvals 2; regulated yes; content sha256 {'c' * 12}…"
    )
    assert details(event, {}, short=False).endswith(f"content sha256 {'c' * 64}.")


def test_a_criteria_change_is_named_by_its_kind_and_number(
    unit: BusinessUnit,
    compliance_officer: Any,
    auditor: Any,
    client_for: Callable[[Any], Client],
) -> None:
    from assets.criteria.services import criteria_set

    criteria_set(kind="logo", unit=unit, rules=[], checklist=["Looked"], actor=compliance_officer)
    assert ">logo criteria #1<" in page(client_for(auditor))
