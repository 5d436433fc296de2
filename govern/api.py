"""API plumbing: the root, the error format and the platform endpoints."""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView, set_rollback

from govern.access import scope_for
from govern.errors import Conflict, RequestRejected
from govern.models import BusinessUnit


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """Turn DRF's nested error detail into readable 'field: message' lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for name, value in detail.items():
            label = "" if name == "non_field_errors" else f"{prefix}{name}"
            lines += _flatten(value, f"{label}." if label else "")
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    return [f"{prefix.rstrip('.')}: {detail}" if prefix else str(detail)]


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail, **extra}


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, Http404):
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, exceptions.APIException):
        return exc
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as {"error": code, "detail": text} with the right status."""
    if isinstance(exc, Conflict):
        set_rollback()
        return Response(error_body(exc.code, exc.detail), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestRejected):
        set_rollback()
        return Response(error_body(exc.code, exc.detail), status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(
            error_body("too_large", str(exc)), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None
    set_rollback()
    headers = {}
    if auth_header := getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(api_exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    detail = api_exc.detail
    extra = {"fields": detail} if isinstance(detail, dict) else {}
    code = "invalid" if isinstance(detail, dict | list) else getattr(detail, "code", "error")
    body = error_body(str(code), "; ".join(_flatten(detail)), **extra)
    return Response(body, status=api_exc.status_code, headers=headers)


class ApiRoot(APIView):
    """List the API's entry points."""

    @extend_schema(responses={200: dict[str, str]})
    def get(self, request: Request) -> Response:
        def link(name: str) -> str:
            return reverse(name, request=request)

        return Response(
            {
                "units": link("api:unit-list"),
                "me": link("api:me"),
                "notifications": link("api:notification-list"),
                "assets": link("api:asset-list"),
                "versions": link("api:version-list"),
                "templates": link("api:template-list"),
                "reviews": link("api:review-list"),
                "replacement_requests": link("api:replacement-list"),
                "audit_events": link("api:audit-event-list"),
                "schema": link("schema"),
                "docs": link("api-docs"),
            }
        )


class BusinessUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessUnit
        fields = ["id", "slug", "name", "time_zone"]


class BusinessUnitList(generics.ListAPIView):
    """List the business units the caller holds a role in."""

    serializer_class = BusinessUnitSerializer

    def get_queryset(self) -> Any:
        return BusinessUnit.objects.filter(pk__in=scope_for(self.request).unit_ids)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class Me(APIView):
    """Return the caller and their roles per business unit."""

    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        scope = scope_for(request)
        slugs = dict(BusinessUnit.objects.filter(pk__in=scope.unit_ids).values_list("pk", "slug"))
        roles = {slugs[unit_id]: sorted(held) for unit_id, held in scope.roles_by_unit.items()}
        return Response({"username": request.user.get_username(), "roles": roles})
