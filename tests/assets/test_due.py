"""Review targets: overdue versions are marked, counted on the home page and escalated once."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from assets import due
from assets.models import Asset, Version
from govern.models import Notification
from govern.settings import review_due_hours

ClientFor = Callable[[Any], Client]
AddVersion = Callable[..., Version]


def test_targets_are_read_per_kind_with_a_default() -> None:
    assert review_due_hours(["72"]) == {"": 72}
    assert review_due_hours(["48", "disclaimer=24"]) == {"": 48, "disclaimer": 24}
    assert review_due_hours(["disclaimer=24"]) == {"disclaimer": 24, "": 72}


@pytest.mark.parametrize("bad", ["soon", "disclaimer=0", "logo=-3", "=x", "99999999999999999999"])
def test_a_target_that_is_not_hours_stops_startup(bad: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="REVIEW_DUE_HOURS"):
        review_due_hours([bad])


def test_overdue_versions_are_escalated_to_officers_once(
    logo: Asset,
    disclaimer: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
    settings: Any,
) -> None:
    settings.REVIEW_DUE_HOURS = {"": 72, "disclaimer": 24}
    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=30)):
        text = add_version(disclaimer)  # 30 h: past the disclaimer's 24
        logo_version = add_version(logo)  # 30 h: within the logo's 72
    assert due.escalate(now) == 1
    told = Notification.objects.get(key=f"overdue:{text.pk}")
    assert told.user == compliance_officer
    assert told.subject == f"Overdue: {text} has waited over 24 hours"
    assert due.escalate(now) == 0, "told once"
    assert due.escalate(now + timedelta(hours=48)) == 1  # the logo is now 78 h old
    assert Notification.objects.filter(key=f"overdue:{logo_version.pk}").exists()


def test_the_home_page_says_what_waits_how_old_and_what_is_overdue(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    brand_manager: Any,
    client_for: ClientFor,
) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=4)):
        add_version(logo)
    add_version(logo)
    add_version(logo, submit=False)
    officer_home = client_for(compliance_officer).get("/").content.decode()
    line = officer_home.split('href="/assets/review/"><strong class="count">')[1].split("</li>")[0]
    assert line.startswith("2</strong> Versions waiting for your decision")
    assert "oldest 4 days" in line and "1 overdue" in line
    manager_home = client_for(brand_manager).get("/").content.decode()
    assert "Versions waiting for your decision" not in manager_home
    drafts = manager_home.split('href="/assets/library/?state=draft">')[1].split("</li>")[0]
    assert '<strong class="count">1</strong> Drafts not yet submitted' in drafts
    assert "Replacement requests to answer" in manager_home
