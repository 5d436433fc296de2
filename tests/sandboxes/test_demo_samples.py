"""The demo as `make run` plays it: Govern pushes into the DAS sandbox, the sandbox's production
runs attach the documents Orchestration made, and a worker reads them. The welcome letter's logo
matches; the statement whose disclaimer the sandbox edited is `as_produced_altered` with the
edited words; the policy letter made from the old package shows the superseded logo and is
`as_produced_unapproved`, naming it."""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from assets.models import Version
from console.management.commands.serve import sandbox_key
from govern.models import WorkerHeartbeat
from templates_app.exstream import gateway
from templates_app.outbox import worker as outbox
from tests.sandboxes.runner import start_sandbox, stop
from usage.management.commands import demo_runs
from usage.models import ProductionSample, SampleImage, UsageException
from usage.tasks import read_samples


@pytest.fixture
def played(
    live_server: Any, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    call_command("seed_demo", "--password", "demo-pass-for-samples", stdout=io.StringIO())
    url, process = start_sandbox(
        "exstream",
        tmp_path,
        environment={"GOVERN_API_KEY": sandbox_key()},
        govern_url=live_server.url,
    )
    try:
        settings.EXSTREAM_API, settings.EXSTREAM_URL = "das", url
        settings.EXSTREAM_DOMAIN = "govern"
        settings.EXSTREAM_TOKEN_URL = f"{url}/otdsws/otdstenant/govern/oauth2/token"
        settings.EXSTREAM_CLIENT_ID, settings.EXSTREAM_OTDS_SCOPE = "govern", "otds:groups"
        settings.EXSTREAM_USERNAME = "govern-service"
        settings.EXSTREAM_PASSWORD = "sandbox-password"  # noqa: S105 - the sandbox's default
        settings.EXSTREAM_TRANSPORT = "api"
        gateway.reset()
        WorkerHeartbeat.objects.create(name="test", beat_at=timezone.now())
        monkeypatch.setattr(demo_runs, "_wait_for_deliveries", outbox.drain)  # no worker here
        out = io.StringIO()
        call_command("demo_runs", "--govern-url", live_server.url, stdout=out)
        while read_samples().get("read"):
            pass
        yield out.getvalue()
    finally:
        gateway.reset()
        stop(process)


def images_of(run_id: str) -> list[SampleImage]:
    return list(SampleImage.objects.filter(sample__run__run_id=run_id).order_by("pk"))


@pytest.mark.django_db(transaction=True)
def test_the_demos_samples_show_a_match_an_edited_disclaimer_and_a_superseded_logo(
    played: str,
) -> None:
    assert ProductionSample.objects.filter(state="read").count() == 4, played
    [welcome] = images_of("DEMO-INSURANCE-1")
    assert (welcome.outcome, str(welcome.version)) == ("approved", "insurance.logo.primary v1")
    [letter] = images_of("DEMO-BANKING-1")
    assert letter.outcome == "approved"
    [altered] = UsageException.objects.filter(code="as_produced_altered")
    assert altered.run.run_id == "DEMO-BANKING-3"
    assert ["removed", "may change"] in altered.evidence["diff"]
    assert ["added", "are fixed"] in altered.evidence["diff"]
    [old_logo] = images_of("DEMO-BANKING-2")
    assert (old_logo.outcome, str(old_logo.version)) == ("unapproved", "banking.logo.primary v1")
    [unapproved] = UsageException.objects.filter(code="as_produced_unapproved")
    assert unapproved.evidence["state_at_run"] == "superseded"
    assert "DEMO-BANKING-2: produced; 1 document attached as a sample" in played


@pytest.mark.django_db(transaction=True)
def test_the_demos_letters_are_proved_and_a_stale_image_is_a_mismatch(played: str) -> None:
    from django.conf import settings

    from assets.resolution import Context
    from templates_app.models import Template
    from templates_app.preflight import preflight_run
    from tests.sandboxes.runner import post_json

    dana = User.objects.get(username="dana")
    welcome = Template.objects.get(exstream_id="INSURANCE-WELCOME-LETTER")
    germany = Context(region="DE", language="de", channel="print")
    proved = preflight_run(
        template=welcome, run_at=timezone.now(), contexts=[germany], actor=dana, proof=True
    )
    assert (proved.verdict, proved.reasons) == ("go", [])
    [image] = proved.evidence["proofs"][0]["images"]
    assert (
        image["version"]
        == Version.objects.get(variant__asset__key="insurance.logo.primary", number=1).pk
    )
    post_json(f"{settings.EXSTREAM_URL}/_sandbox/output", {"stale_images": True})
    banking = Template.objects.get(exstream_id="BANKING-WELCOME-LETTER")
    britain = Context(region="GB", language="en", channel="print")
    stale = preflight_run(
        template=banking, run_at=timezone.now(), contexts=[britain], actor=dana, proof=True
    )
    said = [reason["detail"] for reason in stale.reasons if reason["code"] == "proof_mismatch"]
    assert any("shows banking.logo.primary v1, which pre-flight did not resolve" in s for s in said)
