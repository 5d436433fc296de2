"""Passkeys (WebAuthn, py_webauthn) for local accounts: added beside the authenticator app, then
a way to give the second factor at login with the device's own unlock.

Each ceremony's challenge is kept in the session and used once. The relying party is the host
the person reached Govern by, and the origin is checked against it. Registration and login
answers that do not verify are refused with a reason and counted as failed logins for the
lockout; a passkey's signature counter is kept. Signatures still take the authenticator's code.
"""

import json
from typing import Any

import django_otp
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from audit.services import audit_record
from govern.identity.second_factor import has_second_factor, locked, next_or_home
from govern.models import Passkey

CHALLENGE = "passkey_challenge"
MAX_BODY = 64_000
MAX_PASSKEYS = 10


def _party(request: HttpRequest) -> tuple[str, str]:
    """The relying party's id (the host, without its port) and the origin expected."""
    host = request.get_host()
    scheme = "https" if request.is_secure() else "http"
    return host.split(":")[0], f"{scheme}://{host}"


def _credential(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise ValueError("the answer is too large")
    found = json.loads(request.body or b"null")
    if not isinstance(found, dict):
        raise ValueError("the answer is not a credential")
    return found


def _challenge(request: HttpRequest, purpose: str) -> bytes:
    """The challenge issued for `purpose`, taken (once)."""
    kept = request.session.pop(CHALLENGE, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        raise ValueError("no ceremony is under way")
    return base64url_to_bytes(kept["challenge"])


def _refused(request: HttpRequest, user: User, reason: str) -> JsonResponse:
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    audit_record(action="auth.passkey_refused", actor=user, target=user, data={"reason": reason})
    return JsonResponse({"error": "refused", "detail": reason}, status=400)


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionError
    return user


@login_required
@require_POST
def registration_options(request: HttpRequest) -> HttpResponse:
    """Options for navigator.credentials.create(): only once an authenticator is set up."""
    user = _user(request)
    verified = getattr(request.user, "is_verified", lambda: False)()  # django-otp's
    if not has_second_factor(user) or not verified:
        return JsonResponse({"error": "refused", "detail": "Set up the app first."}, status=403)
    rp_id, _origin = _party(request)
    held = Passkey.objects.filter(user=user)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Govern",
        user_name=user.get_username(),
        user_id=str(user.pk).encode(),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in held
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
    )
    request.session[CHALLENGE] = {
        "purpose": "register",
        "challenge": bytes_to_base64url(options.challenge),
    }
    return HttpResponse(options_to_json(options), content_type="application/json")


@login_required
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    """Keep the passkey the browser made, once its answer verifies."""
    user = _user(request)
    if Passkey.objects.filter(user=user).count() >= MAX_PASSKEYS:
        return _refused(request, user, f"at most {MAX_PASSKEYS} passkeys")
    rp_id, origin = _party(request)
    try:
        verified = verify_registration_response(
            credential=_credential(request),
            expected_challenge=_challenge(request, "register"),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (ValueError, KeyError, TypeError, WebAuthnException) as error:
        return _refused(request, user, f"the passkey did not verify: {error}")
    passkey = Passkey.objects.create(
        user=user,
        name="passkey",
        confirmed=True,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )
    audit_record(action="auth.passkey_added", actor=user, target=user, data={"id": passkey.pk})
    return JsonResponse({"added": passkey.pk}, status=201)


@login_required
@require_POST
def login_options(request: HttpRequest) -> HttpResponse:
    """Options for navigator.credentials.get(), for the person's own passkeys."""
    user = _user(request)
    rp_id, _origin = _party(request)
    held = list(Passkey.objects.filter(user=user, confirmed=True))
    if not held:
        return JsonResponse({"error": "refused", "detail": "You have no passkey."}, status=400)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in held
        ],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    request.session[CHALLENGE] = {
        "purpose": "login",
        "challenge": bytes_to_base64url(options.challenge),
    }
    return HttpResponse(options_to_json(options), content_type="application/json")


@login_required
@require_POST
def login_with_passkey(request: HttpRequest) -> HttpResponse:
    """Take the passkey's answer as the login's second factor."""
    user = _user(request)
    if locked(request, user):
        return JsonResponse({"error": "locked_out", "detail": "Locked for now."}, status=429)
    rp_id, origin = _party(request)
    try:
        credential = _credential(request)
        passkey = Passkey.objects.get(user=user, credential_id=str(credential.get("id", "")))
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=_challenge(request, "login"),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except Passkey.DoesNotExist:
        return _refused(request, user, "that passkey is not one of yours")
    except (ValueError, KeyError, TypeError, WebAuthnException) as error:
        return _refused(request, user, f"the passkey did not verify: {error}")
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    django_otp.login(request, passkey)
    audit_record(
        action="auth.second_factor_passed", actor=user, target=user, data={"with": "passkey"}
    )
    return JsonResponse({"next": next_or_home(request)})
