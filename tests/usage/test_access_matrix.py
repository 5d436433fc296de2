"""Every usage view: 404 outside the unit, 403 for a role that may not act, nothing changed."""

import json
from typing import Any

import pytest
from django.test import Client

from assets.models import LicensePurchase, Version
from templates_app.models import Template
from tests.usage.conftest import report, run_body
from usage.models import ProductionRun, UsageCap, UsageException


@pytest.fixture
def target(approved_logo: Version, letter: Template, logo: Any) -> dict[str, Any]:
    report("R1", [{"version": approved_logo.pk}])
    purchase = LicensePurchase.objects.create(
        uuid="lpt-9", cart_uuid="c", asset=logo, state="done", content_element_uuid="e"
    )
    return {
        "run": ProductionRun.objects.get().pk,
        "exception": UsageException.objects.get().pk,
        "purchase": purchase.uuid,
    }


READS = [
    "/api/v1/usage/runs/{run}/",
    "/api/v1/usage/runs/{run}/samples/",
    "/usage/runs/{run}/samples/",
]
LISTS = ["/api/v1/usage/runs/", "/api/v1/usage/records/", "/api/v1/usage/exceptions/"]


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def state() -> tuple[Any, ...]:
    return (
        list(UsageException.objects.values_list("pk", "state")),
        UsageCap.objects.count(),
        ProductionRun.objects.count(),
    )


@pytest.mark.parametrize("path", READS)
def test_reads_are_404_outside_403_without_a_reading_role_200_inside(
    target: dict[str, Any], outsider: Any, designer: Any, auditor: Any, client_for: Any, path: str
) -> None:
    url = path.format(**target)
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(designer).get(url).status_code == 403
    assert client_for(auditor).get(url).status_code == 200


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_only_the_units_usage(
    target: dict[str, Any], outsider: Any, designer: Any, auditor: Any, client_for: Any, path: str
) -> None:
    assert client_for(outsider).get(path).json()["results"] == []
    assert client_for(designer).get(path).status_code == 403
    assert len(client_for(auditor).get(path).json()["results"]) == 1


@pytest.mark.parametrize("action", ["explain", "resolve"])
def test_deciding_an_exception_is_for_the_units_compliance_officers(
    target: dict[str, Any], outsider: Any, auditor: Any, client_for: Any, action: str
) -> None:
    url = f"/api/v1/usage/exceptions/{target['exception']}/{action}/"
    before = state()
    assert post(client_for(outsider), url, {"comment": "x"}).status_code == 404
    assert post(client_for(auditor), url, {"comment": "x"}).status_code == 403
    assert state() == before


def test_caps_are_for_the_units_compliance_officers(
    target: dict[str, Any], outsider: Any, auditor: Any, compliance_officer: Any, client_for: Any
) -> None:
    body = {"purchase": target["purchase"], "metric": "documents", "limit": 10}
    before = state()
    assert post(client_for(outsider), "/api/v1/usage/caps/", body).status_code == 404
    assert post(client_for(auditor), "/api/v1/usage/caps/", body).status_code == 403
    assert state() == before
    assert post(client_for(compliance_officer), "/api/v1/usage/caps/", body).status_code == 201


def test_reporting_a_run_is_for_integration_keys_and_compliance_officers(
    target: dict[str, Any],
    approved_logo: Version,
    outsider: Any,
    auditor: Any,
    compliance_officer: Any,
    client_for: Any,
) -> None:
    body = run_body(approved_logo, run_id="R2")
    before = state()
    assert post(client_for(auditor), "/api/v1/usage/runs/", body).status_code == 403
    outside = post(client_for(outsider), "/api/v1/usage/runs/", body)
    assert outside.status_code == 400  # the template is unknown to them; nothing is revealed
    assert "template" in outside.json()["fields"]
    assert state() == before
    assert post(client_for(compliance_officer), "/api/v1/usage/runs/", body).status_code == 201


def test_an_integration_key_of_another_unit_cannot_report_here(
    target: dict[str, Any], approved_logo: Version, other_unit: Any
) -> None:
    from govern.services import api_key_create

    _key, raw = api_key_create(name="other-prod", units=[other_unit], actor=None)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    response = post(client, "/api/v1/usage/runs/", run_body(approved_logo, run_id="R3"))
    assert response.status_code == 400
    assert ProductionRun.objects.count() == 1


def test_unauthenticated_callers_get_401(target: dict[str, Any]) -> None:
    assert Client().get("/api/v1/usage/runs/").status_code == 401
    assert post(Client(), "/api/v1/usage/runs/", {}).status_code == 401


def test_a_run_id_of_another_unit_is_never_answered_with_its_run(
    target: dict[str, Any],
    approved_logo: Version,
    other_unit: Any,
    make_user: Any,
    client_for: Any,
) -> None:
    from govern.roles import Role
    from templates_app.services import template_create

    designer = make_user("otis", Role.COMMUNICATION_DESIGNER, other_unit)
    officer = make_user("ola", Role.COMPLIANCE_OFFICER, other_unit)
    template_create(
        exstream_id="EX-OTHER",
        name="Other",
        kind="communication",
        channels=["print"],
        unit=other_unit,
        actor=designer,
    )
    body = run_body(approved_logo, run_id="R1", template="EX-OTHER")
    response = post(client_for(officer), "/api/v1/usage/runs/", body)
    assert response.status_code == 409
    assert response.json()["error"] == "run_id_taken"
    assert "run" not in response.json()


def test_repeating_a_run_needs_the_right_to_report_in_its_unit(
    target: dict[str, Any], approved_logo: Version, outsider: Any, unit: Any, client_for: Any
) -> None:
    from govern.roles import Role
    from govern.services import role_grant

    role_grant(user=outsider, role=Role.AUDITOR, unit=unit, actor=None)  # may see, not report
    repeat = run_body(approved_logo, run_id="R1")
    response = post(client_for(outsider), "/api/v1/usage/runs/", repeat)
    assert response.status_code == 403
