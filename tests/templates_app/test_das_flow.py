"""Govern against the sandbox speaking OpenText's Design (DAS) API over real HTTP: an approved
logo becomes an approved image resource, a changed logo its next version, exactly once under
faults; the import builds templates from communications and their links."""

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from assets.models import Asset, Version
from assets.selectors import clean_selectors
from assets.services import version_approve
from govern.models import BusinessUnit
from templates_app.exstream import das, gateway
from templates_app.exstream.services import templates_import
from templates_app.models import Binding, Composition, Delivery, Template
from tests import images
from tests.sandboxes.runner import set_faults, write_log

NAME = "brand.logo.primary/web/web"


def deliver() -> str:
    out = StringIO()
    call_command("deliver", "--until-idle", stdout=out)
    return out.getvalue()


def images_named(name: str, latest: bool = True) -> list[das.DasVersion]:
    return [image for image in das.gateway().images() if image.name == name]


def every_version(name: str) -> list[dict[str, Any]]:
    params = {"filter.types": "image", "filter.latestVersion": "false"}
    return [
        item for item in das.gateway().pages("/resources/govern", params) if item["name"] == name
    ]


def approve(add_version: Callable[..., Version], logo: Asset, officer: Any, n: int) -> Version:
    version = add_version(
        logo, data=images.png(480 + n, 240), selectors=clean_selectors(channels=["web"])
    )
    return version_approve(version=version, actor=officer)


def test_an_approved_logo_becomes_an_approved_image_resource_and_its_change_the_next_version(
    das_sandbox: str, logo: Asset, add_version: Callable[..., Version], compliance_officer: Any
) -> None:
    first = approve(add_version, logo, compliance_officer, 1)
    assert deliver().startswith("Deliveries: 1 delivered")
    [image] = images_named(NAME)
    assert (image.state, image.version) == ("APPROVED", 1)
    delivery = Delivery.objects.get(version=first)
    assert delivery.remote_reference == f"{image.id}:1", "the DAS resource id and version"
    assert f"govern {delivery.idempotency_key} sha256 " in image.comment
    second = approve(add_version, logo, compliance_officer, 2)
    deliver()
    [image] = images_named(NAME)
    assert (image.state, image.version) == ("APPROVED", 2)
    assert Delivery.objects.get(version=second).remote_reference == f"{image.id}:2"
    moves = [w for w in write_log(das_sandbox) if w["outcome"] == "applied"]
    assert len(moves) == 3 + 4, "create, review, approve; then draft, content, review, approve"
    deliver()
    assert len(write_log(das_sandbox)) == 7, "a second drain sends nothing"


def test_the_simple_workflow_goes_straight_from_draft_to_approved(
    das_sandbox: str,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    settings: Any,
) -> None:
    settings.EXSTREAM_DOMAIN = "quick"
    gateway.reset()
    approve(add_version, logo, compliance_officer, 1)
    deliver()
    params = {"filter.types": "image"}
    [image] = [das.read_version(i) for i in das.gateway().pages("/resources/quick", params)]
    assert (image.state, image.version) == ("APPROVED", 1)
    assert [w["outcome"] for w in write_log(das_sandbox)] == ["applied", "applied"]


def test_under_faults_no_image_is_created_twice_and_no_version_becomes_two(
    das_sandbox: str,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    settings: Any,
) -> None:
    settings.DELIVERY_BACKOFF_SECONDS = 0
    set_faults(das_sandbox, error_rate=0.2, timeout_rate=0.15, drop_rate=0.15, timeout_seconds=0.3)
    settings.EXSTREAM_READ_TIMEOUT = 0.2
    gateway.reset()
    for n in range(1, 4):
        approve(add_version, logo, compliance_officer, n)
        for _ in range(20):  # the outbox retries what the gateway gave up on
            deliver()
            Delivery.objects.filter(state="retrying").update(next_attempt_at="2000-01-01T00:00Z")
            if not Delivery.objects.exclude(state__in=["delivered", "skipped"]).exists():
                break
    set_faults(das_sandbox, error_rate=0, timeout_rate=0, drop_rate=0)
    assert len(images_named(NAME)) == 1, "one image resource, however many creates were tried"
    versions = every_version(NAME)
    assert sorted(v["version"] for v in versions) == [1, 2, 3], "one DAS version per approval"
    assert all(v["state"] == "APPROVED" for v in versions)
    faulted = {w["fault"] for w in write_log(das_sandbox)}
    assert {"timeout", "drop"} & faulted, "writes were answered late or not at all"


