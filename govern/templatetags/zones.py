"""Times shown in a unit's zone, named: `{{ campaign.go_live_at|in_zone:campaign.business_unit }}`
reads "10 January 2027, 00:00 Europe/Berlin"."""

from datetime import datetime
from typing import Any

from django import template

from govern.zones import local_text

register = template.Library()


@register.filter
def in_zone(moment: datetime | None, where: Any) -> str:
    """Show the time in the zone of `where` (a unit, or anything with a time_zone) or in the
    zone it names; nothing for no time."""
    if not isinstance(moment, datetime):
        return ""
    return local_text(moment, str(getattr(where, "time_zone", where)))
