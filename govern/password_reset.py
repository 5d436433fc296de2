"""Password reset by email for people (Django's views), limited per address and per client.

The answer never says whether an address is known, not even by its timing: the address is looked
up and the mail written and sent only once the answer has gone (the response's close, which the
WSGI server calls after sending it). Integration accounts get no reset (they use API keys); the
link points at SITE_URL, never at the Host header; each reset sent and each password set
through a link is audited. The limits are counted in the database, so they hold across every
web process, with or without a shared cache.
"""

import hashlib
import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone

from audit.services import audit_record
from govern.api_only import is_integration_account
from govern.models import RequestCount

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
    """Count one request against `key` in its window (a new window once it expired)."""
    now = timezone.now()
    with transaction.atomic():
        RequestCount.objects.filter(expires_at__lte=now).delete()
        counted, created = RequestCount.objects.get_or_create(
            key=key, defaults={"count": 1, "expires_at": now + timedelta(seconds=WINDOW_SECONDS)}
        )
        if created:
            return 1
        RequestCount.objects.filter(pk=counted.pk).update(count=F("count") + 1)
        return int(RequestCount.objects.values_list("count", flat=True).get(pk=counted.pk))


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

    def form_valid(self, form: Any) -> HttpResponse:
        """Answer at once; look the address up and send the mail after the answer has gone."""
        options = {
            "use_https": self.request.is_secure(),
            "token_generator": self.token_generator,
            "from_email": self.from_email,
            "email_template_name": self.email_template_name,
            "subject_template_name": self.subject_template_name,
            "request": self.request,
            "html_email_template_name": self.html_email_template_name,
            "extra_email_context": self.extra_email_context,
        }
        return ThenSend(self.get_success_url(), then=partial(_send_after, form, options))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "per_hour": settings.PASSWORD_RESET_PER_HOUR}

    @property
    def extra_email_context(self) -> dict[str, Any]:  # type: ignore[override]
        return {"site_url": settings.SITE_URL}


class ThenSend(HttpResponseRedirect):
    """A redirect that does `then` once the server has sent it (Django calls `close` then)."""

    def __init__(self, url: str, *, then: Callable[[], None]) -> None:
        super().__init__(url)
        self.then: Callable[[], None] | None = then

    def close(self) -> None:
        then, self.then = self.then, None
        if then is not None:
            then()
        super().close()


def _send_after(form: ResetForm, options: dict[str, Any]) -> None:
    try:
        form.save(**options)
    except Exception:  # the answer has gone: nobody else would hear of it
        logger.exception("Password reset mail not sent")


class ResetConfirm(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(action="password.reset", actor=form.user, target=form.user)
        return response
