"""A second factor for local accounts (django-otp): a TOTP authenticator, with ten one-time
recovery codes made at enrolment.

- A local account with a second factor gives its code after its password, before any page.
- A local account whose role MFA_REQUIRED_ROLES names ("administrator" for superusers) and that
  has none is sent to enrol before anything else.
- A local account's signature needs the code too.
- People signed in through single sign-on get their second factor from the provider.
- Failed codes count towards django-axes' lockout as failed logins do; django-otp also slows
  repeated failures per device. Enrolment, codes passed and failed, and an administrator's reset
  are audited.
"""

import base64
from collections.abc import Callable
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record
from govern.models import BusinessUnitUserObjectPermission, Passkey

VERIFY_PATH = "/login/verify/"
ENROL_PATH = "/account/second-factor/"
# What a person who still owes a second factor may open.
ALLOWED = (VERIFY_PATH, ENROL_PATH, "/logout/", "/static/", "/api/", "/scim/", "/healthz")
RECOVERY_CODES = 10


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user: User) -> bool:
    """Whether the person's roles require a second factor of their local account."""
    wanted = set(settings.MFA_REQUIRED_ROLES)
    if user.is_superuser and "administrator" in wanted:
        return True
    held = BusinessUnitUserObjectPermission.objects.filter(
        user=user, permission__codename__in=wanted
    )
    return bool(wanted) and held.exists()


def _local(request: HttpRequest) -> bool:
    return request.session.get("auth_method") != "oidc"


class SecondFactor:
    """Hold a local account at the second factor: its code after the password, or enrolment
    first where its role requires one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and _local(request)
            and not request.path.startswith(ALLOWED)
        ):
            if user.is_verified():  # passed a second factor in this session
                return self.get_response(request)
            if has_second_factor(user):
                return redirect(f"{VERIFY_PATH}?next={request.path}")
            if required_for(user):
                messages.warning(request, "Your role needs a second factor: set it up first.")
                return redirect(ENROL_PATH)
        return self.get_response(request)


def next_or_home(request: HttpRequest) -> str:
    wanted = request.GET.get("next") or request.POST.get("next") or "/"
    safe = url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure())
    return wanted if safe else "/"


def check_code(request: HttpRequest, user: User, code: str) -> Any:
    """The device the code belongs to, or None (counted as a failed login for the lockout)."""
    code = "".join(code.split())
    device = django_otp.match_token(user, code) if code.isalnum() and len(code) <= 16 else None
    if device is None:
        credentials = {"username": user.get_username()}
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        audit_record(action="auth.second_factor_failed", actor=user, target=user)
    return device


def locked(request: HttpRequest, user: User) -> bool:
    return bool(AxesProxyHandler.is_locked(request, credentials={"username": user.get_username()}))


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Ask a local account's code after its password."""
    user = request.user
    if not isinstance(user, User):
        return redirect("login")
    if request.method == "POST":
        if locked(request, user):
            return render(request, "registration/locked_out.html", status=429)
        device = check_code(request, user, request.POST.get("code", ""))
        if device is not None:
            django_otp.login(request, device)
            kind = "recovery code" if isinstance(device, StaticDevice) else "authenticator"
            audit_record(
                action="auth.second_factor_passed", actor=user, target=user, data={"with": kind}
            )
            return redirect(next_or_home(request))
        messages.error(request, "That code is not right (or was used already).")
    context = {
        "next": next_or_home(request),
        "passkeys": Passkey.objects.filter(user=user).exists(),
    }
    return render(request, "registration/second_factor.html", context)


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: its key, then a code from it; then the recovery codes, once."""
    user = request.user
    if not isinstance(user, User):
        return redirect("login")
    if has_second_factor(user):
        passkeys = Passkey.objects.filter(user=user).order_by("created_at")
        context = {"codes": None, "passkeys": passkeys}
        return render(request, "registration/second_factor_set.html", context)
    device, _made = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "authenticator"}
    )
    if request.method == "POST":
        code = "".join(request.POST.get("code", "").split())
        if code.isdigit() and device.verify_token(code):
            codes = _confirm(user, device)
            django_otp.login(request, device)
            return render(request, "registration/second_factor_set.html", {"codes": codes})
        messages.error(request, "That code is not right: check the time on your device.")
    context = {"key": _base32(device), "url": device.config_url}
    return render(request, "registration/second_factor_enrol.html", context)


def _base32(device: TOTPDevice) -> str:
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _confirm(user: User, device: TOTPDevice) -> list[str]:
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=c) for c in codes)
        audit_record(action="auth.second_factor_enrolled", actor=user, target=user)
    return codes


def second_factor_reset(*, user: User, actor: User | None) -> int:
    """Remove a person's second factor (an administrator's act, audited); they enrol again."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        removed += Passkey.objects.filter(user=user).delete()[0]
        audit_record(
            action="auth.second_factor_reset",
            actor=actor,
            target=user,
            data={"username": user.get_username(), "devices": removed},
        )
    return removed
