"""The OpenAPI schema says what the API answers: every error status, strict inputs, nullable
outputs (schemathesis in CI, .ci/fuzz-api, checks the running API against it)."""

import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    out = StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    return dict(json.loads(out.getvalue()))


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_documents_its_errors(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        statuses = set(operation["responses"])
        assert {"401", "403", "406"} <= statuses, (method, path)
        if "{" in path or "requestBody" in operation:
            assert "404" in statuses, (method, path)
        if method == "post":
            assert {"400", "409", "413", "415"} <= statuses, (method, path)
        error = operation["responses"]["403"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
        assert "text/html" in operation["responses"]["414"]["content"]  # gunicorn's own page


def test_inputs_refuse_unknown_fields_and_blank_text(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    binding = components["BindingInput"]
    assert binding["additionalProperties"] is False
    assert binding["properties"]["slot"]["minLength"] == 1
    assert "additionalProperties" not in components["BindingOutput"]


def test_list_parameters_carry_their_bounds(schema: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/assets/"]["get"]["parameters"]}
    assert parameters["offset"]["schema"]["minimum"] == 0
    assert parameters["offset"]["schema"]["maximum"] == 2**63 - 1
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert "logo" in parameters["kind"]["schema"]["enum"]


def test_a_number_where_text_belongs_is_refused(
    brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    answer = client_for(brand_manager).post(
        "/api/v1/assets/",
        {"key": 7, "title": "T", "kind": "logo", "business_unit": "banking"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"key": "Give text."}


def test_outputs_that_may_be_null_say_so(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for component, field in [
        ("VersionOutput", "submitted_at"),
        ("VersionOutput", "submitted_by"),
        ("VersionOutput", "created_by"),
        ("DecisionOutput", "actor"),
        ("ReviewOutput", "actor"),
        ("ExceptionOutput", "decided_by"),
    ]:
        assert components[component]["properties"][field]["nullable"] is True, (component, field)
