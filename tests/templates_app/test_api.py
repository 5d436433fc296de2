"""The templates API through HTTP: registration, graph edits, reviews, replacements, pre-flight."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assets.models import Asset, Rendition, Version
from assets.selectors import clean_selectors
from assets.services import version_approve, version_reject, version_submit, version_withdraw
from audit.models import AuditEvent
from govern.roles import Role
from templates_app.models import Clearance, ReplacementRequest, Review, Template
from templates_app.services import binding_set, composition_add

ClientFor = Callable[[Any], Client]
MakeTemplate = Callable[..., Template]
CONTEXT = {"region": "DE", "language": "de", "segment": "gold", "channel": "print"}


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type="application/json")


@pytest.fixture
def approved_logo(
    logo: Asset, add_version: Callable[..., Version], compliance_officer: Any
) -> Version:
    return version_approve(version=add_version(logo), actor=compliance_officer)


@pytest.fixture
def letter(
    make_template: MakeTemplate, logo: Asset, designer: Any, approved_logo: Version
) -> Template:
    """A letter containing a footer component whose logo slot binds the logo."""
    footer = make_template("Footer", kind="component")
    binding_set(template=footer, slot="logo", asset=logo, actor=designer)
    letter = make_template("Letter")
    composition_add(parent=letter, child=footer, actor=designer)
    return letter


def preflight(client: Client, template: Template, **body: Any) -> Any:
    payload = {"run_at": "2026-12-01T06:00:00Z", "contexts": [CONTEXT], **body}
    return post(client, f"/api/v1/templates/{template.pk}/preflight/", payload)


def test_designer_registers_a_template_and_builds_its_graph(
    designer: Any, logo: Asset, client_for: ClientFor
) -> None:
    client = client_for(designer)
    body = {
        "exstream_id": "EX-9",
        "name": "Statement",
        "kind": "communication",
        "channels": ["print", "email"],
        "business_unit": "insurance-de",
    }
    made = post(client, "/api/v1/templates/", body)
    assert made.status_code == 201, made.content
    assert made.json()["owners"] == ["dana"] and made.json()["channels"] == ["email", "print"]
    footer = post(
        client, "/api/v1/templates/", {**body, "exstream_id": "EX-10", "kind": "component"}
    ).json()
    statement_id = made.json()["id"]
    added = post(
        client, f"/api/v1/templates/{statement_id}/components/", {"component": footer["id"]}
    )
    assert added.json()["components"] == [footer["id"]]
    cycle = post(
        client, f"/api/v1/templates/{footer['id']}/components/", {"component": statement_id}
    )
    assert cycle.status_code == 400 and "cycle" in cycle.json()["detail"]
    bound = post(
        client, f"/api/v1/templates/{footer['id']}/bindings/", {"slot": "logo", "asset": logo.pk}
    )
    assert bound.status_code == 201 and bound.json()["asset"] == "brand.logo.primary"
    assert post(client, "/api/v1/templates/", body).status_code == 409
    removed = client.delete(f"/api/v1/templates/{statement_id}/components/{footer['id']}/")
    assert removed.status_code == 204


def test_template_writes_are_refused_outside_scope_and_for_read_only_roles(
    letter: Template, auditor: Any, outsider: Any, client_for: ClientFor
) -> None:
    body = {"slot": "x", "asset": 1}
    assert (
        post(client_for(outsider), f"/api/v1/templates/{letter.pk}/bindings/", body).status_code
        == 404
    )
    assert (
        post(client_for(auditor), f"/api/v1/templates/{letter.pk}/bindings/", body).status_code
        == 403
    )
    assert client_for(outsider).get(f"/api/v1/templates/{letter.pk}/").status_code == 404
    assert client_for(auditor).get(f"/api/v1/templates/{letter.pk}/").status_code == 200


def test_preflight_goes_for_a_cleared_template_with_an_integration_key(
    letter: Template,
    integration_key: str,
    api_client_for_key: Callable[[str], Client],
    deliver_all: Callable[[], Any],
) -> None:
    deliver_all()
    response = preflight(api_client_for_key(integration_key), letter)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["verdict"], body["reasons"]) == ("go", [])
    clearance = Clearance.objects.get(pk=body["clearance"])
    assert clearance.contexts == [CONTEXT]
    assert clearance.evidence["resolved"][0]["sha256"]
    held = clearance.evidence["resolved"][0]["renditions"]
    assert held and set(held) <= set(Rendition.objects.values_list("sha256", flat=True))
    event = AuditEvent.objects.get(action="preflight.checked")
    assert (event.data["verdict"], event.data["evidence_hash"]) == ("go", clearance.evidence_hash)
    assert event.actor_name == "exstream-prod"


def test_preflight_gives_every_reason_for_no_go(
    letter: Template,
    logo: Asset,
    add_version: Callable[..., Version],
    approved_logo: Version,
    compliance_officer: Any,
    designer: Any,
    make_template: MakeTemplate,
    integration_key: str,
    api_client_for_key: Callable[[str], Client],
    deliver_all: Callable[[], Any],
) -> None:
    version_approve(version=add_version(logo), actor=compliance_officer)  # opens reviews
    deliver_all()
    pinned_template = make_template("Pinned")
    binding_set(template=pinned_template, slot="seal", version=approved_logo, actor=designer)
    composition_add(parent=letter, child=pinned_template, actor=designer)
    Review.objects.filter(template=pinned_template).delete()  # only the pin should speak for it
    terms = Asset.objects.create(
        key="legal.terms", title="Terms", kind="legal_artwork", business_unit=letter.business_unit
    )
    binding_set(template=letter, slot="terms", asset=terms, actor=designer)
    body = preflight(api_client_for_key(integration_key), letter).json()
    assert body["verdict"] == "no-go"
    codes = sorted(reason["code"] for reason in body["reasons"])
    assert codes == ["open_review", "open_review", "pinned_not_approved", "unresolved"]
    unresolved = next(r for r in body["reasons"] if r["code"] == "unresolved")
    assert unresolved["detail"] == (
        "Letter.terms: No variant of legal.terms fits "
        "language de, region DE, segment gold, channel print."
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"run_at": "2026-12-01T06:00:00"}, "time zone"),
        ({"contexts": [{**CONTEXT, "channel": "fax"}]}, "Unknown channel"),
        ({"contexts": [{**CONTEXT, "planet": "mars"}]}, "Unknown field"),
        ({"contexts": []}, "at least one context"),
    ],
)
def test_bad_preflight_input_gets_400_and_stores_nothing(
    letter: Template,
    integration_key: str,
    api_client_for_key: Callable[[str], Client],
    body: dict[str, Any],
    fragment: str,
) -> None:
    response = preflight(api_client_for_key(integration_key), letter, **body)
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    assert not Clearance.objects.exists()


def test_preflight_needs_a_role_that_runs_it(
    letter: Template, brand_manager: Any, client_for: ClientFor
) -> None:
    assert preflight(client_for(brand_manager), letter).status_code == 403


def test_owner_acknowledges_and_the_template_is_cleared_again(
    letter: Template,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_user: Callable[..., Any],
    unit: Any,
    client_for: ClientFor,
) -> None:
    version_approve(version=add_version(logo), actor=compliance_officer)
    reviews = client_for(designer).get("/api/v1/reviews/?state=open&mine=1").json()["results"]
    assert len(reviews) == 2
    stranger = make_user("dora", Role.COMMUNICATION_DESIGNER, unit)
    refused = post(client_for(stranger), f"/api/v1/reviews/{reviews[0]['id']}/acknowledge/")
    assert refused.status_code == 403
    done = post(
        client_for(designer),
        "/api/v1/reviews/acknowledge/",
        {"reviews": [r["id"] for r in reviews], "note": "Checked the proofs"},
    )
    assert done.json() == {"acknowledged": 2}
    assert set(Template.objects.values_list("state", flat=True)) == {"cleared"}
    again = post(client_for(designer), f"/api/v1/reviews/{reviews[0]['id']}/acknowledge/")
    assert again.status_code == 409


def test_request_changes_goes_to_brand_managers_who_fulfil_or_decline(
    letter: Template,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    brand_manager: Any,
    client_for: ClientFor,
) -> None:
    version_approve(version=add_version(logo), actor=compliance_officer)
    review = Review.objects.filter(template=letter).get()
    asked = post(
        client_for(designer),
        f"/api/v1/reviews/{review.pk}/request-changes/",
        {"reason": "Too dark on recycled paper", "wanted_by": "2099-01-31"},
    )
    assert asked.status_code == 201 and asked.json()["state"] == "open"
    assert Template.objects.get(pk=letter.pk).state == "needs_review"
    manager = client_for(brand_manager)
    listed = manager.get("/api/v1/replacement-requests/?state=open").json()["results"]
    assert [item["reason"] for item in listed] == ["Too dark on recycled paper"]
    lighter = add_version(logo, submit=False, selectors=clean_selectors())
    fulfilled = post(
        manager, f"/api/v1/replacement-requests/{listed[0]['id']}/fulfil/", {"version": lighter.pk}
    )
    assert fulfilled.json()["state"] == "answered", "answered while the version is in review"
    assert fulfilled.json()["fulfilled_version"] == lighter.pk
    again = post(
        manager, f"/api/v1/replacement-requests/{listed[0]['id']}/decline/", {"reason": "x"}
    )
    assert again.status_code == 409
    early = post(client_for(designer), f"/api/v1/reviews/{review.pk}/acknowledge/")
    assert early.status_code == 409 and early.json()["error"] == "replacement_pending"
    version_approve(
        version=version_submit(version=lighter, actor=brand_manager), actor=compliance_officer
    )
    seen = client_for(designer).get("/api/v1/replacement-requests/").json()["results"]
    assert seen[0]["state"] == "fulfilled", "the requester sees the outcome"
    assert ReplacementRequest.objects.get().decided_by == brand_manager
    done = post(client_for(designer), f"/api/v1/reviews/{review.pk}/acknowledge/")
    assert done.status_code == 200


def test_a_refused_answer_reopens_the_replacement_request(
    letter: Template,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    brand_manager: Any,
    client_for: ClientFor,
) -> None:
    version_approve(version=add_version(logo), actor=compliance_officer)
    review = Review.objects.filter(template=letter).get()
    path = f"/api/v1/reviews/{review.pk}/request-changes/"
    request_id = post(client_for(designer), path, {"reason": "Too dark"}).json()["id"]
    answer = add_version(logo)
    fulfil = f"/api/v1/replacement-requests/{request_id}/fulfil/"
    assert post(client_for(brand_manager), fulfil, {"version": answer.pk}).json()["state"] == (
        "answered"
    )
    version_reject(version=answer, actor=compliance_officer, comment="Still too dark")
    reopened = ReplacementRequest.objects.get(pk=request_id)
    assert (reopened.state, reopened.fulfilled_version) == ("open", None)
    assert AuditEvent.objects.filter(action="replacement.reopened").count() == 1
    early = post(client_for(designer), f"/api/v1/reviews/{review.pk}/acknowledge/")
    assert early.status_code == 409


def test_manifest_lists_approved_versions_and_answers_304_when_unchanged(
    letter: Template,
    logo: Asset,
    approved_logo: Version,
    compliance_officer: Any,
    add_version: Callable[..., Version],
    integration_key: str,
    api_client_for_key: Callable[[str], Client],
) -> None:
    client = api_client_for_key(integration_key)
    response = client.get(f"/api/v1/templates/{letter.pk}/manifest")
    assert response.status_code == 200
    [binding] = response.json()["bindings"]
    assert (binding["slot"], binding["asset"], binding["pinned"]) == (
        "logo",
        "brand.logo.primary",
        False,
    )
    assert [v["sha256"] for v in binding["versions"]] == [approved_logo.sha256]
    etag = response.headers["ETag"]
    assert (
        client.get(f"/api/v1/templates/{letter.pk}/manifest", HTTP_IF_NONE_MATCH=etag).status_code
        == 304
    )
    german = version_approve(
        version=add_version(logo, selectors=clean_selectors(language="de")),
        actor=compliance_officer,
    )
    changed = client.get(f"/api/v1/templates/{letter.pk}/manifest", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert german.sha256 in changed.content.decode()


def test_withdrawing_the_only_approved_version_turns_preflight_to_no_go(
    letter: Template,
    approved_logo: Version,
    compliance_officer: Any,
    designer: Any,
    integration_key: str,
    api_client_for_key: Callable[[str], Client],
) -> None:
    version_withdraw(version=approved_logo, actor=compliance_officer, comment="Recall")
    Review.objects.update(state="acknowledged")
    body = preflight(api_client_for_key(integration_key), letter).json()
    assert [r["code"] for r in body["reasons"]] == ["unresolved"]


def test_a_replacement_is_answered_over_the_api_with_an_upload_all_or_nothing(
    letter: Template,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    brand_manager: Any,
    client_for: ClientFor,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import images

    changed = version_approve(version=add_version(logo), actor=compliance_officer)
    review = Review.objects.filter(template=letter).get()
    asked = f"/api/v1/reviews/{review.pk}/request-changes/"
    request_id = post(client_for(designer), asked, {"reason": "Lighter"}).json()["id"]
    answer = f"/api/v1/replacement-requests/{request_id}/answer/"
    manager = client_for(brand_manager)
    versions = Version.objects.count()

    def upload(client: Client, data: bytes) -> Any:
        return client.post(answer, {"file": SimpleUploadedFile("logo.png", data)})

    assert upload(client_for(designer), images.png(700, 240)).status_code == 403
    broken = upload(manager, b"not an image")
    assert broken.status_code == 415 and "error" in broken.json()
    both = manager.post(answer, {"file": SimpleUploadedFile("a.png", b"x"), "text": "y"})
    assert both.status_code == 400
    assert Version.objects.count() == versions, "a refused answer leaves no version behind"
    assert ReplacementRequest.objects.get(pk=request_id).state == "open"
    assert not AuditEvent.objects.filter(action="replacement.answered").exists()
    answered = upload(manager, images.png(700, 240))
    assert answered.status_code == 201 and answered.json()["state"] == "answered"
    new = Version.objects.get(pk=answered.json()["fulfilled_version"])
    assert (new.variant_id, new.state) == (changed.variant_id, "in_review")
    again = upload(manager, images.png(710, 240))
    assert again.status_code == 409
    assert Version.objects.count() == versions + 1, "the second answer rolled its version back"
    assert AuditEvent.objects.filter(action="replacement.answered").count() == 1
