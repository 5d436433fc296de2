"""Compliance officers work through the exceptions: explain or resolve, with a comment."""

import json
from typing import Any

import pytest
from django.test import Client

from assets.models import Version
from audit.models import AuditEvent
from templates_app.models import Template
from tests.usage.conftest import report
from usage.models import UsageException


@pytest.fixture
def exception(approved_logo: Version, letter: Template) -> UsageException:
    report("R1", [{"version": approved_logo.pk}])
    return UsageException.objects.get(code="uncleared_run")


def decide(client: Client, exception: UsageException, action: str, comment: str) -> Any:
    return client.post(
        f"/api/v1/usage/exceptions/{exception.pk}/{action}/",
        json.dumps({"comment": comment}),
        content_type="application/json",
    )


def test_an_officer_explains_then_resolves_and_each_step_is_audited(
    exception: UsageException, compliance_officer: Any, client_for: Any
) -> None:
    client = client_for(compliance_officer)
    explained = decide(client, exception, "explain", "Emergency run approved by phone")
    assert explained.status_code == 200
    assert explained.json()["state"] == "explained"
    resolved = decide(client, exception, "resolve", "Clearance process fixed")
    assert resolved.json()["state"] == "resolved"
    exception.refresh_from_db()
    assert (exception.state, exception.decided_by, exception.comment) == (
        "resolved",
        compliance_officer,
        "Clearance process fixed",
    )
    actions = list(
        AuditEvent.objects.filter(action__startswith="usage.exception_")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["usage.exception_explained", "usage.exception_resolved"]


def test_a_decision_needs_a_comment_and_a_resolved_exception_stays_resolved(
    exception: UsageException, compliance_officer: Any, client_for: Any
) -> None:
    client = client_for(compliance_officer)
    assert decide(client, exception, "resolve", " ").status_code == 400
    assert decide(client, exception, "resolve", "Done").status_code == 200
    again = decide(client, exception, "explain", "Changed my mind")
    assert again.status_code == 409
    exception.refresh_from_db()
    assert exception.state == "resolved"


def test_the_list_filters_by_code_and_state(
    exception: UsageException, auditor: Any, client_for: Any
) -> None:
    client = client_for(auditor)
    listed = client.get("/api/v1/usage/exceptions/?code=uncleared_run&state=open").json()
    assert [item["id"] for item in listed["results"]] == [exception.pk]
    assert client.get("/api/v1/usage/exceptions/?state=resolved").json()["results"] == []
    assert client.get("/api/v1/usage/exceptions/?code=nonsense").status_code == 400


def test_pages_have_a_maximum_size(
    exception: UsageException,
    approved_logo: Version,
    auditor: Any,
    client_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from usage.api import UsagePagination

    monkeypatch.setattr(UsagePagination, "max_limit", 2)
    for number in (2, 3):
        report(f"R{number}", [{"version": approved_logo.pk, "segment": str(number)}])
    response = client_for(auditor).get("/api/v1/usage/exceptions/?limit=100000000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    assert response.json()["count"] == 3
