"""Print, as OpenAPI 3.1, the Exstream calls Govern makes in the configured mode: OpenText's
Design (DAS) API with the request and response shapes Govern reads (EXSTREAM_API=das), or
Govern's own proxy contract (EXSTREAM_API=proxy)."""

import json
import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from templates_app.exstream.client import CALLS

BODIES: dict[str, dict[str, Any]] = {
    "upload_image": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["name", "file"],
                "properties": {
                    "name": {"type": "string", "example": "brand.logo.primary/de-CH/print"},
                    "properties": {"type": "string", "description": "JSON object"},
                    "file": {"type": "string", "format": "binary"},
                },
            }
        }
    }
}


def contract() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for name, (method, template, summary) in CALLS.items():
        operation: dict[str, Any] = {
            "operationId": name,
            "summary": summary,
            "security": [{"otds": []}],
            "parameters": [
                {"name": param, "in": "path", "required": True, "schema": {"type": "string"}}
                for param in re.findall(r"{(\w+)}", template)
            ],
            "responses": {"200": {"description": "JSON"}, "4XX": {"description": "refused"}},
        }
        if method == "POST":
            operation["parameters"].append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                }
            )
        if name in BODIES:
            operation["requestBody"] = {"required": True, "content": BODIES[name]}
        paths.setdefault(settings.EXSTREAM_API_PREFIX.rstrip("/") + template, {})[
            method.lower()
        ] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Exstream as Govern calls it",
            "version": "1",
            "description": "Govern's own contract (Exstream publishes each instance's Design "
            "API at https://<host>/design/swagger-ui/); map it onto your instance or a proxy.",
        },
        "servers": [{"url": settings.EXSTREAM_URL}],
        "components": {
            "securitySchemes": {
                "otds": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {"tokenUrl": settings.EXSTREAM_TOKEN_URL, "scopes": {}}
                    },
                }
            }
        },
        "paths": paths,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _envelope(data: dict[str, Any], paged: bool = False) -> dict[str, Any]:
    """DAS's answer: {status, details, data[, page]}."""
    properties: dict[str, Any] = {
        "status": {"type": "string"},
        "details": {"type": "string"},
        "data": {"type": "array", "items": data} if paged else data,
    }
    if paged:
        properties["page"] = _ref("Page")
    return {"type": "object", "required": ["data"], "properties": properties}


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
DAS_SCHEMAS: dict[str, Any] = {
    "Page": {
        "type": "object",
        "properties": {
            name: INTEGER
            for name in (
                "pageSize",
                "pageOffset",
                "totalElements",
                "totalPages",
                "currentPageNumber",
            )
        },
    },
    "DasResourceVersion": {
        "type": "object",
        "required": ["id", "version", "name", "state"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "version": INTEGER,
            "name": STRING,
            "type": STRING,
            "state": {"enum": ["DRAFT", "REVIEW", "APPROVED", "REJECTED"]},
            "stateComment": STRING,
            "description": STRING,
            "createdBy": STRING,
            "createdDate": STRING,
            "lastModifiedBy": STRING,
            "lastModifiedDate": STRING,
            "metadata": {"type": "object", "properties": {"subtype": STRING}},
            "locked": BOOLEAN,
        },
    },
    "DasDomain": {
        "type": "object",
        "properties": {
            "id": STRING,
            "production": BOOLEAN,
            "jobTracing": BOOLEAN,
            "workflow": STRING,
            "restrictApproval": BOOLEAN,
            "parent": STRING,
        },
    },
    "DasLink": {
        "type": "object",
        "required": ["linkObjectId"],
        "properties": {
            "linkSubjectId": STRING,
            "subjectVersion": INTEGER,
            "linkObjectId": STRING,
            "typeId": STRING,
        },
    },
    "WorkflowRequestBody": {
        "type": "object",
        "required": ["state"],
        "properties": {"state": STRING, "auditedComment": STRING, "locked": BOOLEAN},
    },
    "ExstreamErrorResponse": {
        "type": "object",
        "properties": {
            "timestamp": INTEGER,
            "status": INTEGER,
            "message": STRING,
            "error": STRING,
            "details": STRING,
            "errorCode": INTEGER,
            "path": STRING,
        },
    },
}
FILE = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}},
        }
    }
}
PAGING = ("count", "offset")
# (method, path under /design/api/v1, what Govern does with it, query parameters, body, answer)
DAS_CALLS: list[tuple[str, str, str, tuple[str, ...], dict[str, Any] | None, dict[str, Any]]] = [
    ("get", "/domains", "the domain's workflow", PAGING, None, _envelope(_ref("DasDomain"), True)),
    (
        "get",
        "/resources/{domain}",
        "the images' latest versions (a push finds its image by name)",
        ("filter.types", "filter.states", "filter.latestVersion", *PAGING),
        None,
        _envelope(_ref("DasResourceVersion"), True),
    ),
    (
        "post",
        "/resources/{domain}/content",
        "a new image resource, in DRAFT",
        ("name", "type"),
        FILE,
        _envelope(_ref("DasResourceVersion")),
    ),
    (
        "put",
        "/resources/{domain}/{id}/content",
        "new bytes for the DRAFT version",
        (),
        FILE,
        _envelope(_ref("DasResourceVersion")),
    ),
    (
        "put",
        "/resources/{domain}/{id}/state",
        "a step of the workflow, marked with the delivery key and sha256",
        (),
        {"application/json": {"schema": _ref("WorkflowRequestBody")}},
        _envelope(_ref("DasResourceVersion")),
    ),
    (
        "get",
        "/links/{domain}",
        "what a communication or component uses (the import)",
        ("linkSubjectId", "linkSubjectVersion", "linkDepth", *PAGING),
        None,
        _envelope(_ref("DasLink"), True),
    ),
    (
        "get",
        "/links/{domain}/resources",
        "what uses an image, through any depth",
        ("linkObjectId", "linkDepth", "rfilter.types", "rfilter.states", *PAGING),
        None,
        _envelope(_ref("DasResourceVersion"), True),
    ),
]


