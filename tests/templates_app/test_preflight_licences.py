"""Pre-flight refuses licensed versions whose terms miss the run's date, region or channel."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from assets.models import Asset, LicensePurchase, LicenseTerm, Version
from assets.resolution import Context
from templates_app.models import Template
from templates_app.preflight import preflight_run
from tests.templates_app.conftest import license_version

END = datetime(2027, 6, 30, 23, 59, tzinfo=UTC)


@pytest.fixture
def letter(
    logo: Asset, delivered_logo: Version, letter_showing: Callable[..., Template]
) -> Template:
    """A letter whose logo comes from a purchase licensed for print in Germany until END."""
    license_version(
        delivered_logo,
        "lpt-1",
        valid_until=END,
        allowed_geographies=["geography_germany"],
        allowed_usages=["usage_print"],
    )
    return letter_showing(logo)


def verdict(
    letter: Template, actor: Any, at: datetime, region: str, channel: str
) -> tuple[str, list[str]]:
    contexts = [Context(region=region, channel=channel, at=at)]
    clearance = preflight_run(template=letter, run_at=at, contexts=contexts, actor=actor)
    return clearance.verdict, [reason["detail"] for reason in clearance.reasons]


def test_a_run_the_licence_covers_goes(letter: Template, designer: Any) -> None:
    at = datetime(2027, 1, 5, tzinfo=UTC)
    assert verdict(letter, designer, at, region="DE", channel="print") == ("go", [])


@pytest.mark.parametrize(
    ("at", "region", "channel", "problem"),
    [
        (datetime(2027, 7, 2, tzinfo=UTC), "DE", "print", "valid only until 2027-06-30"),
        (datetime(2027, 1, 5, tzinfo=UTC), "FR", "print", "not for region FR"),
        (datetime(2027, 1, 5, tzinfo=UTC), "DE", "email", "not for channel email"),
    ],
)
def test_a_run_outside_the_licence_is_no_go_with_the_reason(
    letter: Template, designer: Any, at: datetime, region: str, channel: str, problem: str
) -> None:
    result, details = verdict(letter, designer, at, region=region, channel=channel)
    assert result == "no-go"
    assert details == [
        f"Letter.logo: brand.logo.primary v1 for region {region}, channel {channel}: "
        f"its licence is {problem}."
    ]


def test_a_cancelled_purchase_covers_nothing(letter: Template, designer: Any) -> None:
    LicensePurchase.objects.update(state="cancelled")
    at = datetime(2027, 1, 5, tzinfo=UTC)
    result, details = verdict(letter, designer, at, region="DE", channel="print")
    assert result == "no-go" and "its Smint.io purchase was cancelled" in details[0]


def test_unknown_terms_are_not_judged(letter: Template, designer: Any) -> None:
    LicenseTerm.objects.update(allowed_geographies=None, allowed_usages=None, valid_until=None)
    at = datetime(2030, 1, 1, tzinfo=UTC)
    assert verdict(letter, designer, at, region="FR", channel="web") == ("go", [])
