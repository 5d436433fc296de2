"""Templates built through the real services, plus the asset fixtures they bind."""

from collections.abc import Callable
from typing import Any

import pytest

from assets.models import Asset, LicensePurchase, LicenseTerm, SignatureMeaning, Version
from assets.rights.readings import delivered_empty, reading_record
from assets.services import version_approve
from assets.signatures import Intent
from govern.models import BusinessUnit
from templates_app.models import Template
from templates_app.services import binding_set, template_create
from tests.assets.conftest import (  # noqa: F401  (shared fixtures)
    add_version,
    disclaimer,
    logo,
    second_compliance_officer,
)
from tests.templates_app.campaign_fixtures import clock, scene  # noqa: F401  (shared fixtures)
from tests.templates_app.das_fixtures import das_process, das_sandbox  # noqa: F401  (shared fixtures)


@pytest.fixture
def make_template(designer: Any, unit: BusinessUnit) -> Callable[..., Template]:
    counter = iter(range(1, 100_000))

    def make(name: str = "", kind: str = "communication", **extra: Any) -> Template:
        n = next(counter)
        return template_create(
            exstream_id=extra.pop("exstream_id", f"EX-{n:05}"),
            name=name or f"Template {n}",
            kind=kind,
            channels=extra.pop("channels", ["print"]),
            unit=unit,
            actor=extra.pop("actor", designer),
            **extra,
        )

    return make


@pytest.fixture
def delivered_logo(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    deliver_all: Callable[[], Any],
) -> Version:
    """The logo's first version, approved, its renditions delivered to Exstream."""
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    deliver_all()
    return version


@pytest.fixture
def letter_showing(
    make_template: Callable[..., Template], designer: Any
) -> Callable[..., Template]:
    """Make a letter whose slot 'logo' shows an asset. Make it after approving what it shows:
    an approval flags the templates already using the asset for review."""

    def make(asset: Asset, name: str = "Letter", **extra: Any) -> Template:
        letter = make_template(name, **extra)
        binding_set(template=letter, slot="logo", asset=asset, actor=designer)
        return letter

    return make


def license_version(
    version: Version, key: str, *, released: bool = False, reader: Any = None, **term: Any
) -> LicensePurchase:
    """License a version through a Smint.io purchase with one term that states what is given
    and nothing else; `released` says its model and property releases are known. A `reader`
    (a compliance officer) reads every list delivered empty as none."""
    releases = {"model_release_state": "released", "property_release_state": "released"}
    purchase = LicensePurchase.objects.create(
        uuid=key,
        cart_uuid="c",
        asset=version.variant.asset,
        state="completed",
        content_element_uuid=key,
        **(releases if released else {}),
    )
    held = LicenseTerm.objects.create(purchase=purchase, sequence_number=1, fingerprint=key, **term)
    Version.objects.filter(pk=version.pk).update(purchase=purchase)
    if reader is not None:
        reading_record(
            purchase=purchase,
            terms=delivered_empty([held]),
            reason="The licence text says nothing more than its terms.",
            intent=Intent(reader, SignatureMeaning.READ),
        )
    return purchase
