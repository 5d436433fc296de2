"""Pre-flight says go only once Exstream holds the renditions the run's channels need."""

from collections.abc import Callable
from typing import Any

import pytest

from assets.models import Asset, Version
from assets.resolution import Context
from assets.selectors import clean_selectors
from assets.services import version_approve
from templates_app.models import Delivery, Template
from templates_app.preflight import preflight_run
from templates_app.services import binding_set
from tests import images


@pytest.fixture
def letter(logo: Asset, letter_showing: Callable[..., Template]) -> Template:
    return letter_showing(logo)


def check(letter: Template, designer: Any, channel: str) -> tuple[str, list[str]]:
    from datetime import UTC, datetime

    at = datetime(2027, 1, 5, tzinfo=UTC)
    clearance = preflight_run(
        template=letter, run_at=at, contexts=[Context(channel=channel)], actor=designer
    )
    return clearance.verdict, [reason["code"] for reason in clearance.reasons]


def approve(
    logo: Asset, add_version: Callable[..., Version], officer: Any, **selectors: Any
) -> Version:
    version = add_version(logo, selectors=clean_selectors(**selectors))
    return version_approve(version=version, actor=officer)


def test_a_rendition_still_pending_is_not_delivered(
    letter: Template, logo: Asset, add_version: Any, compliance_officer: Any, designer: Any
) -> None:
    approve(logo, add_version, compliance_officer)
    clearance = preflight_run(
        template=letter,
        run_at=Delivery.objects.first().created_at,  # type: ignore[union-attr]
        contexts=[Context(channel="print")],
        actor=designer,
    )
    assert [reason["code"] for reason in clearance.reasons] == ["not_delivered"]
    assert "print (pending)" in clearance.reasons[0]["detail"]


def test_a_version_too_coarse_for_print_gets_no_print_rendition_and_blocks_print_runs(
    letter: Template,
    logo: Asset,
    add_version: Any,
    compliance_officer: Any,
    designer: Any,
    deliver_all: Callable[[], Any],
) -> None:
    small = add_version(logo, data=images.png(400, 200))  # 254 dpi at 40 mm
    version_approve(version=small, actor=compliance_officer)  # open to every channel: a warning
    deliver_all()
    assert not Delivery.objects.filter(profile="print").exists()
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert check(letter, designer, "print") == ("no-go", ["not_delivered"])
    assert check(letter, designer, "email") == ("go", [])


def test_a_pinned_version_without_the_runs_channel_has_no_rendition_for_it(
    logo: Asset,
    add_version: Any,
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> None:
    web_only = approve(logo, add_version, compliance_officer, channels=["web"])
    deliver_all()
    pinned = make_template("Pinned")
    binding_set(template=pinned, slot="logo", version=web_only, actor=designer)
    assert check(pinned, designer, "web") == ("go", [])
    clearance = preflight_run(
        template=pinned,
        run_at=web_only.created_at,
        contexts=[Context(channel="print")],
        actor=designer,
    )
    assert [reason["code"] for reason in clearance.reasons] == ["not_delivered"]
    assert "no rendition for the print channel" in clearance.reasons[0]["detail"]


def test_the_evidence_names_the_renditions_exstream_holds(
    letter: Template,
    logo: Asset,
    add_version: Any,
    compliance_officer: Any,
    designer: Any,
    deliver_all: Callable[[], Any],
) -> None:
    version = approve(logo, add_version, compliance_officer)
    deliver_all()
    at = Delivery.objects.get(profile="print").created_at
    clearance = preflight_run(
        template=letter, run_at=at, contexts=[Context(channel="print")], actor=designer
    )
    [entry] = clearance.evidence["resolved"]
    print_rendition = version.renditions.get(profile="print")
    assert entry["renditions"] == [print_rendition.sha256]
