"""The audit log as an export table (XLSX, written at once or by a worker)."""

from typing import Any

from audit.exports import HEADER, event_rows
from audit.filters import AuditFilterForm
from audit.models import AuditEvent
from govern.export_jobs import Table


def events_table(filters: dict[str, Any], unit_ids: set[int]) -> Table:
    """The audit events a filter selects among those these units may read."""
    form = AuditFilterForm(filters)
    if not form.is_valid():
        raise ValueError(form.errors.as_text())
    events = form.apply(AuditEvent.objects.visible_to(unit_ids))
    return Table(HEADER, events.count(), event_rows(events))