def test_import_builds_templates_from_communications_and_their_links(
    das_sandbox: str,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    brand_manager: Any,
    unit: BusinessUnit,
) -> None:
    from assets.services import asset_create

    logo = asset_create(
        key="insurance.logo.primary", title="Logo", kind="logo", unit=unit, actor=brand_manager
    )
    approve(add_version, logo, compliance_officer, 1)
    deliver()
    report = templates_import(unit=unit, items=gateway.templates())
    footer = Template.objects.get(exstream_id="INSURANCE-FOOTER")
    letter = Template.objects.get(exstream_id="INSURANCE-POLICY-LETTER")
    assert (letter.kind, footer.kind) == ("communication", "component")
    assert Composition.objects.filter(parent=letter, child=footer).exists()
    [binding] = Binding.objects.filter(template=footer)
    assert (binding.slot, binding.asset_id) == ("insurance.logo.primary", logo.pk)
    binding.slot = "footer_logo"  # a designer names the slot; the next import keeps it
    binding.save()
    again = templates_import(unit=unit, items=gateway.templates())
    assert "created" not in again.summary() and "removed" not in again.summary(), again.summary()
    assert Binding.objects.get(template=footer).slot == "footer_logo"
    assert report.counts["templates created"] >= 5


def test_exstream_check_passes_against_the_sandbox_and_names_a_wrong_domain(
    das_sandbox: str, settings: Any
) -> None:
    out = StringIO()
    call_command("exstream_check", stdout=out)
    said = out.getvalue()
    assert "ok      token: password grant as govern-service, scope 'otds:groups'" in said
    assert "ok      domain: govern: standard workflow" in said
    assert "All 4 checks hold." in said
    settings.EXSTREAM_DOMAIN = "nope"
    gateway.reset()
    out = StringIO()
    with pytest.raises(CommandError, match="3 of 4 checks failed"):
        call_command("exstream_check", stdout=out)
    assert "FAILED  domain: DAS has no domain 'nope' (EXSTREAM_DOMAIN)." in out.getvalue()
    assert "ok      token" in out.getvalue()
    assert write_log(das_sandbox) == [], "read-only"


def test_the_asset_page_shows_where_exstream_uses_it_that_govern_does_not_know(
    das_sandbox: str,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    brand_manager: Any,
    designer: Any,
    outsider: Any,
    unit: BusinessUnit,
    client_for: Callable[[Any], Any],
) -> None:
    from assets.services import asset_create

    logo = asset_create(
        key="insurance.logo.primary", title="Logo", kind="logo", unit=unit, actor=brand_manager
    )
    path = f"/templates/exstream-uses/asset/{logo.pk}/"
    client = client_for(designer)
    assert "has reached Exstream yet" in client.get(path).content.decode()
    approve(add_version, logo, compliance_officer, 1)
    deliver()
    before = client.get(path).content.decode()
    assert "Exstream uses it in 3 communications Govern does not know of:" in before
    assert "INSURANCE-POLICY-LETTER, INSURANCE-STATEMENT, INSURANCE-WELCOME-LETTER" in before
    templates_import(unit=unit, items=gateway.templates())
    after = client.get(path).content.decode()
    assert "Exstream and Govern agree: INSURANCE-POLICY-LETTER" in after
    assert client_for(outsider).get(path).status_code == 404
    assert f'hx-get="{path}"' in client.get(f"/assets/{logo.pk}/").content.decode()


