"""Electronic signatures on regulated decisions (21 CFR Part 11 §11.50, §11.70, §11.200).

A signature is made as the officer decides: they enter their password again (a failure counts
towards django-axes' lockout exactly as at login, so repeated failures lock the account out)
and choose what the signature means. It records the printed name, the time and the meaning,
and its digest covers those, the decision and the sha256 of the content signed: a signature
shown beside content that is not what was signed does not verify. The digest also goes into
the audit event of the decision, so the tamper-evident chain holds it.
"""

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone

from assets.models import Decision, Signature, SignatureMeaning, Version
from govern.access import acting_user
from govern.identity import second_factor, signing

# The meaning a signature must carry for each decision.
MEANING_OF = {"approve": SignatureMeaning.APPROVED, "reject": SignatureMeaning.REJECTED}


@dataclass(frozen=True)
class Intent:
    """A signer who has just proven who they are, and what their signature is to mean; how
    they proved it (a password, or a fresh login at the identity provider)."""

    signer: User
    meaning: str
    authentication: dict[str, Any] = field(default_factory=dict)


def confirm(request: HttpRequest, user: User, password: str, meaning: str) -> Intent:
    """Re-authenticate the signer with their password and take the meaning they chose.

    Missing or unknown parts are a ValidationError (400); a wrong password, or a signer locked
    out by repeated failures, is PermissionDenied (403). Nothing is recorded here.
    """
    missing = {}
    if not password:
        missing["password"] = "Sign with your password: a regulated decision is signed."  # noqa: S105
    if meaning not in SignatureMeaning.values:
        missing["meaning"] = f"Say what your signature means: {', '.join(SignatureMeaning.values)}."
    if missing:
        raise ValidationError(missing)
    django_request = getattr(request, "_request", request)  # DRF wraps the Django request
    proven = authenticate(django_request, username=user.get_username(), password=password)
    if getattr(django_request, "axes_locked_out", False):
        raise PermissionDenied("Too many wrong passwords: signing and logging in are locked.")
    if proven is None or proven.pk != user.pk:
        raise PermissionDenied("That password is not yours: nothing was signed or decided.")
    return Intent(signer=user, meaning=meaning, authentication={"method": "password"})


def confirm_fresh_login(user: User, meaning: str, login: dict[str, Any]) -> Intent:
    """The signer proved who they are by a fresh login at the identity provider (see
    govern/identity/signing.py); take the meaning they chose."""
    if meaning not in SignatureMeaning.values:
        raise ValidationError(
            {"meaning": f"Say what your signature means: {', '.join(SignatureMeaning.values)}."}
        )
    return Intent(signer=user, meaning=meaning, authentication=login)


def intent_from(request: HttpRequest, meaning: str) -> Intent:
    """Prove the signer of a request: a person signed in through single sign-on by a fresh login
    at the provider (FreshLoginNeeded until there is one), a local account by its password and,
    when it has one, its second factor's code. PermissionDenied when the proof fails."""
    user = acting_user(request)
    if signing.signs_through_provider(request):
        if meaning not in SignatureMeaning.values:
            raise ValidationError({"meaning": "Say what your signature means."})
        token = request.POST.get("fresh_login", "")
        if not token:
            raise signing.FreshLoginNeeded
        return confirm_fresh_login(user, meaning, signing.proof(request, token))
    intent = confirm(request, user, request.POST.get("password", ""), meaning)
    return _second_factor(request, intent, request.POST.get("code", ""))


def api_intent(request: Any, user: User, password: str, meaning: str, code: str) -> Intent:
    """Prove the signer of an API call (a session's: keys cannot sign): their password and,
    when their account has one, their second factor's code. Under single sign-on there is no
    password: such a person signs in the browser, after a fresh login at the provider."""
    if signing.signs_through_provider(getattr(request, "_request", request)):
        raise PermissionDenied(
            "You signed in through single sign-on: sign in the browser, after a fresh login."
        )
    intent = confirm(request, user, password, meaning)
    return _second_factor(request, intent, code)


def _second_factor(request: Any, intent: Intent, code: str) -> Intent:
    if not second_factor.has_second_factor(intent.signer):
        return intent
    django_request = getattr(request, "_request", request)
    device = second_factor.check_code(django_request, intent.signer, code)
    if device is None:
        raise PermissionDenied("That code is not right: nothing was signed or decided.")
    kind = "recovery" if device.persistent_id.startswith("otp_static") else "totp"
    return replace(intent, authentication={**intent.authentication, "second_factor": kind})


def record(intent: Intent, decision: Decision, reason: str) -> Signature:
    """Sign a decision just made, in its transaction; the meaning must be the decision's."""
    if MEANING_OF.get(decision.action) != intent.meaning:
        raise ValidationError(
            {"meaning": f"A signature meaning {intent.meaning} cannot sign a {decision.action}."}
        )
    signature = Signature(
        decision=decision,
        signer=intent.signer,
        printed_name=intent.signer.get_full_name() or intent.signer.get_username(),
        meaning=intent.meaning,
        reason=reason,
        signed_at=timezone.now(),
        content_sha256=decision.version.sha256,
        authentication=intent.authentication,
    )
    signature.digest = digest(signature, decision.version)
    signature.save()
    return signature


def digest(signature: Signature, version: Version) -> str:
    """The sha256 over what a signature binds: signer, name, time, meaning, reason, the
    decision and the content of the version it decided."""
    decision = signature.decision
    bound = {
        "decision": decision.pk,
        "action": decision.action,
        "version": version.pk,
        "content_sha256": version.sha256,
        "signer": signature.signer_id,
        "printed_name": signature.printed_name,
        "meaning": signature.meaning,
        "reason": signature.reason,
        "signed_at": signature.signed_at.isoformat(),
        # Signatures from before it was recorded bind no authentication, and still verify.
        **({"authentication": signature.authentication} if signature.authentication else {}),
    }
    return hashlib.sha256(json.dumps(bound, sort_keys=True).encode()).hexdigest()


def verifies(signature: Signature, version: Version) -> bool:
    """Whether the signature still binds this version's content and its decision."""
    return signature.content_sha256 == version.sha256 and signature.digest == digest(
        signature, version
    )


def described(signature: Signature) -> dict[str, Any]:
    """The signature as the audit log and the evidence packs show it."""
    return {
        "printed_name": signature.printed_name,
        "meaning": signature.meaning,
        "reason": signature.reason,
        "signed_at": signature.signed_at.isoformat(),
        "content_sha256": signature.content_sha256,
        "digest": signature.digest,
        **({"authentication": signature.authentication} if signature.authentication else {}),
    }
