"""Every API error is JSON {"error", "detail"} with the right status."""

from collections.abc import Callable

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from rest_framework import exceptions, serializers

from govern.api import exception_handler
from govern.errors import Conflict


def handle(exc: Exception) -> tuple[int, dict[str, object]]:
    response = exception_handler(exc, {})
    assert response is not None
    return response.status_code, response.data


def test_conflict_maps_to_409_with_its_code() -> None:
    status, body = handle(Conflict("Version 3 was decided a moment ago.", code="stale"))
    assert status == 409
    assert body == {"error": "stale", "detail": "Version 3 was decided a moment ago."}


def test_oversized_body_maps_to_413() -> None:
    status, body = handle(RequestDataTooBig("Upload exceeds 50 MB."))
    assert (status, body) == (413, {"error": "too_large", "detail": "Upload exceeds 50 MB."})


def test_unsupported_media_type_maps_to_415() -> None:
    status, body = handle(exceptions.UnsupportedMediaType("text/csv"))
    assert status == 415
    assert body == {
        "error": "unsupported_media_type",
        "detail": 'Unsupported media type "text/csv" in request.',
    }


def test_service_validation_error_maps_to_400_with_fields() -> None:
    status, body = handle(DjangoValidationError({"comment": ["A rejection needs a comment."]}))
    assert status == 400
    assert body["error"] == "invalid"
    assert body["detail"] == "comment: A rejection needs a comment."
    assert body["fields"] == {"comment": ["A rejection needs a comment."]}


def test_serializer_errors_read_as_sentences() -> None:
    class Input(serializers.Serializer):
        key = serializers.CharField()

    serializer = Input(data={})
    assert not serializer.is_valid()
    status, body = handle(exceptions.ValidationError(serializer.errors))
    assert (status, body["detail"]) == (400, "key: This field is required.")


def test_unknown_exceptions_are_left_to_django() -> None:
    assert exception_handler(RuntimeError("bug"), {}) is None


@pytest.mark.django_db
def test_unknown_api_path_gets_json_404() -> None:
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_wrong_method_gets_json_405(
    compliance_officer: object, client_for: Callable[[object], Client]
) -> None:
    response = client_for(compliance_officer).delete("/api/v1/units/")
    assert response.status_code == 405
    assert response.json() == {
        "error": "method_not_allowed",
        "detail": 'Method "DELETE" not allowed.',
    }