def test_the_hourly_cross_check_counts_unknown_uses_on_the_designers_home(
    das_sandbox: str,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    brand_manager: Any,
    designer: Any,
    unit: BusinessUnit,
    client_for: Callable[[Any], Any],
) -> None:
    from assets.services import asset_create
    from audit.models import AuditEvent
    from templates_app.models import ExstreamGap
    from templates_app.tasks import cross_check_exstream

    logo = asset_create(
        key="insurance.logo.primary", title="Logo", kind="logo", unit=unit, actor=brand_manager
    )
    approve(add_version, logo, compliance_officer, 1)
    deliver()
    assert cross_check_exstream() == "1 asset(s) checked against Exstream's links; 1 changed."
    assert ExstreamGap.objects.filter(asset=logo).count() == 3
    home = client_for(designer).get("/").content.decode()
    assert f'<a href="/assets/{logo.pk}/"><strong class="count">3</strong> Communications' in home
    assert cross_check_exstream().endswith("0 changed."), "nothing new: nothing written"
    templates_import(unit=unit, items=gateway.templates())
    cross_check_exstream()
    assert not ExstreamGap.objects.exists()
    assert AuditEvent.objects.filter(action="exstream.gaps_found").count() == 2


def test_a_token_url_that_gives_no_token_makes_deliveries_wait_and_is_named_on_healthz(
    das_sandbox: str,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    client_for: Callable[[Any], Any],
    settings: Any,
) -> None:
    from django.test import Client

    from govern.models import SetupProblem

    settings.HEALTH_RECHECK_SECONDS = 0
    settings.EXSTREAM_TOKEN_URL = f"{das_sandbox}/otdsws/otdstenant/elsewhere/oauth2/token"
    gateway.reset()
    version = approve(add_version, logo, compliance_officer, 1)
    assert "1 waiting" in deliver()
    delivery = Delivery.objects.get(version=version)
    assert (delivery.state, delivery.attempts) == ("retrying", 0), "waits, attempts unspent"
    health = Client().get("/healthz").json()
    assert health["status"] != "ok"
    assert "otdstenant/elsewhere/oauth2/token: 404" in health["setup"]["exstream"]
    page = client_for(compliance_officer).get("/templates/deliveries/").content.decode()
    assert "Exstream cannot be reached as Govern is set up." in page
    settings.EXSTREAM_TOKEN_URL = f"{das_sandbox}/otdsws/otdstenant/govern/oauth2/token"
    gateway.reset()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at="2000-01-01T00:00Z")
    assert deliver().startswith("Deliveries: 1 delivered")
    assert not SetupProblem.objects.exists(), "a token came: the problem is gone"
    assert "setup" not in str(Client().get("/healthz").json()["setup"])


def test_importing_over_the_demos_templates_keeps_their_titles_slots_and_text_bindings(
    das_sandbox: str,
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    unit: BusinessUnit,
) -> None:
    from console.demo import seed_assets, seed_templates

    seed_assets(unit, brand_manager, [compliance_officer])
    seed_templates(unit, designer)
    deliver()
    before = set(Binding.objects.values_list("template__exstream_id", "slot", "asset__key"))
    report = templates_import(unit=unit, items=gateway.templates())
    after = set(Binding.objects.values_list("template__exstream_id", "slot", "asset__key"))
    assert before <= after, f"lost: {before - after}"
    assert ("INSURANCE-STATEMENT", "rates_disclaimer", "insurance.disclaimer.rates") in after
    assert report.removed == [] and "templates updated" not in report.counts
    assert Template.objects.get(exstream_id="INSURANCE-POLICY-LETTER").name == "Policy letter"
    assert Template.objects.get(exstream_id="INSURANCE-RENEWAL-MAILING").name == "Renewal mailing"
    Binding.objects.filter(template__exstream_id="INSURANCE-WELCOME-LETTER").update(
        slot="retired_logo"
    )
    Binding.objects.create(
        template=Template.objects.get(exstream_id="INSURANCE-WELCOME-LETTER"),
        slot="old_logo",
        asset=Asset.objects.get(key="insurance.product.gold-card"),
    )
    again = templates_import(unit=unit, items=gateway.templates())
    gone = "INSURANCE-WELCOME-LETTER.old_logo (insurance.product.gold-card)"
    assert again.removed == [f"{gone}: Exstream links it no more."]
