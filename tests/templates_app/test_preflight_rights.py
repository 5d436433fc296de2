"""Pre-flight and the manifest judge rights the same way: fall back past an out-of-rights
variant, say what they skipped, and block or warn on an unknown licence by the unit's policy."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from assets.models import Asset, LicenceReading, LicensePurchase, LicenseTerm, Version
from assets.resolution import Context
from assets.rights.services import rights_policy_set
from assets.selectors import clean_selectors
from assets.services import version_approve
from assets.smintio.mapping import stated_empty
from audit.models import AuditEvent
from govern.roles import Role
from templates_app.models import Template
from templates_app.preflight import preflight_run
from templates_app.services import binding_set
from tests.conftest import signed
from tests.templates_app.conftest import license_version

GERMAN_END = datetime(2027, 3, 31, 23, 59, tzinfo=UTC)
BEFORE, AFTER = datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 2, tzinfo=UTC)


def licence(version: Version, key: str, reader: Any, **given: Any) -> LicensePurchase:
    """Give a version a purchase whose one term limits nothing but what is given (the
    reader reads its empty lists as none)."""
    terms = stated_empty() | given
    return license_version(
        version, key, released=True, reader=reader, is_editorial_use=False, **terms
    )


@pytest.fixture
def letter(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> Template:
    """A letter whose logo has a German variant licensed until GERMAN_END and a plain one."""
    plain = version_approve(version=add_version(logo), actor=compliance_officer)
    german = add_version(logo, selectors=clean_selectors(language="de"))
    german = version_approve(version=german, actor=compliance_officer)
    deliver_all()
    licence(german, "lpt-de", compliance_officer, valid_until=GERMAN_END)
    licence(plain, "lpt-any", compliance_officer)
    letter = make_template("Letter", exstream_id="EX-LETTER")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    return letter


def check(letter: Template, designer: Any, at: datetime, language: str = "de") -> Any:
    context = Context(region="DE", language=language, channel="print")
    return preflight_run(template=letter, run_at=at, contexts=[context], actor=designer)


def test_an_ended_german_licence_falls_back_to_the_in_rights_variant(
    letter: Template, designer: Any
) -> None:
    before = check(letter, designer, BEFORE)
    assert before.verdict == "go"
    assert [entry["skipped"] for entry in before.evidence["resolved"]] == [[]]
    after = check(letter, designer, AFTER)
    assert after.verdict == "go"
    [resolved] = after.evidence["resolved"]
    assert resolved["version"] == Version.objects.get(variant__language="").pk
    assert resolved["rights"] == "covered"
    assert [(s["variant"], s["reason"]) for s in resolved["skipped"]] == [
        ("de", "its licence is valid only until 2027-03-31")
    ]


def test_out_of_rights_everywhere_gives_every_skipped_variant_as_a_reason(
    letter: Template, designer: Any
) -> None:
    LicenseTerm.objects.filter(purchase__uuid="lpt-any").update(
        allowed_geographies=["geography_austria"]
    )
    clearance = check(letter, designer, AFTER)
    assert clearance.verdict == "no-go"
    assert [(r["code"], r["detail"]) for r in clearance.reasons] == [
        (
            "out_of_rights",
            "Letter.logo: brand.logo.primary v1 for language de, region DE, channel print: "
            "its licence is valid only until 2027-03-31.",
        ),
        (
            "out_of_rights",
            "Letter.logo: brand.logo.primary v1 for language de, region DE, channel print: "
            "its licence is not for region DE.",
        ),
    ]


def test_contexts_a_variant_fits_alike_are_still_judged_each_by_its_rights(
    letter: Template, designer: Any
) -> None:
    """Pre-flight resolves a slot once for contexts alike, and only where their rights are
    alike: a licence for Austria covers the Austrian run, not the German one beside it."""
    LicenseTerm.objects.filter(purchase__uuid="lpt-any").update(
        allowed_geographies=["geography_austria"]
    )
    contexts = [Context(region=region, language="en", channel="print") for region in ("AT", "DE")]
    clearance = preflight_run(template=letter, run_at=BEFORE, contexts=contexts, actor=designer)
    assert clearance.verdict == "no-go"
    assert [(r["code"], r["detail"]) for r in clearance.reasons] == [
        (
            "out_of_rights",
            "Letter.logo: brand.logo.primary v1 for language en, region DE, channel print: "
            "its licence is not for region DE.",
        )
    ]
    [resolved] = clearance.evidence["resolved"]
    assert resolved["contexts"] == ["language en, region AT, channel print"]


def test_an_unknown_licence_warns_or_blocks_by_the_units_policy(
    letter: Template, designer: Any, compliance_officer: Any, logo: Asset
) -> None:
    LicenseTerm.objects.update(allowed_placements=None)
    LicenceReading.objects.all().delete()  # nobody has read the licences
    warned = check(letter, designer, BEFORE)
    assert warned.verdict == "go" and warned.reasons == []
    assert [w["code"] for w in warned.warnings] == ["licence_unknown"]
    assert "allowed placements are not stated" in warned.warnings[0]["detail"]
    rights_policy_set(
        unit=logo.business_unit, kind="logo", on_unknown="block", actor=compliance_officer
    )
    blocked = check(letter, designer, BEFORE)
    assert blocked.verdict == "no-go"
    assert {r["code"] for r in blocked.reasons} == {"licence_unknown"}
    assert blocked.warnings == []
    event = AuditEvent.objects.filter(action="rights_policy.set").get()
    assert event.data == {"kind": "logo", "on_unknown": "block"}


def test_regulated_kinds_block_on_unknown_by_default(
    disclaimer: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    make_user: Callable[..., Any],
    unit: Any,
    designer: Any,
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> None:
    version = add_version(disclaimer, text="Capital at risk.")
    version = version_approve(
        version=version, actor=compliance_officer, signature=signed(compliance_officer)
    )
    second = make_user("carl", Role.COMPLIANCE_OFFICER, unit)
    version = version_approve(version=version, actor=second, signature=signed(second))
    deliver_all()
    licence(version, "lpt-text", compliance_officer, allowed_languages=None)
    template = make_template("Statement")
    binding_set(template=template, slot="disclaimer", asset=disclaimer, actor=designer)
    clearance = check(template, designer, BEFORE)
    assert [r["code"] for r in clearance.reasons] == ["licence_unknown"]


def test_only_compliance_officers_of_the_unit_set_the_policy_and_only_known_values(
    logo: Asset, compliance_officer: Any, designer: Any
) -> None:
    with pytest.raises(PermissionDenied):
        rights_policy_set(unit=logo.business_unit, kind="logo", on_unknown="warn", actor=designer)
    with pytest.raises(ValidationError, match="on_unknown"):
        rights_policy_set(
            unit=logo.business_unit, kind="logo", on_unknown="ignore", actor=compliance_officer
        )
    with pytest.raises(ValidationError, match="kind"):
        rights_policy_set(
            unit=logo.business_unit, kind="poster", on_unknown="warn", actor=compliance_officer
        )


def manifest(client: Client, letter: Template, query: str = "", etag: str = "") -> Any:
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/api/v1/templates/{letter.pk}/manifest{query}", headers=headers)


def test_the_manifest_in_a_context_lists_only_what_may_be_used_there(
    letter: Template, integration_key: str, api_client_for_key: Callable[[str], Client]
) -> None:
    client = api_client_for_key(integration_key)
    before = json.loads(
        manifest(
            client, letter, "?at=2027-03-01T00:00Z&region=DE&language=de&channel=print"
        ).content
    )
    [binding] = before["bindings"]
    assert [v["variant"]["language"] for v in binding["versions"]] == ["de"]
    assert binding["versions"][0]["rights"]["status"] == "covered"
    after = json.loads(
        manifest(
            client, letter, "?at=2027-04-02T00:00Z&region=DE&language=de&channel=print"
        ).content
    )
    [binding] = after["bindings"]
    assert [v["variant"]["language"] for v in binding["versions"]] == [""]
    assert binding["skipped"][0]["reason"] == "its licence is valid only until 2027-03-31"


def test_the_manifest_without_a_context_gives_rights_per_known_context_and_its_etag_follows(
    letter: Template, integration_key: str, api_client_for_key: Callable[[str], Client]
) -> None:
    client = api_client_for_key(integration_key)
    first = manifest(client, letter)
    body = json.loads(first.content)
    rights = {v["variant"]["language"]: v["rights"] for v in body["bindings"][0]["versions"]}
    assert rights["de"] == {
        "language de, channel print": {
            "status": "covered",
            "reasons": [],
            "unknown": [],
            "notes": [],
        }
    }
    etag = first["ETag"]
    assert manifest(client, letter, etag=etag).status_code == 304
    LicenseTerm.objects.filter(purchase__uuid="lpt-de").update(allowed_usages=["usage_web"])
    changed = manifest(client, letter, etag=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    status = json.loads(changed.content)["bindings"][0]["versions"]
    assert {
        v["variant"]["language"]: v["rights"]["language de, channel print"]["status"]
        for v in status
        if v["variant"]["language"]
    } == {"de": "not_covered"}


def test_the_manifest_refuses_a_malformed_moment_or_context(
    letter: Template, integration_key: str, api_client_for_key: Callable[[str], Client]
) -> None:
    client = api_client_for_key(integration_key)
    assert manifest(client, letter, "?at=yesterday").status_code == 400
    assert manifest(client, letter, "?channel=print,web").status_code == 400
    assert manifest(client, letter, "?colour=red").status_code == 400
