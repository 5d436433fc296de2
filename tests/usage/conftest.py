"""A letter whose logo was approved, cleared by pre-flight and then reported by Exstream."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from assets.models import Asset, Version
from assets.resolution import Context
from assets.services import version_approve
from templates_app.models import Clearance, Template
from templates_app.preflight import preflight_run
from tests.templates_app.conftest import (  # noqa: F401  (shared fixtures)
    add_version,
    das_process,
    das_sandbox,
    disclaimer,
    letter_showing,
    logo,
    make_template,
    second_compliance_officer,
)
from usage.models import ProductionRun

APPROVED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLEARED_AT = datetime(2026, 11, 3, 5, 0, tzinfo=UTC)
RUN_START = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)
RUN_END = datetime(2026, 11, 3, 7, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DE_PRINT = {"region": "DE", "language": "de"}


@pytest.fixture(autouse=True)
def clock() -> Any:
    """Start every usage test after the run, so reports of it are in the past."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def approved_logo(
    logo: Asset, add_version: Callable[..., Version], compliance_officer: Any, clock: Any
) -> Version:
    clock.move_to(APPROVED_AT)
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    clock.move_to(NOW)
    return version


@pytest.fixture
def letter(
    approved_logo: Version, letter_showing: Callable[..., Template], logo: Asset
) -> Template:
    return letter_showing(logo, "Policy letter", exstream_id="EX-LETTER")


@pytest.fixture
def clearance(
    letter: Template, designer: Any, clock: Any, deliver_all: Callable[[], Any]
) -> Clearance:
    clock.move_to(CLEARED_AT)
    deliver_all()  # pre-flight says go only once Exstream holds the renditions
    cleared = preflight_run(
        template=letter,
        run_at=RUN_START,
        contexts=[Context(region="DE", language="de", channel="print")],
        actor=designer,
    )
    clock.move_to(NOW)
    assert cleared.verdict == "go"
    return cleared


@pytest.fixture
def run(approved_logo: Version, clearance: Clearance) -> ProductionRun:
    """Run R1: the approved logo in Germany's German print, cleared."""
    report("R1", [{"version": approved_logo.pk, **DE_PRINT}], clearance=clearance.pk)
    return ProductionRun.objects.get(run_id="R1")


@pytest.fixture
def api(integration_key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {integration_key}"})


def run_body(version: Version | None = None, **overrides: Any) -> dict[str, Any]:
    record = {
        "version": version.pk if version else None,
        "channel": "print",
        "region": "DE",
        "language": "de",
        "segment": "gold",
        "documents": 120_000,
        "pages": 240_000,
        "impressions": 120_000,
    }
    record.update(overrides.pop("record", {}))
    body = {
        "run_id": "RUN-2026-11-03-001",
        "template": "EX-LETTER",
        "started_at": RUN_START.isoformat(),
        "finished_at": RUN_END.isoformat(),
        "clearance": None,
        "records": [record],
    }
    body.update(overrides)
    return body


def report(
    run_id: str,
    lines: list[dict[str, Any]],
    *,
    started: datetime = RUN_START,
    finished: datetime | None = None,
    template: str = "EX-LETTER",
    clearance: int | None = None,
) -> Any:
    """Report a run through the ingestion service as Exstream's file import would."""
    from templates_app.models import Template
    from usage.models import RunSource
    from usage.reports import RunDigest, RunHeader, parse_record
    from usage.services import runs_ingest

    header = RunHeader(run_id, template, started, finished or started, clearance)
    defaults = {"channel": "print", "documents": 10, "pages": 20, "impressions": 10}
    records = [parse_record({**defaults, **line}) for line in lines]
    digest = RunDigest(header)
    for record in records:
        digest.add(record)
    return runs_ingest(
        digests=[digest],
        records=lambda: ((run_id, record) for record in records),
        source=RunSource.FILE,
        actor=None,
        templates=Template.objects.all(),
    )
