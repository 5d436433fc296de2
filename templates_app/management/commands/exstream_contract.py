"""Print, as OpenAPI 3.1, the Exstream calls Govern makes: the contract an integrator maps
onto an instance's Design API (under /design/) or a thin proxy in front of it."""

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


class Command(BaseCommand):
    help = "Print the Exstream calls Govern makes as an OpenAPI document."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(contract(), indent=2))
