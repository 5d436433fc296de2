"""Compliance criteria: measured at upload, enforced at submission and approval, checked again
at pre-flight, versioned and audited, and refused when their parameters are wrong."""

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from assets import criteria
from assets.criteria.services import criteria_set
from assets.models import Asset, CriteriaRuleSet, Decision, Variant, Version
from assets.selectors import clean_selectors
from assets.services import version_approve, version_submit
from audit.models import AuditEvent
from tests import images

PRINT = clean_selectors(channels=["print"])


def rules(*items: tuple[str, dict[str, Any]], blocking: bool = True) -> list[dict[str, Any]]:
    return [{"rule": name, "params": params, "blocking": blocking} for name, params in items]


def test_a_low_resolution_print_logo_is_refused_at_submission_with_its_dpi(
    logo: Asset, add_version: Callable[..., Version], brand_manager: Any
) -> None:
    small = add_version(logo, data=images.png(400, 200), selectors=PRINT, submit=False)
    assert small.criteria["results"] == [
        {
            "rule": "min_print_dpi",
            "passed": False,
            "blocking": True,
            "detail": "400 px across 40 mm is 254 dpi; print needs 300 dpi: "
            "at least 473 px across, 73 px more",
        }
    ]
    with pytest.raises(ValidationError, match="min_print_dpi: 400 px across 40 mm is 254 dpi"):
        version_submit(version=small, actor=brand_manager)
    small.refresh_from_db()
    assert small.state == "draft" and small.submitted_at is None
    assert not AuditEvent.objects.filter(action="version.submitted").exists()


