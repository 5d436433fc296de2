"""Pre-flight with proof: Exstream's Orchestration (the DAS sandbox, over real HTTP) produces a
document per context from the driver data the template's owner stored; Govern reads it and says
`proof_mismatch` for each image or text that differs from what it resolved, `proof_unavailable`
when no document comes."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from assets.models import Asset, Version
from assets.resolution import Context
from assets.services import version_approve
from audit.models import AuditEvent
from templates_app.driver_samples import driver_sample_store
from templates_app.models import Clearance, DriverSample, Review, Template
from templates_app.preflight import preflight_run
from templates_app.services import binding_set, reviews_acknowledge
from tests import images
from tests.conftest import signed
from tests.sandboxes.runner import post_json

DE_PRINT = Context(region="DE", language="de", channel="print")
DRIVER = b'{"customer": "A. Customer", "policy": "P-1"}'
TERMS = "Interest rates may change. Terms and conditions apply to every policy."


def deliver() -> None:
    call_command("deliver", "--until-idle", stdout=io.StringIO())


def communication(base: str, name: str, *assets: str) -> None:
    links = [{"object": key, "slot": key.rsplit(".", 1)[-1]} for key in assets]
    body = {"name": name, "type": "exstrapplication", "description": "Policy letter"}
    assert post_json(f"{base}/_sandbox/resources", {**body, "links": links}).status == 201


def switch(base: str, **switches: Any) -> None:
    assert post_json(f"{base}/_sandbox/output", switches).status == 200


@pytest.fixture
def letter(
    das_sandbox: str,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    letter_showing: Callable[..., Template],
    designer: Any,
) -> Template:
    """A letter showing the approved logo, pushed into DAS, with driver data for DE print."""
    version_approve(version=add_version(logo), actor=compliance_officer)
    letter = letter_showing(logo, "Policy letter", exstream_id="EX-LETTER")
    deliver()
    communication(das_sandbox, "EX-LETTER", "brand.logo.primary")
    driver_sample_store(
        template=letter, data=DRIVER, file_name="de.json", actor=designer, region="DE",
        language="de", channel="print",
    )  # fmt: skip
    return letter


def proof(letter: Template, designer: Any, context: Context = DE_PRINT) -> Clearance:
    return preflight_run(
        template=letter, run_at=letter.created_at, contexts=[context], actor=designer, proof=True
    )


def codes(clearance: Clearance) -> list[str]:
    return sorted(reason["code"] for reason in clearance.reasons)


def test_a_proof_that_shows_what_was_resolved_goes_and_is_in_the_evidence(
    letter: Template, designer: Any
) -> None:
    cleared = proof(letter, designer)
    assert (cleared.verdict, cleared.reasons) == ("go", [])
    [made] = cleared.evidence["proofs"]
    assert made["context"] == "language de, region DE, channel print"
    assert len(made["sha256"]) == 64 and made["driver_sha256"] == DriverSample.objects.get().sha256
    [image] = made["images"]
    approved = Version.objects.get(state="approved")
    assert (image["page"], image["version"]) == (1, approved.pk)


def test_an_image_exstream_made_up_is_a_mismatch_and_the_logo_it_replaced_is_missing(
    letter: Template, designer: Any, das_sandbox: str
) -> None:
    switch(das_sandbox, local_image=True)
    cleared = proof(letter, designer)
    assert cleared.verdict == "no-go"
    said = [reason["detail"] for reason in cleared.reasons]
    assert codes(cleared) == ["proof_mismatch", "proof_mismatch"]
    assert any("page 1 shows an image that matches nothing Govern knows" in s for s in said)
    assert any("logo should show brand.logo.primary v1; the proof does not." in s for s in said)


def test_a_stale_image_in_the_proof_is_a_mismatch_naming_it(
    letter: Template,
    designer: Any,
    das_sandbox: str,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
) -> None:
    red = images.png(480, 240, (200, 30, 30))
    version_approve(version=add_version(logo, data=red), actor=compliance_officer)
    deliver()
    reviews_acknowledge(reviews=list(Review.objects.all()), actor=designer, note="Checked")
    fresh = proof(letter, designer)
    assert (fresh.verdict, codes(fresh)) == ("go", [])
    switch(das_sandbox, stale_images=True)
    cleared = proof(letter, designer)
    said = " ".join(reason["detail"] for reason in cleared.reasons)
    assert codes(cleared) == ["proof_mismatch", "proof_mismatch"]
    assert "page 1 shows brand.logo.primary v1, which pre-flight did not resolve" in said
    assert "logo should show brand.logo.primary v2" in said


def test_an_edited_text_in_the_proof_is_a_mismatch_with_the_edited_words(
    letter: Template,
    designer: Any,
    das_sandbox: str,
    disclaimer: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    second_compliance_officer: Any,
) -> None:
    terms = add_version(disclaimer, text=TERMS)
    for officer in (compliance_officer, second_compliance_officer):
        terms = version_approve(version=terms, actor=officer, signature=signed(officer))
    binding_set(template=letter, slot="terms", asset=disclaimer, actor=designer)
    deliver()
    post_json(f"{das_sandbox}/_sandbox/links", {"subject": "EX-LETTER", "object": disclaimer.key})
    assert codes(proof(letter, designer)) == []
    switch(das_sandbox, text_edits=[["may change", "are fixed"]])
    cleared = proof(letter, designer)
    [mismatch] = cleared.reasons
    assert mismatch["code"] == "proof_mismatch"
    assert (
        f"carries {terms} altered: [removed: may change] [added: are fixed]" in (mismatch["detail"])
    )


def test_no_driver_data_is_unavailable_and_the_unit_decides_whether_that_blocks(
    letter: Template, designer: Any
) -> None:
    elsewhere = Context(region="AT", language="de", channel="print")
    cleared = proof(letter, designer, elsewhere)
    assert cleared.verdict == "no-go"
    assert cleared.reasons == [
        {
            "code": "proof_unavailable",
            "detail": "language de, region AT, channel print: no driver data is stored for this "
            "context",
        }
    ]
    from govern.services import unit_update

    unit_update(unit=letter.business_unit, actor=None, proof_unavailable_blocks=False)
    letter.refresh_from_db()
    relaxed = proof(letter, designer, elsewhere)
    assert relaxed.verdict == "go"
    assert [warning["code"] for warning in relaxed.warnings] == ["proof_unavailable"]


def test_an_orchestration_that_cannot_produce_is_unavailable_with_its_reason(
    letter: Template, designer: Any, das_sandbox: str
) -> None:
    switch(das_sandbox, unavailable=True)
    [reason] = proof(letter, designer).reasons
    assert reason["code"] == "proof_unavailable"
    assert "Exstream did not produce it: " in reason["detail"] and "503" in reason["detail"]


def test_without_proof_no_document_is_asked_for(letter: Template, designer: Any) -> None:
    switch_off = preflight_run(
        template=letter, run_at=letter.created_at, contexts=[DE_PRINT], actor=designer
    )
    assert "proofs" not in switch_off.evidence and switch_off.verdict == "go"


def api_post(client: Client, template: Template, data: bytes, **fields: str) -> Any:
    upload = io.BytesIO(data)
    upload.name = "driver.json"
    return client.post(
        f"/api/v1/templates/{template.pk}/driver-samples/", {"file": upload, **fields}
    )


def test_driver_data_is_kept_per_context_through_the_api_and_replaced_by_the_next(
    letter: Template, designer: Any, integration_key: str
) -> None:
    client = Client(headers={"Authorization": f"Bearer {integration_key}"})
    first = api_post(client, letter, b"<customer><name>B</name></customer>", region="AT")
    assert first.status_code == 201, first.content
    assert (first.json()["media_type"], first.json()["region"]) == ("application/xml", "AT")
    again = api_post(client, letter, b'{"name": "C"}', region="AT")
    assert again.status_code == 200 and again.json()["media_type"] == "application/json"
    assert DriverSample.objects.filter(template=letter).count() == 2
    listed = client.get(f"/api/v1/templates/{letter.pk}/driver-samples/").json()
    assert [item["region"] for item in listed] == ["DE", "AT"]
    stored = AuditEvent.objects.filter(action="template.driver_sample_stored")
    assert [event.data["replaced"] for event in stored.order_by("pk")] == [False, False, True]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"not json", "Driver data is a JSON object or an XML document."),
        (b"[1, 2]", "JSON driver data is one object."),
        (b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "The XML cannot be read"),
        (b"\xff\xfe", "Driver data is UTF-8 text."),
        (b"{" + b" " * 1_000_001 + b"}", "at most 1000 KB"),
    ],
)
def test_bad_driver_data_is_refused_with_a_reason(
    letter: Template, designer: Any, data: bytes, said: str
) -> None:
    with pytest.raises(ValidationError, match=said):
        driver_sample_store(template=letter, data=data, file_name="x", actor=designer)
    assert DriverSample.objects.count() == 1


def test_pre_flight_through_the_api_asks_for_proof_and_says_which_documents_it_read(
    letter: Template, integration_key: str
) -> None:
    client = Client(headers={"Authorization": f"Bearer {integration_key}"})
    body = {
        "run_at": "2026-12-01T06:00:00Z",
        "contexts": [{"region": "DE", "language": "de", "channel": "print"}],
        "proof": True,
    }
    answer = client.post(
        f"/api/v1/templates/{letter.pk}/preflight/", body, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    [made] = answer.json()["proofs"]
    assert made["context"] == "language de, region DE, channel print" and len(made["sha256"]) == 64
    many = {**body, "contexts": [{"region": f"A{n}"[:2]} for n in range(11)]}
    refused = client.post(
        f"/api/v1/templates/{letter.pk}/preflight/", many, content_type="application/json"
    )
    assert refused.status_code == 400 and "at most 10 contexts" in refused.content.decode()


def test_driver_data_is_kept_by_the_units_template_editors_only(
    letter: Template, outsider: Any, auditor: Any, compliance_officer: Any, client_for: Any
) -> None:
    api = f"/api/v1/templates/{letter.pk}/driver-samples/"
    page = f"/templates/{letter.pk}/driver-samples/"
    for path in (api, page):
        upload = io.BytesIO(DRIVER)
        upload.name = "d.json"
        assert client_for(outsider).post(path, {"file": upload}).status_code == 404
        for role in (auditor, compliance_officer):
            upload = io.BytesIO(DRIVER)
            upload.name = "d.json"
            assert client_for(role).post(path, {"file": upload}).status_code == 403
    assert client_for(outsider).get(api).status_code == 404
    assert DriverSample.objects.count() == 1


def test_the_template_page_keeps_driver_data_and_asks_pre_flight_with_proof(
    letter: Template, designer: Any, client_for: Any
) -> None:
    client = client_for(designer)
    upload = io.BytesIO(b"<customer><name>B</name></customer>")
    upload.name = "at.xml"
    kept = client.post(
        f"/templates/{letter.pk}/driver-samples/",
        {"file": upload, "region": "AT", "language": "de", "channel": "print"},
        follow=True,
    )
    assert "Driver data for language de, region AT, channel print kept." in kept.content.decode()
    assert "at.xml" in kept.content.decode()
    asked = client.post(
        f"/templates/{letter.pk}/preflight/",
        {"run_at": "2026-12-01T07:00", "region": "DE", "language": "de", "channel": "print",
         "proof": "on"},
        follow=True,
    )  # fmt: skip
    assert asked.status_code == 200
    [clearance] = Clearance.objects.all()
    assert clearance.verdict == "go" and len(clearance.evidence["proofs"]) == 1
    shown = clearance.evidence["proofs"][0]["sha256"][:12]
    assert f'<span class="mono">{shown}…</span>, 1 image' in asked.content.decode()
