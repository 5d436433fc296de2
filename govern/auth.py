"""API key authentication for integration accounts, and the audit trail of logins."""

from datetime import timedelta
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from audit.services import audit_record
from govern.models import ApiKey, hash_api_key

# Recording every use would turn each read into a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate `Authorization: Bearer <key>` against the stored key hashes."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        api_key = (
            ApiKey.objects.active()
            .select_related("user")
            .filter(key_hash=hash_api_key(header[1]))
            .first()
        )
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        self._record_use(api_key)
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="govern"'

    @staticmethod
    def _record_use(api_key: ApiKey) -> None:
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Describe API keys in the OpenAPI schema."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An integration API key."}


def _client_address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.login", actor=user, data={"ip": _client_address(request)})


@receiver(user_logged_out)
def audit_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.logout", actor=user, data={"ip": _client_address(request)})


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action="auth.login_failed", data={"username": username, "ip": _client_address(request)}
    )


@receiver(user_locked_out)
def audit_locked_out(sender: Any, request: HttpRequest, username: str, **kwargs: Any) -> None:
    audit_record(
        action="auth.locked_out",
        data={"username": str(username)[:150], "ip": _client_address(request)},
    )


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """What a locked-out person is answered (django-axes): the API's JSON error, or the page."""
    from govern.api import error_body  # the API's views import this module's authentication

    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        detail = "Too many wrong passwords: logging in and signing are locked for now."
        return JsonResponse(error_body("locked_out", detail), status=status)
    return render(request, "registration/locked_out.html", status=status)
