"""The auditor's pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from audit.filters import AuditFilterForm
from audit.models import INSTALLATION, AuditEvent, audit_scope
from audit.standing import chain_standing
from console.audit_log import words
from govern.access import acting_user, scope_for
from govern.export_jobs import xlsx_now_or_later
from govern.exports import single_unit
from govern.pagination import page_of
from govern.roles import Capability

PAGE_SIZE = 50


def _readable(request: HttpRequest) -> set[int]:
    """The units whose events the reader sees (INSTALLATION for installation-wide auditors)."""
    unit_ids = audit_scope(request.user, scope_for(request).unit_ids_for(Capability.READ_AUDIT))
    if not unit_ids:
        raise PermissionDenied("Only auditors read the audit log.")
    return unit_ids


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    """Show the audit log of the auditor's units in words, with filters and the chain's standing."""
    unit_ids = _readable(request)
    form = AuditFilterForm(request.GET or None)
    events: QuerySet[AuditEvent] = AuditEvent.objects.visible_to(unit_ids)
    if form.is_bound and form.is_valid():
        events = form.apply(events)
    elif form.is_bound:
        events = events.none()
    events = events.select_related("business_unit")
    page = page_of(request, events, PAGE_SIZE)
    filtered = form.is_bound and any(form.data.get(name) for name in form.fields)
    context = {
        "form": form,
        "page": page,
        "rows": words.rows(list(page.object_list)),
        "standing": chain_standing(),
        "filtered": filtered,
        "query": request.GET.urlencode(),
    }
    return render(request, "audit/event_list.html", context)


@login_required
def event_export_xlsx(request: HttpRequest) -> HttpResponse:
    """Download the filtered log as XLSX, or follow a worker writing a large one."""
    unit_ids = _readable(request)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return redirect("audit:event-list")
    filters = {k: str(v) for k, v in form.cleaned_data.items() if v not in ("", None)}
    answer = xlsx_now_or_later(
        kind="audit_events",
        filters=filters,
        unit_ids=unit_ids,
        unit_id=single_unit(unit_ids - {INSTALLATION}),
        actor=acting_user(request),
        filename="audit.xlsx",
    )
    if isinstance(answer, HttpResponse):
        return answer
    return redirect("export-detail", pk=answer.pk)
