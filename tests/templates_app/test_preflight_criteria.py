"""Criteria where templates meet them: the widest print slot, and pre-flight's re-check."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from assets.criteria.services import criteria_set
from assets.models import Asset, Version
from assets.resolution import Context
from assets.selectors import clean_selectors
from templates_app.models import Template
from templates_app.preflight import preflight_run
from templates_app.services import binding_set
from tests import images

PRINT = clean_selectors(channels=["print"])


def rules(*items: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"rule": name, "params": params, "blocking": True} for name, params in items]


def test_the_widest_print_slot_decides_the_dpi(
    logo: Asset,
    add_version: Callable[..., Version],
    designer: Any,
    make_template: Callable[..., Template],
) -> None:
    binding_set(
        template=make_template("Wide"), slot="logo", asset=logo, actor=designer, print_width_mm=90
    )
    with pytest.raises(ValidationError, match="across 90 mm is 135 dpi"):
        add_version(logo, data=images.png(480, 240), selectors=PRINT)


def test_a_rule_tightened_after_approval_gives_criteria_failed_at_preflight(
    logo: Asset,
    delivered_logo: Version,
    compliance_officer: Any,
    designer: Any,
    letter_showing: Callable[..., Template],
) -> None:
    letter = letter_showing(logo)
    contexts = [Context(channel="print"), Context(channel="email")]
    at = datetime(2027, 1, 5, tzinfo=UTC)
    assert (
        preflight_run(template=letter, run_at=at, contexts=contexts, actor=designer).verdict == "go"
    )
    criteria_set(
        kind="logo",
        unit=logo.business_unit,
        rules=rules(("max_bytes", {"bytes": 100})),
        checklist=[],
        actor=compliance_officer,
    )
    clearance = preflight_run(template=letter, run_at=at, contexts=contexts, actor=designer)
    assert [reason["code"] for reason in clearance.reasons] == ["criteria_failed"]
    assert "fails max_bytes" in clearance.reasons[0]["detail"]
