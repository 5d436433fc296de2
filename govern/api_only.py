"""Integration accounts are API only: they use API keys, never the sign-in form or the pages."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from govern.models import BusinessUnitUserObjectPermission
from govern.roles import Role

REFUSAL = "Integration accounts use API keys; they cannot sign in to the pages."
# Paths an API-only account may reach with a session: the API itself, signing out, health.
OPEN_PREFIXES = ("/api/", "/logout/", "/healthz", "/static/")


def is_integration_account(user: Any) -> bool:
    """Say whether the user holds the integration role in any unit."""
    return (
        bool(user.is_authenticated)
        and BusinessUnitUserObjectPermission.objects.filter(
            user=user, permission__codename=Role.INTEGRATION.value
        ).exists()
    )


class LoginForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        if not settings.LOCAL_LOGIN:
            raise forms.ValidationError(
                "Passwords are switched off here: sign in with single sign-on.", code="sso_only"
            )
        return super().clean()

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if is_integration_account(user):
            raise forms.ValidationError(REFUSAL, code="api_only")


class ApiOnlyAccounts:
    """Answer 403 with a clear page when an integration account's session opens a page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and is_integration_account(user)
        ):
            context = {"status": 403, "detail": REFUSAL}
            return render(request, "error.html", context, status=403)
        return self.get_response(request)
