"""Govern against the Exstream sandbox over real HTTP: pushes, template import, usage references."""

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from assets.models import Asset, Version
from assets.selectors import clean_selectors
from assets.services import asset_create, version_approve
from govern.models import BusinessUnit
from templates_app.exstream import client as exstream
from templates_app.exstream.services import templates_import
from templates_app.models import Binding, Composition, Delivery, Template
from tests.sandboxes.runner import call, write_log


def test_an_approved_logo_lands_in_exstream_approved_once_per_profile(
    exstream_sandbox: str,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
) -> None:
    version = add_version(logo, selectors=clean_selectors(channels=["web", "email"]))
    version_approve(version=version, actor=compliance_officer)
    out = StringIO()
    call_command("deliver", "--until-idle", stdout=out)
    assert out.getvalue().startswith("Deliveries: 2 delivered in ")
    image = exstream.client().find_image("brand.logo.primary/email+web/web")
    assert image is not None
    [landed] = image["versions"]
    assert landed["state"] == "approved"
    assert landed["properties"]["source_sha256"] == version.sha256
    writes = [w for w in write_log(exstream_sandbox) if w["outcome"] == "applied"]
    assert len(writes) == 6, "upload, submit and approve for each of two profiles"
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    call_command("deliver", "--until-idle", stdout=StringIO())
    assert len(write_log(exstream_sandbox)) == 6, "a second drain sends nothing"


def test_a_rendition_refused_by_exstream_state_is_not_sent_twice(
    exstream_sandbox: str,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
) -> None:
    version = add_version(logo, selectors=clean_selectors(channels=["web"]))
    version_approve(version=version, actor=compliance_officer)
    call_command("deliver", "--until-idle", stdout=StringIO())
    Delivery.objects.update(state="pending", attempts=0)  # as if a worker died after pushing
    call_command("deliver", "--until-idle", stdout=StringIO())
    image = exstream.client().find_image("brand.logo.primary/web/web")
    assert image is not None and len(image["versions"]) == 1


def test_import_mirrors_templates_components_and_image_slots(
    exstream_sandbox: str, brand_manager: Any, unit: BusinessUnit
) -> None:
    for key in ("brand.logo.primary", "product.card.gold", "legal.disclosure.standard"):
        asset_create(key=key, title=key, kind="logo", unit=unit, actor=brand_manager)
    report = templates_import(unit=unit, items=exstream.client().templates())
    assert report.counts["templates created"] == Template.objects.count() >= 5
    statement = Template.objects.get(exstream_id="COM-STATEMENT")
    assert set(
        Composition.objects.filter(parent=statement).values_list("child__exstream_id", flat=True)
    ) == {
        "CMP-HEADER",
        "CMP-DISCLOSURE",
    }
    header_logo = Binding.objects.get(template__exstream_id="CMP-HEADER", slot="logo")
    assert header_logo.asset.key == "brand.logo.primary"
    assert any("brand.signature.ceo" in problem for problem in report.problems)
    again = templates_import(unit=unit, items=exstream.client().templates())
    assert again.summary() == f"no changes; {len(report.problems)} problem(s)"


def test_import_command_reports_and_fails_clearly_without_exstream(
    settings: Any, unit: BusinessUnit, roles: None
) -> None:
    settings.EXSTREAM_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.EXSTREAM_TOKEN_URL = "http://127.0.0.1:9/token"
    settings.EXSTREAM_RETRIES = 0
    exstream.reset_client()
    with pytest.raises(CommandError, match="Exstream did not answer"):
        call_command("exstream_import", "--unit", "insurance-de", stdout=StringIO())
    exstream.reset_client()


def test_used_by_lists_the_direct_parents(exstream_sandbox: str) -> None:
    pushed = exstream.push_image(
        name="brand.logo.primary/any/print",
        data=b"\x89PNG....",
        media_type="image/png",
        properties={},
        key="k-usedby",
    )
    parents = exstream.client().used_by(pushed.resource_id)
    assert [parent["id"] for parent in parents] == ["CMP-HEADER"]
    assert call("GET", f"{exstream_sandbox}/_sandbox/health").status == 200


def test_import_into_one_unit_leaves_another_units_templates_alone(
    exstream_sandbox: str, brand_manager: Any, unit: BusinessUnit, other_unit: BusinessUnit
) -> None:
    asset_create(
        key="brand.logo.primary", title="Logo", kind="logo", unit=unit, actor=brand_manager
    )
    templates_import(unit=unit, items=exstream.client().templates())
    bindings = Binding.objects.count()
    report = templates_import(unit=other_unit, items=exstream.client().templates())
    assert Binding.objects.count() == bindings, "the other unit's import deleted nothing"
    assert not Template.objects.filter(business_unit=other_unit).exists()
    assert any("belongs to another unit" in problem for problem in report.problems)


def test_exstream_check_reads_the_proxy_contract_too(exstream_sandbox: str) -> None:
    out = StringIO()
    call_command("exstream_check", stdout=out)
    assert "speaking proxy" in out.getvalue() and "All 2 checks hold." in out.getvalue()
