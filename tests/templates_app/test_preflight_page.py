"""Designers ask pre-flight from the template page and see every reason."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import time_machine

from assets.models import Asset
from govern.models import BusinessUnit
from govern.services import unit_update
from templates_app.models import Clearance, Template
from templates_app.services import binding_set


def test_a_designer_asks_pre_flight_in_the_browser_and_sees_the_reasons(
    logo: Asset, designer: Any, make_template: Callable[..., Template], client_for: Any
) -> None:
    letter = make_template("Letter")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    client = client_for(designer)
    assert "Ask pre-flight" in client.get(f"/templates/{letter.pk}/").content.decode()
    body = {"run_at": "2026-12-01T06:00", "region": "de", "language": "de", "channel": "print"}
    response = client.post(f"/templates/{letter.pk}/preflight/", body, follow=True)
    html = response.content.decode()
    clearance = Clearance.objects.get()
    assert clearance.verdict == "no-go" and clearance.contexts[0]["region"] == "DE"
    assert f"Pre-flight {clearance.pk}: no-go, 1 reason(s)." in html
    assert "unresolved" in html and "No variant of brand.logo.primary fits" in html


def test_pre_flight_from_the_page_is_refused_to_other_roles_and_units(
    logo: Asset,
    designer: Any,
    auditor: Any,
    outsider: Any,
    make_template: Callable[..., Template],
    client_for: Any,
) -> None:
    letter = make_template("Letter")
    url = f"/templates/{letter.pk}/preflight/"
    body = {"run_at": "2026-12-01T06:00"}
    assert (
        "Ask pre-flight" not in client_for(auditor).get(f"/templates/{letter.pk}/").content.decode()
    )
    assert client_for(auditor).post(url, body).status_code == 403
    assert client_for(outsider).post(url, body).status_code == 404
    assert not Clearance.objects.exists()
    client_for(designer).post(url, {"run_at": "soon"})
    assert not Clearance.objects.exists()


def test_the_run_time_is_asked_and_shown_in_the_units_zone_and_a_skipped_one_is_refused(
    unit: BusinessUnit,
    logo: Asset,
    designer: Any,
    make_template: Callable[..., Template],
    client_for: Any,
) -> None:
    unit_update(unit=unit, actor=None, time_zone="Europe/Berlin")
    letter = make_template("Letter")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    url = f"/templates/{letter.pk}/preflight/"
    with time_machine.travel(datetime(2027, 1, 9, 23, 0, 30, tzinfo=UTC), tick=False):
        form = client_for(designer).get(f"/templates/{letter.pk}/").content.decode()
    client = client_for(designer)
    assert ">Run at (Europe/Berlin):</label>" in form
    assert 'value="2027-01-10T00:00"' in form  # now, on the unit's wall clock
    client.post(url, {"run_at": "2027-01-10T00:00"})
    asked = Clearance.objects.get()
    assert asked.run_at == datetime(2027, 1, 9, 23, 0, tzinfo=UTC)
    page = client.get(f"/templates/{letter.pk}/").content.decode()
    assert "<td>10 January 2027, 00:00 Europe/Berlin</td>" in page
    skipped = client.post(url, {"run_at": "2027-03-28T02:30"}, follow=True).content.decode()
    assert "02:30 does not exist on 28 March 2027 in Europe/Berlin" in skipped
    assert Clearance.objects.count() == 1
    twice = client.post(url, {"run_at": "2027-10-31T02:30"}, follow=True).content.decode()
    assert "Govern took the first (CEST, UTC+02:00)" in twice
    assert Clearance.objects.latest("pk").run_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_a_run_time_at_the_ends_of_the_calendar_is_refused_not_a_500(
    unit: BusinessUnit, designer: Any, make_template: Callable[..., Template], client_for: Any
) -> None:
    unit_update(unit=unit, actor=None, time_zone="Europe/Berlin")
    letter = make_template("Letter")
    url = f"/templates/{letter.pk}/preflight/"
    answer = client_for(designer).post(url, {"run_at": "0001-01-01T00:30"}, follow=True)
    assert "Give a time between the years 2 and 9998." in answer.content.decode()
    assert not Clearance.objects.exists()
