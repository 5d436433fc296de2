"""Time zones: a unit's zone, a wall-clock time read in a zone, and a time shown in a zone.

A wall-clock time the clocks skip (a daylight-saving gap) is refused with the hour skipped; one
they pass twice (a fold) is taken the first time, and the note says so. Pages, notices and
e-mails show a time as "10 January 2027, 00:00 Europe/Berlin" through `local_text` (in
templates, the `in_zone` filter of `govern/templatetags/zones.py`).
"""

from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone

ZONE_NAMES = sorted(available_timezones() | {"UTC"})
SHOWN = "j F Y, H:i"


def default_zone_name() -> str:
    """Return the zone a new unit plans in until an administrator says otherwise."""
    return str(settings.TIME_ZONE)


def zone_named(name: str, field: str = "time_zone") -> ZoneInfo:
    """Return the IANA zone, or refuse a name that is not one."""
    name = (name or "").strip()
    refused = ValidationError({field: f"'{name[:64]}' is not an IANA time zone."})
    if name not in ZONE_NAMES:
        raise refused
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise refused from error


def validate_zone_name(name: str) -> None:
    """Refuse a unit's zone that is not an IANA name (a model field validator)."""
    try:
        zone_named(name)
    except ValidationError as error:
        raise ValidationError(error.message_dict["time_zone"]) from error


@dataclass(frozen=True)
class WallTime:
    """A wall-clock time read in a zone, and what Govern chose if the reading was a choice."""

    moment: datetime
    note: str = ""


def wall_time(naive: datetime, zone_name: str, field: str) -> WallTime:
    """Read a time typed without an offset in the zone: refuse one the clocks skip there; of
    one they pass twice, take the first and say so."""
    zone = zone_named(zone_name)
    naive = naive.replace(tzinfo=None, fold=0)
    if not MINYEAR < naive.year < MAXYEAR:  # a zone's offset would push it past what holds
        raise ValidationError(
            {field: f"Give a time between the years {MINYEAR + 1} and {MAXYEAR - 1}."}
        )
    first, second = naive.replace(tzinfo=zone), naive.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValidationError({field: _skipped(naive, zone, zone_name)})
    if first.utcoffset() == second.utcoffset():
        return WallTime(first)
    return WallTime(
        first,
        f"{naive:%H:%M} happens twice on {_day(naive)} in {zone_name}; Govern took the first "
        f"({_offset(first)}), not the second ({_offset(second)}).",
    )


def _skipped(naive: datetime, zone: ZoneInfo, zone_name: str) -> str:
    """Say which wall-clock times the clocks skip around this one."""
    before = naive.replace(tzinfo=zone).utcoffset() or timedelta(0)
    after = naive.replace(tzinfo=zone, fold=1).utcoffset() or timedelta(0)
    change = _change(naive - after, naive - before, zone)
    start, end = _clock(change + before, naive), _clock(change + after, naive)
    return (
        f"{naive:%H:%M} does not exist on {_day(naive)} in {zone_name}: the clocks go from "
        f"{start} straight to {end}. Choose a time before {start} or from {end}."
    )


def _clock(moment: datetime, day_of: datetime) -> str:
    """Name a wall-clock time by its hour, and by its day too when that is another day."""
    if moment.date() == day_of.date():
        return f"{moment:%H:%M}"
    return dateformat.format(moment, SHOWN)


def _change(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """Return the first second (naive UTC) in (low, high] at which the zone's offset is
    high's, not low's any more."""
    offset_before = low.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    first, last = (
        int(low.replace(tzinfo=UTC).timestamp()),
        int(high.replace(tzinfo=UTC).timestamp()),
    )
    while last - first > 1:
        middle = (first + last) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            first = middle
        else:
            last = middle
    return datetime.fromtimestamp(last, UTC).replace(tzinfo=None)


def _day(moment: datetime) -> str:
    return dateformat.format(moment, "j F Y")


def _offset(moment: datetime) -> str:
    """Name a moment's offset: "CEST, UTC+02:00"."""
    offset = moment.strftime("%z")
    named, utc = moment.tzname() or "", f"UTC{offset[:3]}:{offset[3:]}"
    return utc if named[:1] in "+-" else f"{named}, {utc}"


def local_text(moment: datetime, zone_name: str) -> str:
    """Show a time in the zone with the zone's name: "10 January 2027, 00:00 Europe/Berlin"."""
    try:
        zone = zone_named(zone_name)
    except ValidationError:
        zone, zone_name = ZoneInfo("UTC"), "UTC"  # a zone tzdata dropped: show UTC, say so
    try:
        local = moment.astimezone(zone)
    except OverflowError:  # the first or last day a datetime holds, pushed past it
        local, zone_name = moment.astimezone(UTC), "UTC"
    text = f"{dateformat.format(local, SHOWN)} {zone_name}"
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += f" ({local.tzname()})"  # the hour the clocks pass twice: say which one
    return text


class WallClockField(forms.DateTimeField):
    """A date and time as typed, without a zone: the view reads it in the zone that applies
    (`wall_time`), so that a time the clocks skip or pass twice there is named, not shifted."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(UTC):
            parsed = super().to_python(value)
        return None if parsed is None else timezone.make_naive(parsed, UTC)