def das_contract() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, query, body, answer in DAS_CALLS:
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": STRING}
            for name in re.findall(r"{(\w+)}", path)
        ] + [{"name": name, "in": "query", "schema": STRING} for name in query]
        operation: dict[str, Any] = {
            "summary": summary,
            "security": [{"otds": []}],
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "success",
                    "content": {"application/json": {"schema": answer}},
                },
                "4XX": {
                    "description": "refused",
                    "content": {"application/json": {"schema": _ref("ExstreamErrorResponse")}},
                },
            },
        }
        if body is not None:
            operation["requestBody"] = {"required": True, "content": body}
        paths.setdefault(f"/design/api/v1{path}", {})[method] = operation
    flows = {"password": {"tokenUrl": settings.EXSTREAM_TOKEN_URL, "scopes": {}}}
    flows["clientCredentials"] = flows["password"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Exstream's Design API as Govern calls it",
            "version": "1",
            "description": "OpenText's published shapes (opentext/ocp-communication, "
            "Samples/Communications SDK: DasService, DasUriBuilder, the DTOs), as far as Govern "
            "reads them.",
        },
        "servers": [{"url": settings.EXSTREAM_URL}],
        "components": {
            "schemas": DAS_SCHEMAS,
            "securitySchemes": {"otds": {"type": "oauth2", "flows": flows}},
        },
        "paths": paths,
    }


class Command(BaseCommand):
    help = "Print the Exstream calls Govern makes, in the configured mode, as OpenAPI."

    def handle(self, *args: Any, **options: Any) -> None:
        document = das_contract() if settings.EXSTREAM_API == "das" else contract()
        self.stdout.write(json.dumps(document, indent=2))
