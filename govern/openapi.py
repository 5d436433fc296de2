"""The OpenAPI schema says what the API really answers: every error status, strict inputs.

- Input serializers refuse unknown fields, so their schemas say `additionalProperties: false`;
  a required text field that may not be blank says it needs a character that is not a space.
- Every operation lists the errors it can give, all but the HTTP server's own 414 in the one
  JSON shape of govern/errors.py:
  401 and 403 (authentication, roles), 406 (an Accept header DRF cannot serve), 400 for any
  parameter or body, 404 for any object in the path (or outside the caller's units), and for
  writes 409 (a state that changed meanwhile), 413 (too large) and 415 (a body type not parsed).
"""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "a short code: invalid, not_found, ..."},
        "detail": {"type": "string", "description": "what was wrong, for a person"},
        "fields": {
            "type": "object",
            "additionalProperties": {},
            "description": "per field of the input, what was wrong with it",
        },
    },
    "required": ["detail"],
}
ALWAYS = {
    "401": "Not authenticated: no key, or one that is unknown, revoked or expired.",
    "403": "Authenticated, but no role that may do this in the object's unit.",
    "406": "The Accept header names no type this operation answers with.",
}
WITH_INPUT = {"400": "The parameters or the body are not acceptable; `fields` says why."}
WITH_OBJECT = {"404": "No such object, or it is outside your business units."}
WITH_BODY = {
    "409": "The object's state does not allow it (now): it changed, or was decided meanwhile.",
    "413": "The body is larger than the server accepts.",
    "415": "The body's Content-Type is not one this operation parses.",
}


class StrictInputExtension(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """Document what StrictSerializer enforces: no unknown fields, no blank required text."""

    target_class = "govern.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        fields = getattr(self.target, "fields", {})
        for name, field in fields.items():
            prop = schema.get("properties", {}).get(name)
            if prop is not None and _needs_text(field):
                prop.setdefault("minLength", 1)
                prop.setdefault("pattern", r"\S")
        return schema


def _needs_text(field: serializers.Field) -> bool:
    return type(field) is serializers.CharField and not field.allow_blank


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the error answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _add_errors(operation, method, has_object="{" in path)
    return result


# Answered by the HTTP server (gunicorn) before Govern sees the request, as its own HTML page.
SERVER_LIMITS = {
    "414": "The request line is longer than the server accepts (gunicorn's limit, 8190 bytes "
    "under `serve`): answered by the HTTP server, as HTML.",
}


def _add_errors(operation: dict[str, Any], method: str, *, has_object: bool) -> None:
    answers = dict(ALWAYS)
    if operation.get("parameters") or operation.get("requestBody"):
        answers.update(WITH_INPUT)
    if has_object or operation.get("requestBody"):  # bodies name objects too
        answers.update(WITH_OBJECT)
    if method in {"post", "put", "patch", "delete"}:
        answers.update(WITH_BODY)
    responses = operation.setdefault("responses", {})
    for status, description in SERVER_LIMITS.items():
        html = {"text/html": {"schema": {"type": "string"}}}
        responses.setdefault(status, {"description": description, "content": html})
    for status, description in answers.items():
        responses.setdefault(
            status,
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
