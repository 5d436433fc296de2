"""A person's notices: what still needs them first (grouped where a kind repeats), then every
notice newest first, unread marked, settled ones saying who dealt with them."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from govern import notify
from govern.access import acting_user
from govern.models import EmailChoice, Notification
from govern.notify import (
    email_choice,
    email_choose,
    unread_count,
)
from govern.pagination import page_of

PAGE_SIZE = 50
GROUPED_AT_MOST = 500


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    page = page_of(request, Notification.objects.filter(user=user), PAGE_SIZE)
    context = {
        "page": page,
        "groups": needs_you(user),
        "email_choice": email_choice(user),
        "choices": EmailChoice.choices,
    }
    return render(request, "notifications.html", context)


# How a group of notices of one kind reads: "6 versions wait for your decision".
GROUPS = {
    "version-waiting": "versions wait for your decision",
    "overdue": "versions are overdue",
    "campaign-waiting": "campaigns wait for your decision",
}


def needs_you(user: Any) -> list[dict[str, Any]]:
    """What still needs the person, grouped where a kind repeats (one query, newest first)."""
    open_notices = Notification.objects.filter(
        user=user, read_at__isnull=True, settled_at__isnull=True
    ).only("key", "subject", "url", "created_at")[:GROUPED_AT_MOST]
    by_kind: dict[str, list[Notification]] = {}
    for notice in open_notices:
        by_kind.setdefault(notice.kind, []).append(notice)
    groups = []
    for kind, notices in by_kind.items():
        if len(notices) < 2:
            continue
        many = GROUPS.get(kind, f"notices like “{notices[0].subject}”")
        groups.append({"count": len(notices), "label": many, "notices": notices, "kind": kind})
    return groups


@login_required
@require_POST
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Choose how notices come by email: each as it happens, a daily digest, or none."""
    try:
        email_choose(user=acting_user(request), email=request.POST.get("email", ""))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    messages.success(request, "Your email choice is saved.")
    return redirect("notifications")


def notification_count(request: HttpRequest) -> HttpResponse:
    """The unread count in the header, which the page polls (HTMX). Without a session it is
    204: a poll swaps nothing in (no login page inside the header) and reveals nothing."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    context = {"unread_notices": unread_count(acting_user(request))}
    return render(request, "notification_count.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read (only one's own: 404 otherwise) and follow its link."""
    notice = get_object_or_404(Notification, pk=pk, user=acting_user(request))
    notify.notification_read(notice=notice)
    safe = url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None)
    return redirect(notice.url if notice.url and safe else "notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    notify.notifications_read_all(user=acting_user(request))
    return redirect("notifications")
