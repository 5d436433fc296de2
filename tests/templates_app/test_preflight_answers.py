"""Each pre-flight answer stands alone: the contexts asked, the version filling each slot, every
reason and warning (a channel the template lacks is one), and a link to its evidence."""

from collections.abc import Callable
from typing import Any

from django.test import Client
from django.utils import timezone

from assets.models import Asset, Version
from assets.resolution import Context
from assets.services import version_approve
from templates_app.models import Template
from templates_app.preflight import preflight_run
from templates_app.services import binding_set


def test_an_answer_names_its_contexts_versions_warnings_and_evidence(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
    client_for: Callable[[Any], Client],
) -> None:
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    deliver_all()
    letter = make_template("Letter", exstream_id="EX-LETTER", channels=["print"])
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    contexts = [Context(region="DE", channel="print"), Context(region="DE", channel="email")]
    clearance = preflight_run(
        template=letter, run_at=timezone.now(), contexts=contexts, actor=designer
    )
    warned = [w for w in clearance.warnings if w["code"] == "channel_not_in_template"]
    assert len(warned) == 1 and "Letter has no email channel (it has print)" in warned[0]["detail"]
    filled = clearance.evidence["resolved"][0]
    assert (filled["slot"], filled["asset"], filled["number"]) == (
        "Letter.logo",
        "brand.logo.primary",
        version.number,
    )
    page = client_for(designer).get(f"/templates/{letter.pk}/").content.decode()
    assert "region DE, channel email" in page or "channel email" in page
    assert (
        'Letter.logo <span class="muted">(' in page
        and f"brand.logo.primary v{version.number}" in page
    )
    assert f"/api/v1/clearances/{clearance.pk}/evidence.pdf" in page
    assert "warning: channel_not_in_template" in page
