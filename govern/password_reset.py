"""Password reset by email for people (Django's views), limited per address and per client.

The answer never says whether an address is known; integration accounts get no reset (they use
API keys); the link points at SITE_URL, never at the Host header; each reset sent and each
password set through a link is audited.
"""

import hashlib
import logging
import smtplib
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.services import audit_record
from govern.api_only import is_integration_account

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 3600


class ResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Any:
        return (user for user in super().get_users(email) if not is_integration_account(user))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        try:
            super().send_mail(
                subject_template_name, email_template_name, context, from_email, to_email
            )
        except (smtplib.SMTPException, OSError) as error:  # the answer stays the same
            logger.error("Password reset email to %s not sent: %s", to_email, error)
            return
        # The account is the target; its address stays out of the append-only log.
        audit_record(action="password.reset_sent", target=context["user"])


def _over_limit(request: HttpRequest, email: str) -> bool:
    """Count this request against its client and its address; say whether either is over."""
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    client = get_client_ip_address(request) or ""  # as the login lockout sees it
    keys = [f"reset:client:{client}", f"reset:address:{address}"]
    return any([_count(key) > settings.PASSWORD_RESET_PER_HOUR for key in keys])  # count both


def _count(key: str) -> int:
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        return int(cache.incr(key))
    except ValueError:  # the window ended between add and incr: a new one starts
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


class ResetRequest(auth_views.PasswordResetView):
    form_class = ResetForm
    email_template_name = "registration/password_reset_email.txt"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _over_limit(request, str(request.POST.get("email", ""))):
            context = {
                "status": 429,
                "detail": "Too many reset requests; wait an hour and try again.",
            }
            return render(request, "error.html", context, status=429)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "per_hour": settings.PASSWORD_RESET_PER_HOUR}

    @property
    def extra_email_context(self) -> dict[str, Any]:  # type: ignore[override]
        return {"site_url": settings.SITE_URL}


class ResetConfirm(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(action="password.reset", actor=form.user, target=form.user)
        return response
