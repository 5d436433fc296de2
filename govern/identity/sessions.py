"""The sessions people are signed in with: recorded at login, ended on demand (a leaver's at
once), every end audited."""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import audit_record
from govern.models import UserSession

AGENT_LENGTH = 300


@receiver(user_logged_in)
def session_started(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
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


def sessions_end(*, user: User, actor: User | None, reason: str, keep: str = "") -> int:
    """End every session of `user` (but the one keyed `keep`); return how many ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        ending = list(UserSession.objects.filter(user=user).exclude(session_key=keep))
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
