"""A production run in the Exstream sandbox asks Govern, reads its manifest and reports usage."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assets.models import Asset, Version
from assets.services import version_withdraw
from templates_app.models import Template
from tests.sandboxes.runner import post_json, start_sandbox, stop
from usage.models import ProductionRun, UsageException, UsageRecord


@pytest.fixture
def production(live_server: Any, integration_key: str, tmp_path: Path) -> Iterator[str]:
    url, process = start_sandbox(
        "exstream",
        tmp_path,
        environment={"GOVERN_API_KEY": integration_key},
        govern_url=live_server.url,
    )
    yield url
    stop(process)


RUN = {"template": "EX-LETTER", "contexts": [{"region": "DE", "channel": "print"}]}


def test_a_cleared_run_reports_its_usage_and_nothing_is_wrong(
    production: str, letter: Template
) -> None:
    answer = post_json(f"{production}/_sandbox/runs", {**RUN, "run_id": "SBX-1", "documents": 500})
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["preflight"]["verdict"] == "go"
    assert body["govern_status"] == 201 and body["govern"]["exceptions"] == []
    run = ProductionRun.objects.get(run_id="SBX-1")
    assert run.clearance_id == body["preflight"]["clearance"]
    record = UsageRecord.objects.get(run=run)
    assert (record.region, record.channel, record.documents) == ("DE", "print", 500)


def test_a_run_from_an_old_package_after_a_recall_raises_exceptions(
    production: str, letter: Template, logo: Asset, compliance_officer: Any
) -> None:
    assert post_json(f"{production}/_sandbox/runs", {**RUN, "run_id": "SBX-1"}).status == 200
    version = Version.objects.get(variant__asset=logo, state="approved")
    version_withdraw(version=version, actor=compliance_officer, comment="Recalled")
    refused = post_json(f"{production}/_sandbox/runs", {**RUN, "use_cached_manifest": True})
    assert refused.status == 409 and refused.json()["error"] == "no_go"
    said = refused.json()["detail"]
    assert "; unresolved: Policy letter.logo: " in said and "{'code'" not in said, "in words"
    assert ProductionRun.objects.count() == 1
    stale = {**RUN, "run_id": "SBX-2", "use_cached_manifest": True, "force": True}
    answer = post_json(f"{production}/_sandbox/runs", stale)
    assert answer.status == 200, answer.body
    codes = sorted(exception["code"] for exception in answer.json()["govern"]["exceptions"])
    assert codes == ["unapproved_use", "uncleared_run"]
    assert UsageException.objects.get(code="unapproved_use").version_id == version.pk


def test_an_unknown_template_is_refused(production: str, letter: Template) -> None:
    answer = post_json(f"{production}/_sandbox/runs", {**RUN, "template": "EX-NONE"})
    assert answer.status == 404


def test_a_bad_document_count_is_refused(production: str, letter: Template) -> None:
    for documents in ("many", -1, 10**10, True):
        answer = post_json(f"{production}/_sandbox/runs", {**RUN, "documents": documents})
        assert answer.status == 400, documents
    assert not ProductionRun.objects.exists()


def test_the_demo_says_what_reconciliation_found_in_words() -> None:
    from usage.management.commands.demo_runs import _exceptions

    assert _exceptions([]) == "reconciliation found nothing wrong"
    assert _exceptions(["uncleared_run", "unapproved_use"]) == (
        "reconciliation found uncleared run, unapproved use: see Exceptions (/usage/exceptions/)"
    )