def test_the_api_refuses_the_submission_with_a_json_reason(
    logo: Asset, brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    upload = SimpleUploadedFile("logo.png", images.png(400, 200), content_type="image/png")
    created = client.post(
        f"/api/v1/assets/{logo.pk}/versions/", {"file": upload, "channels": ["print"]}
    )
    assert created.status_code == 201
    assert created.json()["criteria"]["results"][0]["passed"] is False
    refused = client.post(f"/api/v1/versions/{created.json()['id']}/submit/")
    assert refused.status_code == 400
    assert "254 dpi; print needs 300 dpi" in json.dumps(refused.json())


def test_a_version_open_to_every_channel_only_warns_and_is_approved(
    logo: Asset, add_version: Callable[..., Version], compliance_officer: Any
) -> None:
    small = add_version(logo, data=images.png(400, 200))
    [result] = small.criteria["results"]
    assert result["blocking"] is False
    assert result["detail"].endswith("its print rendition will not be made")
    assert version_approve(version=small, actor=compliance_officer).state == "approved"


def test_the_review_page_shows_each_rule_with_pass_or_fail(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    small = add_version(logo, data=images.png(400, 200))
    html = client_for(compliance_officer).get(small.get_absolute_url()).content.decode()
    section = html[
        html.index('id="criteria"') : html.index("</section>", html.index('id="criteria"'))
    ]
    assert "Warning" in section and "254 dpi" in section and "default logo criteria" in section


def test_approval_needs_every_checklist_item_and_records_them_with_the_criteria(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    client_for: Callable[[Any], Client],
) -> None:
    criteria_set(
        kind="logo",
        unit=logo.business_unit,
        rules=rules(("min_print_dpi", {"dpi": 300})),
        checklist=["Colours match the brand book", "Clear space respected"],
        actor=compliance_officer,
    )
    version = add_version(logo)
    with pytest.raises(ValidationError, match="Clear space respected"):
        version_approve(
            version=version, actor=compliance_officer, checklist=["Colours match the brand book"]
        )
    assert not Decision.objects.exists()
    client = client_for(compliance_officer)
    page = client.get(version.get_absolute_url()).content.decode()
    assert 'form="decision" name="checklist" value="Clear space respected"' in page
    client.post(
        f"/assets/versions/{version.pk}/decide/",
        {
            "action": "approve",
            "checklist": ["Colours match the brand book", "Clear space respected"],
        },
    )
    decision = Decision.objects.get()
    assert decision.checklist == ["Colours match the brand book", "Clear space respected"]
    assert decision.criteria == f"logo criteria #1 (unit {logo.business_unit_id})"


def test_criteria_are_versioned_and_audited_and_a_unit_overrides_every_unit(
    logo: Asset, compliance_officer: Any, make_user: Callable[..., Any]
) -> None:
    admin = make_user("root")
    admin.is_staff = True
    everywhere = criteria_set(
        kind="logo",
        unit=None,
        rules=rules(("max_bytes", {"bytes": 10**6})),
        checklist=[],
        actor=admin,
    )
    assert criteria.rule_set_for(logo) == everywhere
    first = criteria_set(
        kind="logo", unit=logo.business_unit, rules=[], checklist=[], actor=compliance_officer
    )
    second = criteria_set(
        kind="logo",
        unit=logo.business_unit,
        rules=[],
        checklist=["Looked"],
        actor=compliance_officer,
    )
    assert (first.number, second.number) == (1, 2)
    first.refresh_from_db()
    assert first.active is False and criteria.rule_set_for(logo) == second
    assert AuditEvent.objects.filter(action="criteria.set").count() == 3
    with pytest.raises(PermissionDenied):
        criteria_set(kind="logo", unit=None, rules=[], checklist=[], actor=compliance_officer)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ([{"rule": "min_print_dpi", "params": {"dpi": 10}}], "dpi must be a whole number from 72"),
        ([{"rule": "min_print_dpi", "params": {"dpi": "300"}}], "dpi must be a whole number"),
        ([{"rule": "min_print_dpi", "params": {}}], "give dpi"),
        ([{"rule": "min_print_dpi", "params": {"dpi": 300, "ppi": 1}}], "no parameter 'ppi'"),
        ([{"rule": "max_bytes", "params": {"bytes": True}}], "bytes must be a whole number"),
        ([{"rule": "aspect_ratio", "params": {"min": 2, "max": 1}}], "min exceeds max"),
        (
            [{"rule": "formats", "params": {"channel": "fax", "media_types": ["image/png"]}}],
            "channel must be one of",
        ),
        (
            [{"rule": "formats", "params": {"channel": "print", "media_types": ["image/bmp"]}}],
            "'image/bmp' in media_types",
        ),
        (
            [{"rule": "required_phrases", "params": {"phrases": []}}],
            "phrases must be a list of 1 to 100",
        ),
        (
            [{"rule": "colour", "params": {"icc_required": "yes"}}],
            "icc_required must be true or false",
        ),
        ([{"rule": "sharpness", "params": {}}], "Rule 1: use one of"),
        (
            [{"rule": "max_length", "params": {"characters": 9}, "blocking": "no"}],
            "blocking as true or false",
        ),
        ({"rule": "max_length"}, "Give a list"),
    ],
)
def test_a_rule_with_invalid_parameters_is_refused_naming_it(
    logo: Asset, compliance_officer: Any, given: Any, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        criteria_set(
            kind="logo",
            unit=logo.business_unit,
            rules=given,
            checklist=[],
            actor=compliance_officer,
        )
    assert not CriteriaRuleSet.objects.exists()


def measured(version: Version, *items: tuple[str, dict[str, Any]]) -> list[tuple[bool, str]]:
    rule_set = CriteriaRuleSet(kind="logo", number=1, rules=rules(*items))
    return [(r.passed, r.detail) for r in criteria.evaluate(version, rule_set, criteria.Facts())]


def unsaved(media_type: str = "image/png", text: str = "", **metadata: Any) -> Version:
    variant = Variant(channels="")
    return Version(
        variant=variant,
        media_type=media_type,
        file="" if text else "x.png",
        text=text,
        size=5000,
        metadata=metadata,
    )


@pytest.mark.parametrize(
    ("version", "rule", "passed", "said"),
    [
        (
            unsaved(),
            ("formats", {"channel": "print", "media_types": ["image/tiff"]}),
            False,
            "image/png for print",
        ),
        (
            unsaved(mode="RGB", icc_profile=False),
            ("colour", {"modes": ["CMYK"]}),
            False,
            "mode RGB",
        ),
        (
            unsaved(mode="RGB", icc_profile=False),
            ("colour", {"icc_required": True}),
            False,
            "without",
        ),
        (
            unsaved(mode="RGB", icc_profile=True),
            ("colour", {"icc_required": True}),
            True,
            "with an",
        ),
        (unsaved(), ("max_bytes", {"bytes": 4999}), False, "5,000 bytes; at most 4,999"),
        (
            unsaved(width=300, height=100),
            ("aspect_ratio", {"min": 1, "max": 2}),
            False,
            "ratio 3.00",
        ),
        (
            unsaved(width=150, height=100),
            ("aspect_ratio", {"min": 1, "max": 2}),
            True,
            "ratio 1.50",
        ),
        (
            unsaved("text/plain", "Capital  at\nrisk."),
            ("required_phrases", {"phrases": ["capital at risk", "FSCS"]}),
            False,
            "missing: FSCS",
        ),
        (
            unsaved("text/plain", "Guaranteed returns!"),
            ("forbidden_words", {"words": ["guaranteed"]}),
            False,
            "contains: guaranteed",
        ),
        (
            unsaved("text/plain", "Unguaranteed."),
            ("forbidden_words", {"words": ["guaranteed"]}),
            True,
            "no forbidden word",
        ),
        (
            unsaved("text/plain", "x" * 12),
            ("max_length", {"characters": 10}),
            False,
            "12 characters",
        ),
    ],
)
def test_each_machine_rule_measures_what_it_names(
    version: Version, rule: tuple[str, dict[str, Any]], passed: bool, said: str
) -> None:
    [(result, detail)] = measured(version, rule)
    assert result is passed
    assert said in detail


def test_rules_that_do_not_apply_to_a_version_are_left_out() -> None:
    text = unsaved("text/plain", "Terms apply.")
    assert measured(text, ("min_print_dpi", {"dpi": 300}), ("colour", {"modes": ["CMYK"]})) == []
    image = unsaved(width=10, height=10)
    assert measured(image, ("max_length", {"characters": 1})) == []


def test_a_transparent_background_is_measured_on_the_stored_pixels(
    logo: Asset, add_version: Callable[..., Version]
) -> None:
    canvas = Image.new("RGBA", (480, 240), (0, 0, 0, 0))
    canvas.paste((200, 20, 20, 255), (100, 50, 380, 190))
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    clear = add_version(logo, data=buffer.getvalue(), submit=False)
    opaque = add_version(logo, data=images.png(480, 240), submit=False)
    rule: tuple[str, dict[str, Any]] = ("transparent_background", {})
    assert measured(clear, rule) == [
        (True, "0 of 4 corners opaque; the background must be transparent")
    ]
    assert measured(opaque, rule)[0][0] is False


def test_criteria_pages_and_api_are_for_compliance_officers_of_the_unit(
    logo: Asset,
    compliance_officer: Any,
    designer: Any,
    outsider: Any,
    client_for: Callable[[Any], Client],
) -> None:
    unit = logo.business_unit
    body = {"kind": "logo", "rules": "[]", "checklist": ""}
    assert client_for(designer).get("/assets/criteria/").status_code == 403
    assert client_for(designer).post(f"/assets/criteria/{unit.pk}/", body).status_code == 403
    assert client_for(outsider).post(f"/assets/criteria/{unit.pk}/", body).status_code == 404
    api = {"kind": "logo", "business_unit": unit.slug, "rules": []}
    denied = client_for(designer).post("/api/v1/criteria/", api, content_type="application/json")
    assert denied.status_code == 403
    assert not CriteriaRuleSet.objects.exists()
    officer = client_for(compliance_officer)
    bad = officer.post(
        f"/assets/criteria/{unit.pk}/",
        {**body, "rule-0-name": "min_print_dpi", "rule-0-param-dpi": "lots"},
    )
    assert bad.status_code == 400
    assert "Rule 1 (min_print_dpi): dpi must be a whole number" in bad.content.decode()
    assert not CriteriaRuleSet.objects.exists()
    created = officer.post("/api/v1/criteria/", api, content_type="application/json")
    assert created.status_code == 201 and created.json()["number"] == 1
    listed = officer.get("/api/v1/criteria/").json()
    assert [(r["kind"], r["number"]) for r in listed] == [("logo", 1)]
    wrong = officer.post(
        "/api/v1/criteria/",
        {**api, "rules": [{"rule": "max_bytes", "params": {"bytes": -1}}]},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "bytes must be a whole number" in json.dumps(wrong.json())


def test_the_pages_say_before_and_at_submission_why_a_print_logo_cannot_go(
    logo: Asset, brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(brand_manager)
    upload = SimpleUploadedFile("logo.png", images.png(400, 200), content_type="image/png")
    uploaded = client.post(
        f"/assets/{logo.pk}/", {"file": upload, "channels": ["print"]}, follow=True
    ).content.decode()
    assert "cannot be submitted as it is: min_print_dpi: 400 px across 40 mm is 254 dpi" in uploaded
    version = Version.objects.get()
    refused = client.post(
        f"/assets/versions/{version.pk}/decide/", {"action": "submit"}, follow=True
    ).content.decode()
    assert "The version cannot be submitted: min_print_dpi" in refused
    version.refresh_from_db()
    assert version.state == "draft"


def test_a_version_whose_stored_file_is_gone_fails_the_transparency_rule_without_a_crash() -> None:
    missing = unsaved()
    missing.file = "nowhere/absent.png"
    assert measured(missing, ("transparent_background", {})) == [
        (False, "the stored file cannot be read")
    ]


def test_the_criteria_editor_shows_rules_as_fields_adds_removes_and_saves_them(
    logo: Asset, compliance_officer: Any, client_for: Callable[[Any], Client]
) -> None:
    unit = logo.business_unit
    officer = client_for(compliance_officer)
    page = officer.get("/assets/criteria/").content.decode()
    dpi_field = 'name="rule-0-param-dpi" value="300"'
    assert dpi_field in page, "the default rule, as a field"
    assert "&quot;min_print_dpi&quot;" in page, "and as JSON for those who want it"
    form: dict[str, Any] = {
        "kind": "logo",
        "checklist": "Clear space respected\nColours match the brand book",
    }
    form |= {"rule-0-name": "min_print_dpi", "rule-0-param-dpi": "300", "rule-0-blocking": "1"}
    added = officer.post(
        f"/assets/criteria/{unit.pk}/", {**form, "add": "1", "add_rule": "formats"}
    )
    assert added.status_code == 200 and not CriteriaRuleSet.objects.exists(), "shown, not saved"
    shown = added.content.decode()
    assert 'name="rule-1-name" value="formats"' in shown
    assert 'name="rule-1-param-media_types" value="image/png"' in shown
    unchosen = officer.post(f"/assets/criteria/{unit.pk}/", {**form, "add": "1", "add_rule": ""})
    assert unchosen.status_code == 400 and "Choose the rule to add." in unchosen.content.decode()
    form |= {
        "rule-1-name": "formats",
        "rule-1-param-channel": "email",
        "rule-1-param-media_types": ["image/png", "image/jpeg"],
        "rule-2-name": "max_bytes",
        "rule-2-param-bytes": "500000",
        "rule-3-name": "transparent_background",
        "rule-3-remove": "1",
    }
    saved = officer.post(f"/assets/criteria/{unit.pk}/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    rule_set = CriteriaRuleSet.objects.get(business_unit=unit, kind="logo")
    assert rule_set.rules == [
        {"rule": "min_print_dpi", "params": {"dpi": 300}, "blocking": True},
        {
            "rule": "formats",
            "params": {"channel": "email", "media_types": ["image/png", "image/jpeg"]},
            "blocking": False,
        },
        {"rule": "max_bytes", "params": {"bytes": 500000}, "blocking": False},
    ]
    assert rule_set.checklist == ["Clear space respected", "Colours match the brand book"]
