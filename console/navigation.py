"""The navigation every page shows: the entries the user's roles open, unread notices, and
the alerts administrators and brand managers need (a stopped Smint.io sync, the quarantine)."""

from typing import Any

from django.http import HttpRequest

from assets.models import QuarantinedPurchase, QuarantineState, SmintioConnection
from govern.access import Scope, scope_for
from govern.notify import unread_count
from govern.roles import Capability

NAVIGATION = [
    ("Review queue", "assets:review-queue", Capability.DECIDE_VERSIONS),
    ("My reviews", "templates:inbox", Capability.REVIEW_TEMPLATES),
    ("Asset library", "assets:library", Capability.VIEW),
    ("Templates", "templates:board", Capability.VIEW),
    ("Campaigns", "templates:campaign-list", Capability.VIEW),
    ("Replacement requests", "templates:replacements", Capability.EDIT_ASSETS),
    ("Deliveries", "templates:deliveries", Capability.RETRY_DELIVERIES),
    ("Vocabularies", "assets:vocabularies", Capability.DECIDE_VERSIONS),
    ("Criteria", "assets:criteria", Capability.SET_CRITERIA),
    ("Usage", "usage:report", Capability.READ_USAGE),
    ("Exceptions", "usage:exceptions", Capability.READ_USAGE),
    ("Audit log", "audit:event-list", Capability.READ_AUDIT),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the navigation entries the user's roles open."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"navigation": []}
    scope = scope_for(request)
    entries = [
        {"label": label, "url_name": url_name}
        for label, url_name, capability in NAVIGATION
        if scope.unit_ids_for(capability)
    ]
    if request.user.is_staff:
        entries.append({"label": "Webhooks", "url_name": "templates:webhooks"})
    return {
        "navigation": entries,
        "unread_notices": unread_count(request.user),
        "user_roles": sorted(r.label for r in scope.roles),
        "smintio_alert": _smintio_alert(request, scope),
        "quarantined": _quarantined(request),
    }


def _quarantined(request: HttpRequest) -> int:
    """Tell administrators how many Smint.io purchases wait in quarantine."""
    if not request.user.is_staff:
        return 0
    return QuarantinedPurchase.objects.filter(state=QuarantineState.OPEN).count()


def _smintio_alert(request: HttpRequest, scope: Scope) -> str:
    """Tell administrators and brand managers when the Smint.io sync has stopped."""
    if not (request.user.is_staff or scope.unit_ids_for(Capability.EDIT_ASSETS)):
        return ""
    stopped = SmintioConnection.objects.filter(
        state=SmintioConnection.State.NEEDS_AUTHORIZATION
    ).first()
    return stopped.last_error if stopped else ""
