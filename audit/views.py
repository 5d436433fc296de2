"""The auditor's pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.filters import AuditFilterForm
from audit.models import AuditEvent
from govern.access import scope_for
from govern.roles import Capability

PAGE_SIZE = 50


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    """Show the audit log of the auditor's units with filters."""
    unit_ids = scope_for(request).unit_ids_for(Capability.READ_AUDIT)
    if not unit_ids:
        raise PermissionDenied("Only auditors read the audit log.")
    form = AuditFilterForm(request.GET or None)
    events: QuerySet[AuditEvent] = AuditEvent.objects.visible_to(unit_ids)
    if form.is_bound and form.is_valid():
        events = form.apply(events)
    elif form.is_bound:
        events = events.none()
    events = events.select_related("business_unit")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = form.is_bound and any(form.data.get(name) for name in form.fields)
    context = {"form": form, "page": page, "filtered": filtered}
    return render(request, "audit/event_list.html", context)
