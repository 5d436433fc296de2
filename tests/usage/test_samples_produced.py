"""Documents the Exstream sandbox produces through Orchestration, over real HTTP, from what Govern
pushed into DAS: read as samples, the approved logo matches; a stale one the sandbox embeds is
named as superseded; an image of its own is unknown; an edited text is altered."""

import base64
import json
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from assets.models import Asset, Version
from assets.produced.reading import read_pdf
from assets.renditions import rendition_for
from assets.services import version_approve
from assets.storage import read_content
from templates_app.exstream import gateway
from templates_app.models import Clearance
from templates_app.outbox.worker import remote_name
from tests import images
from tests.sandboxes.runner import Response, call, post_json
from tests.usage.conftest import DE_PRINT, RUN_START, report
from usage.models import ProductionRun, SampleImage, UsageException
from usage.samples.services import sample_add
from usage.tasks import read_samples

TOKEN_PATH = "/otdsws/otdstenant/govern/oauth2/token"
ENTITY = b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"
GENERATE = "/orchestration/api/v1/inputs/ondemand/govern/generate"


def push(version: Version, profile: str = "print") -> None:
    """Put a rendition into DAS as Govern's outbox does."""
    rendition = rendition_for(version, profile)
    gateway.push_image(
        name=remote_name(version, profile),
        data=read_content(rendition.file),
        media_type=rendition.media_type,
        properties={"sha256": rendition.sha256},
        key=str(uuid.uuid4()),
    )


def communication(base: str, name: str, *assets: str) -> str:
    links = [{"object": key, "slot": key.split(".")[-1]} for key in assets]
    body = {"name": name, "type": "exstrapplication", "description": "Policy letter"}
    answer = post_json(f"{base}/_sandbox/resources", {**body, "links": links})
    assert answer.status == 201, answer.body
    return str(answer.json()["id"])


def token(base: str) -> str:
    form = {
        "grant_type": "password",
        "client_id": "govern",
        "username": "govern-service",
        "password": "sandbox-password",
        "scope": "otds:groups",
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode(form).encode()
    answer = call("POST", base + TOKEN_PATH, body=body, headers=headers)
    return str(answer.json()["access_token"])


def generate(
    base: str,
    communication_id: str,
    driver: bytes = b'{"name": "A. Customer", "language": "de"}',
    **headers: str,
) -> Response:
    sent = {
        "Authorization": f"Bearer {token(base)}",
        "communicationId": communication_id,
        "driverDataSource": "customers",
        "Content-Type": "application/json",
        "Accept": "application/pdf",
        **headers,
    }
    return call("POST", base + GENERATE, body=driver, headers=sent, timeout=30)


def switch(base: str, **switches: Any) -> None:
    assert post_json(f"{base}/_sandbox/output", switches).status == 200


def read_as_sample(run: ProductionRun, pdf: bytes, name: str) -> list[SampleImage]:
    sample, _ = sample_add(run=run, data=pdf, file_name=name, actor=None, channel="print")
    assert read_samples() == {"read": 1}
    return list(SampleImage.objects.filter(sample=sample))


def test_orchestration_embeds_the_approved_print_rendition_and_it_matches(
    das_sandbox: str, approved_logo: Version, run: ProductionRun
) -> None:
    push(approved_logo)
    letter = communication(das_sandbox, "EX-LETTER", "brand.logo.primary")
    answer = generate(das_sandbox, letter)
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/pdf"
    [page] = read_pdf(answer.body)
    assert "Policy letter" in page.text and "name: A. Customer" in page.text
    [image] = read_as_sample(run, answer.body, "proof.pdf")
    assert (image.outcome, image.version_id) == ("approved", approved_logo.pk)
    assert not UsageException.objects.filter(code__startswith="as_produced").exists()


def test_a_stale_image_the_sandbox_embeds_is_named_as_superseded(
    das_sandbox: str,
    logo: Asset,
    approved_logo: Version,
    clearance: Clearance,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    clock: Any,
) -> None:
    push(approved_logo)
    clock.move_to(RUN_START - timedelta(hours=1))
    red = images.png(480, 240, (200, 30, 30))
    newer = version_approve(version=add_version(logo, data=red), actor=compliance_officer)
    push(newer)
    clock.move_to(RUN_START + timedelta(days=1))
    report("R2", [{"version": newer.pk, **DE_PRINT}])
    letter = communication(das_sandbox, "EX-LETTER", "brand.logo.primary")
    [fresh] = read_as_sample(
        ProductionRun.objects.get(run_id="R2"), generate(das_sandbox, letter).body, "fresh.pdf"
    )
    assert (fresh.outcome, fresh.version_id) == ("approved", newer.pk)
    switch(das_sandbox, stale_images=True)
    [stale] = read_as_sample(
        ProductionRun.objects.get(run_id="R2"), generate(das_sandbox, letter).body, "stale.pdf"
    )
    assert (stale.outcome, stale.version_id) == ("unapproved", approved_logo.pk)
    [exception] = UsageException.objects.filter(code="as_produced_unapproved")
    assert exception.version_id == approved_logo.pk
    assert exception.evidence["state_at_run"] == "superseded"


def test_an_image_of_the_sandboxs_own_is_unknown(
    das_sandbox: str, approved_logo: Version, run: ProductionRun
) -> None:
    push(approved_logo)
    switch(das_sandbox, local_image=True)
    letter = communication(das_sandbox, "EX-LETTER", "brand.logo.primary")
    [image] = read_as_sample(run, generate(das_sandbox, letter).body, "local.pdf")
    assert image.outcome == "unknown"
    assert UsageException.objects.filter(code="as_produced_unknown").count() == 1


def test_without_asking_for_a_pdf_the_outputs_come_as_orchestration_lists_them(
    das_sandbox: str, approved_logo: Version
) -> None:
    push(approved_logo)
    letter = communication(das_sandbox, "EX-LETTER", "brand.logo.primary")
    answer = generate(das_sandbox, letter, Accept="application/json")
    assert answer.status == 200
    [output] = answer.json()["data"]
    assert output["mimeType"] == "application/pdf"
    assert output["engineOutputContext"]["fileName"] == "EX-LETTER-v1"
    assert base64.b64decode(output["content"]).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("headers", "driver", "status", "said"),
    [
        ({"Authorization": "Bearer nope"}, b"{}", 401, "invalid_token"),
        ({"communicationId": "no-such-id"}, b"{}", 404, "unknown_resource"),
        ({"driverDataSource": ""}, b"{}", 400, "driverDataSource"),
        ({"Content-Type": "text/csv"}, b"a,b", 415, "unsupported_media_type"),
        ({}, b"[1, 2]", 400, "must be an object"),
        ({"Content-Type": "application/xml"}, ENTITY, 400, "XML"),
        ({"Accept": "image/png"}, b"{}", 406, "not_acceptable"),
    ],
)
def test_orchestration_refuses_what_it_cannot_produce_from(
    das_sandbox: str, headers: dict[str, str], driver: bytes, status: int, said: str
) -> None:
    letter = communication(das_sandbox, "EX-LETTER")
    answer = generate(das_sandbox, letter, driver, **headers)
    assert answer.status == status
    assert said in json.dumps(answer.json())


def test_a_switched_off_orchestration_answers_503(das_sandbox: str) -> None:
    switch(das_sandbox, unavailable=True)
    answer = generate(das_sandbox, communication(das_sandbox, "EX-LETTER"))
    assert answer.status == 503
