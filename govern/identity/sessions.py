"""The sessions people are signed in with: recorded at login, ended after SESSION_IDLE_MINUTES
without a request or SESSION_MAX_HOURS after the login, ended on demand (a leaver's at once, a
person's own from their sessions page, anyone's by an administrator), every end audited."""

from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from audit.services import audit_record
from govern.models import UserSession

AGENT_LENGTH = 300
STARTED, SEEN = "session_started_at", "session_seen_at"
# How often a request records that its session was seen (a write per request would cost more).
SEEN_PRECISION = timedelta(minutes=1)


@receiver(user_logged_in)
def session_started(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    now = timezone.now()
    request.session[STARTED] = request.session[SEEN] = now.timestamp()
    key = request.session.session_key
    if key:
        UserSession.objects.update_or_create(
            session_key=key,
            defaults={
                "user": user,
                "address": request.META.get("REMOTE_ADDR", "")[:45],
                "agent": request.META.get("HTTP_USER_AGENT", "")[:AGENT_LENGTH],
            },
        )


@receiver(user_logged_out)
def session_closed(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).delete()


def sessions_end(
    *, user: User, actor: User | None, reason: str, keep: str = "", only: list[int] | None = None
) -> int:
    """End the sessions of `user` (those with the ids `only`, or all but the one keyed `keep`);
    return how many ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        chosen = UserSession.objects.filter(user=user).exclude(session_key=keep)
        if only is not None:
            chosen = chosen.filter(pk__in=only)
        ending = list(chosen.select_for_update(no_key=True))
        for session in ending:
            store(session_key=session.session_key).delete()
        UserSession.objects.filter(pk__in=[s.pk for s in ending]).delete()
        if ending:
            audit_record(
                action="auth.sessions_ended",
                actor=actor,
                target=user,
                data={"username": user.get_username(), "sessions": len(ending), "reason": reason},
            )
    return len(ending)


class SessionLimits:
    """Sign a person out after SESSION_IDLE_MINUTES without a request, or SESSION_MAX_HOURS
    after they logged in, whichever comes first; audited as `auth.session_expired`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            ended = self._expired(request)
            if ended:
                key = request.session.session_key
                audit_record(
                    action="auth.session_expired",
                    actor=user,
                    data={"reason": ended, "username": user.get_username()},
                )
                UserSession.objects.filter(session_key=key).delete()
                logout(request)
                messages.info(request, f"You were signed out: {ended}. Log in again.")
                if not request.path.startswith(("/api/", "/scim/")):
                    return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str:
        now = timezone.now().timestamp()
        started = request.session.get(STARTED)
        if not isinstance(started, int | float):  # from before the limits: they start now
            request.session[STARTED] = request.session[SEEN] = now
            return ""
        seen = request.session.get(SEEN)
        seen = seen if isinstance(seen, int | float) else started
        if now - float(started) > settings.SESSION_MAX_HOURS * 3600:
            hours = settings.SESSION_MAX_HOURS
            return f"{hours:g} hour{'' if hours == 1 else 's'} passed since you logged in"
        if now - float(seen) > settings.SESSION_IDLE_MINUTES * 60:
            return f"nothing was asked for {settings.SESSION_IDLE_MINUTES} minutes"
        if now - float(seen) > SEEN_PRECISION.total_seconds():
            request.session[SEEN] = now
            UserSession.objects.filter(session_key=request.session.session_key).update(
                last_seen_at=timezone.now()
            )
        return ""
