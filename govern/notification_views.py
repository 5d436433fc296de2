"""A person's notices: newest first, unread marked, read one by one or all at once."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from govern.access import acting_user
from govern.models import Notification
from govern.notify import unread_count
from govern.pagination import page_of

PAGE_SIZE = 50


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    notices = Notification.objects.filter(user=acting_user(request))
    page = page_of(request, notices, PAGE_SIZE)
    return render(request, "notifications.html", {"page": page})


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
    if notice.read_at is None:
        Notification.objects.filter(pk=notice.pk).update(read_at=timezone.now())
    safe = url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None)
    return redirect(notice.url if notice.url and safe else "notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=acting_user(request), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications")
