"""Signing in through the identity provider (OpenID Connect): where the login page's
"single sign-on" sends a person, and where the provider sends them back."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from audit.services import audit_record
from govern.api_only import LoginForm
from govern.identity import oidc, signing
from govern.identity.services import person_from_claims
from govern.identity.sessions import sessions_end
from govern.models import BusinessUnitUserObjectPermission, UserSession

BACKEND = "django.contrib.auth.backends.ModelBackend"
NEXT_KEY = "sso_next"
PROMPTS = {"login", "select_account"}
MAX_AGE = 86_400  # seconds: the oldest login `?max_age=` may ask the provider to accept


def sso_start(request: HttpRequest) -> HttpResponse:
    """Send the person to the provider to sign in (`?prompt=login` forces a fresh login,
    `?max_age=N` one at most N seconds old, checked against the ID token's auth_time)."""
    if not oidc.enabled():
        raise Http404("Single sign-on is not set up here.")
    wanted = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure())
    request.session[NEXT_KEY] = wanted if wanted and safe else "/"
    prompt = request.GET.get("prompt", "")
    age = request.GET.get("max_age", "")
    max_age = int(age) if age.isdigit() and int(age) <= MAX_AGE else None
    try:
        return redirect(
            oidc.authorization_url(
                request, "login", prompt=prompt if prompt in PROMPTS else "", max_age=max_age
            )
        )
    except oidc.Refused as refused:
        return refuse(request, refused.reason)


def sso_callback(request: HttpRequest) -> HttpResponse:
    """Take the provider's answer: sign the person in, or say why not."""
    if not oidc.enabled():
        raise Http404("Single sign-on is not set up here.")
    try:
        pending, claims = oidc.complete(request)
    except oidc.Refused as refused:
        return refuse(request, refused.reason)
    if pending.purpose.startswith("sign:"):
        return _signature_login(request, pending.purpose.removeprefix("sign:"), claims)
    if pending.purpose != "login":
        return refuse(request, "the answer was for something else than signing in")
    try:
        user = person_from_claims(claims, issuer=str(claims["iss"]))
    except PermissionDenied as denied:
        return refuse(request, str(denied))
    login(request, user, backend=BACKEND)
    request.session["auth_method"] = "oidc"
    request.session["auth_time"] = claims.get("auth_time")
    if not BusinessUnitUserObjectPermission.objects.filter(user=user).exists():
        return render(request, "registration/sso_no_role.html", {"person": user}, status=200)
    return redirect(request.session.pop(NEXT_KEY, "/") or "/")


def _signature_login(request: HttpRequest, token: str, claims: dict[str, Any]) -> HttpResponse:
    try:
        signing.landed(request, token, claims)
    except PermissionDenied as denied:
        return refuse(request, str(denied))
    return redirect("sign-confirm", token=token)


@login_required
def sign_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """After the fresh login: the decision that waited, to be signed now."""
    waiting = signing.waiting_for(request, token)
    if waiting is None:
        raise Http404("No decision waits for this signature.")
    fields = [(name, value) for name, values in waiting.fields.items() for value in values]
    context = {
        "waiting": waiting,
        "fields": fields,
        "token": token,
        "fresh_seconds": signing.FRESH_SECONDS,
    }
    return render(request, "registration/sign_confirm.html", context)


def refuse(request: HttpRequest, reason: str) -> HttpResponse:
    """Say why the sign-in was not accepted, and record it."""
    audit_record(
        action="auth.oidc_refused",
        data={"reason": reason[:300], "ip": request.META.get("REMOTE_ADDR", "")},
    )
    context = {"reason": reason, "local_login": settings.LOCAL_LOGIN}
    return render(request, "registration/sso_refused.html", context, status=400)


class Login(auth_views.LoginView):
    """The login page: single sign-on when set up, the password form unless switched off."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "sso": oidc.enabled(),
            "local_login": settings.LOCAL_LOGIN,
        }


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    """The person's signed-in sessions; POST ends one (`session`) or all but this one."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    if request.method == "POST":
        chosen = request.POST.get("session", "")
        keep = request.session.session_key or ""
        only = [int(chosen)] if chosen.isdigit() and len(chosen) <= 18 else None
        ended = 0
        if chosen == "others" or only is not None:
            ended = sessions_end(
                user=user, actor=user, reason="ended by its owner", keep=keep, only=only
            )
        messages.success(request, f"{ended} session{'s' if ended != 1 else ''} ended.")
        return redirect("my-sessions")
    context = {
        "sessions": UserSession.objects.filter(user=user).order_by("-last_seen_at"),
        "current": request.session.session_key,
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
        "max_hours": settings.SESSION_MAX_HOURS,
    }
    return render(request, "registration/sessions.html", context)
