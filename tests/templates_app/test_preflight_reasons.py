"""Every pre-flight reason code appears exactly when its cause is there, whatever else is.

One template binds one asset per cause; each example switches a random set of causes on (in
a savepoint rolled back afterwards) and pre-flight must name exactly those codes.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.models import (
    Asset,
    CriteriaRuleSet,
    LicenceReading,
    LicenseTerm,
    RightsPolicy,
    Version,
)
from assets.resolution import Context
from assets.services import asset_create, version_approve
from assets.smintio.mapping import stated_empty
from govern.models import BusinessUnit
from templates_app.models import Binding, Delivery, Review, Template
from templates_app.preflight import preflight_run
from templates_app.services import binding_set
from tests.templates_app.conftest import license_version

AT = datetime(2027, 1, 5, tzinfo=UTC)
CAUSES = (
    "open_review",
    "pinned_not_approved",
    "unresolved",
    "not_delivered",
    "out_of_rights",
    "licence_unknown",
    "criteria_failed",
)
# The asset kind each licensed cause uses, so that a policy or criteria touch only its slot.
KINDS = {
    "not_delivered": "logo",
    "out_of_rights": "product_image",
    "licence_unknown": "icon",
    "criteria_failed": "illustration",
}


def licence(version: Version, reader: Any) -> None:
    key = f"lpt-{version.pk}"
    license_version(
        version, key, released=True, reader=reader, is_editorial_use=False, **stated_empty()
    )


@pytest.fixture
def stage(
    unit: BusinessUnit,
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    add_version: Callable[..., Version],
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> dict[str, Any]:
    def asset(key: str, kind: str) -> Asset:
        return asset_create(key=key, title=key, kind=kind, unit=unit, actor=brand_manager)

    template = make_template("Statement")
    versions = {}
    for cause, kind in KINDS.items():
        thing = asset(f"slot.{cause}", kind)
        versions[cause] = version_approve(version=add_version(thing), actor=compliance_officer)
        licence(versions[cause], compliance_officer)
        binding_set(template=template, slot=cause, asset=thing, actor=designer)
    deliver_all()
    unresolved = asset("slot.unresolved", "campaign_visual")
    add_version(unresolved)  # in review only
    pinned = asset("slot.pinned", "logo")
    return {
        "template": template,
        "versions": versions,
        "unresolved": unresolved,
        "draft": add_version(pinned, submit=False),
        "unit": unit,
    }


def cause(name: str, stage: dict[str, Any]) -> None:
    """Bring one cause about."""
    version = stage["versions"].get(name)
    template = stage["template"]
    if name == "open_review":
        Review.objects.create(
            template=template, asset=stage["unresolved"], action="x", cause_key="x"
        )
    elif name == "pinned_not_approved":
        Binding.objects.create(
            template=template,
            slot="pinned",
            asset=stage["draft"].variant.asset,
            pinned_version=stage["draft"],
        )
    elif name == "unresolved":
        Binding.objects.create(template=template, slot="unresolved", asset=stage["unresolved"])
    elif name == "not_delivered":
        Delivery.objects.filter(version=version, profile="print").update(state="retrying")
    elif name == "out_of_rights":
        LicenseTerm.objects.filter(purchase__versions=version).update(
            valid_until=AT.replace(year=2026)
        )
    elif name == "licence_unknown":
        LicenseTerm.objects.filter(purchase__versions=version).update(allowed_placements=None)
        LicenceReading.objects.filter(purchase__versions=version).delete()  # nobody read it
        RightsPolicy.objects.create(business_unit=stage["unit"], kind="icon", on_unknown="block")
    elif name == "criteria_failed":
        CriteriaRuleSet.objects.create(
            kind="illustration",
            number=1,
            rules=[{"rule": "max_bytes", "params": {"bytes": 1}, "blocking": True}],
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(causes=st.sets(st.sampled_from(CAUSES)))
def test_each_reason_code_appears_exactly_when_its_cause_does(
    stage: dict[str, Any], designer: Any, causes: set[str]
) -> None:
    with transaction.atomic():
        for name in causes:
            cause(name, stage)
        clearance = preflight_run(
            template=stage["template"],
            run_at=AT,
            contexts=[Context(region="DE", channel="print")],
            actor=designer,
        )
        codes = {reason["code"] for reason in clearance.reasons}
        transaction.set_rollback(True)
    assert codes == causes
    assert clearance.verdict == ("no-go" if causes else "go")
