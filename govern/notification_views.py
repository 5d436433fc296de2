"""A person's notices: newest first, unread marked, read one by one or all at once."""

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


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    page = page_of(request, Notification.objects.filter(user=user), PAGE_SIZE)
    context = {"page": page, "email_choice": email_choice(user), "choices": EmailChoice.choices}
    return render(request, "notifications.html", context)


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
