"""A unit in Berlin's zone with an everyday logo in one template slot (inside a statement that
contains it as a component), a campaign visual approved and delivered, and a clock stopped
before go-live."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from assets.models import Asset, Version
from assets.services import asset_create, version_approve
from govern.models import BusinessUnit
from govern.services import unit_update
from templates_app.campaigns.services import campaign_approve, campaign_create, campaign_submit
from templates_app.models import Campaign, Template
from templates_app.services import binding_set, composition_add

START = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
GO_LIVE = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
ENDS = datetime(2027, 4, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scene(
    clock: Any,
    unit: BusinessUnit,
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    logo: Asset,
    add_version: Callable[..., Version],
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> dict[str, Any]:
    unit_update(unit=unit, actor=None, time_zone="Europe/Berlin")
    everyday = version_approve(version=add_version(logo), actor=compliance_officer)
    visual_asset = asset_create(
        key="campaign.spring.logo",
        title="Spring logo",
        kind="campaign_visual",
        unit=unit,
        actor=brand_manager,
    )
    visual = version_approve(version=add_version(visual_asset), actor=compliance_officer)
    header = make_template("Header component", kind="component")
    binding_set(template=header, slot="header_logo", asset=logo, actor=designer)
    statement = make_template("Savings statement")
    composition_add(parent=statement, child=header, actor=designer)
    deliver_all()
    return {
        "everyday": everyday,
        "visual": visual,
        "visual_asset": visual_asset,
        "header": header,
        "statement": statement,
        "logo": logo,
    }


def item(scene: dict[str, Any], **selectors: str) -> dict[str, Any]:
    return {
        "template": scene["header"].pk,
        "slot": "header_logo",
        "version": scene["visual"].pk,
        **selectors,
    }


def make_campaign(
    scene: dict[str, Any],
    actor: Any,
    *,
    name: str = "Spring renewal",
    go_live_at: datetime = GO_LIVE,
    ends_at: datetime | None = ENDS,
    items: list[dict[str, Any]] | None = None,
) -> Campaign:
    return campaign_create(
        unit=scene["header"].business_unit,
        name=name,
        go_live_at=go_live_at,
        ends_at=ends_at,
        time_zone="Europe/Berlin",
        items=items if items is not None else [item(scene)],
        actor=actor,
    )


def approved_campaign(
    scene: dict[str, Any], brand_manager: Any, officer: Any, **options: Any
) -> Campaign:
    campaign = make_campaign(scene, brand_manager, **options)
    campaign_submit(campaign=campaign, actor=brand_manager)
    return campaign_approve(campaign=campaign, actor=officer)
