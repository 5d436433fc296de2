"""Wall-clock times read in a zone (a skipped one refused with the hour skipped, a doubled one
taken the first time and said so) and times shown in a zone with its name."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from govern.zones import local_text, wall_time, zone_named


def typed(text: str) -> datetime:
    """A date and time as a person types it: on a wall clock, without a zone."""
    return datetime.fromisoformat(text)


def test_a_time_the_clocks_skip_is_refused_naming_the_hour_skipped() -> None:
    with pytest.raises(ValidationError) as refused:
        wall_time(typed("2027-03-28T02:30"), "Europe/Berlin", "go_live_at")
    assert refused.value.message_dict == {
        "go_live_at": [
            "02:30 does not exist on 28 March 2027 in Europe/Berlin: the clocks go from 02:00 "
            "straight to 03:00. Choose a time before 02:00 or from 03:00."
        ]
    }


def test_a_skipped_half_hour_and_a_skipped_day_are_named_too() -> None:
    with pytest.raises(ValidationError, match="from 02:00 straight to 02:30"):
        wall_time(typed("2027-10-03T02:10"), "Australia/Lord_Howe", "run_at")
    with pytest.raises(ValidationError, match="straight to 31 December 2011, 00:00"):
        wall_time(typed("2011-12-30T12:00"), "Pacific/Apia", "run_at")


def test_a_time_the_clocks_pass_twice_is_the_first_and_the_note_says_so() -> None:
    read = wall_time(typed("2027-10-31T02:30"), "Europe/Berlin", "go_live_at")
    assert read.moment.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert read.note == (
        "02:30 happens twice on 31 October 2027 in Europe/Berlin; Govern took the first "
        "(CEST, UTC+02:00), not the second (CET, UTC+01:00)."
    )


def test_an_ordinary_time_is_read_in_its_zone_without_a_note() -> None:
    read = wall_time(typed("2027-01-10T00:00"), "Europe/Berlin", "go_live_at")
    assert read.moment.astimezone(UTC) == datetime(2027, 1, 9, 23, 0, tzinfo=UTC)
    assert read.note == ""


def test_a_name_that_is_no_iana_zone_is_refused_on_its_field() -> None:
    with pytest.raises(ValidationError) as refused:
        zone_named("Mars/Olympus", "time_zone")
    assert refused.value.message_dict == {"time_zone": ["'Mars/Olympus' is not an IANA time zone."]}


def test_a_time_is_shown_in_the_zone_with_its_name_and_the_doubled_hour_says_which() -> None:
    assert (
        local_text(datetime(2027, 1, 9, 23, 0, tzinfo=UTC), "Europe/Berlin")
        == "10 January 2027, 00:00 Europe/Berlin"
    )
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    assert local_text(second, "Europe/Berlin") == "31 October 2027, 02:30 Europe/Berlin (CET)"
    # A zone name tzdata no longer knows shows UTC, named as such, rather than failing a page.
    assert local_text(second, "Atlantis/Capital") == "31 October 2027, 01:30 UTC"


def test_the_in_zone_filter_takes_a_unit_or_a_zone_name() -> None:
    class Unit:
        time_zone = "Europe/London"

    shown = Template("{% load zones %}{{ at|in_zone:unit }} / {{ at|in_zone:'Asia/Tokyo' }}")
    moment = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)
    assert shown.render(Context({"at": moment, "unit": Unit()})) == (
        "1 July 2027, 13:00 Europe/London / 1 July 2027, 21:00 Asia/Tokyo"
    )
    assert Template("{% load zones %}{{ none|in_zone:'UTC' }}").render(Context({})) == ""


def test_the_first_and_last_years_a_datetime_holds_are_refused_and_shown_without_overflow() -> None:
    for text in ("0001-01-01T00:30", "9999-12-31T23:30"):
        with pytest.raises(ValidationError, match="Give a time between the years 2 and 9998"):
            wall_time(typed(text), "Europe/Berlin", "run_at")
    last = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    assert local_text(last, "Europe/Berlin") == "31 December 9999, 23:30 UTC"
