"""Property test: whatever faults DAS's writes meet (refused unapplied, applied and answered 502,
applied and the connection dropped, applied and answered too late), and however approvals and
drains interleave, one logo is one image resource, and each approval Govern delivered is one
approved DAS version whose comment names that delivery; none is made twice. The rates drawn
add up to at most 0.8, so a push gets through now and then, as against a real instance."""

import itertools
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from assets.models import Asset
from assets.selectors import clean_selectors
from assets.services import asset_create, version_approve
from templates_app.exstream import das
from templates_app.models import Delivery
from templates_app.outbox.services import delivery_retry
from tests import images
from tests.sandboxes.runner import reset, set_faults

FAULTS = ["error_rate", "applied_error_rate", "drop_rate", "timeout_rate"]
NO_FAULTS = dict.fromkeys(FAULTS, 0.0)
KEYS = itertools.count(1)
SIZES = itertools.count(400)


def drain() -> None:
    call_command("deliver", "--until-idle", stdout=StringIO())
    Delivery.objects.filter(state="retrying").update(next_attempt_at="2000-01-01T00:00Z")


class Pushes(RuleBasedStateMachine):
    """One logo, approved again and again while DAS misbehaves."""

    sandbox = ""
    people: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        reset(self.sandbox)
        self.faults = {**NO_FAULTS, "timeout_seconds": 0.15}
        key = f"brand.logo.m{next(KEYS)}"
        self.logo: Asset = asset_create(
            key=key, title="Logo", kind="logo", unit=self.people["unit"], actor=self.people["bm"]
        )
        self.name = f"{key}/web/web"

    @initialize(rates=st.lists(st.sampled_from([0.0, 0.1, 0.2]), min_size=4, max_size=4))
    def start_misbehaving(self, rates: list[float]) -> None:
        self.faults.update(zip(FAULTS, rates, strict=True))
        set_faults(self.sandbox, **self.faults)

    @rule(fault=st.sampled_from(FAULTS), rate=st.sampled_from([0.0, 0.1, 0.2]))
    def misbehave(self, fault: str, rate: float) -> None:
        self.faults[fault] = rate
        set_faults(self.sandbox, **self.faults)

    @rule()
    def approve(self) -> None:
        version = self.people["add_version"](
            self.logo,
            data=images.png(next(SIZES), 200),
            selectors=clean_selectors(channels=["web"]),
        )
        version_approve(version=version, actor=self.people["officer"])

    @rule()
    def deliver(self) -> None:
        drain()

    def _versions(self) -> list[das.DasVersion]:
        """Every DAS version of the logo's image, read with the faults off for a moment."""
        set_faults(self.sandbox, **NO_FAULTS)
        params = {"filter.types": "image", "filter.latestVersion": "false"}
        items = das.gateway().pages("/resources/govern", params)
        found = [das.read_version(item) for item in items if item["name"] == self.name]
        set_faults(self.sandbox, **self.faults)
        return found

    @invariant()
    def nothing_is_made_twice(self) -> None:
        versions = self._versions()
        assert len({version.id for version in versions}) <= 1, "one image resource"
        keys = [version.comment.split(" ")[1] for version in versions]
        assert len(keys) == len(set(keys)), f"a delivery became two DAS versions: {keys}"

    def teardown(self) -> None:
        set_faults(self.sandbox, **NO_FAULTS)
        mine = Delivery.objects.filter(version__variant__asset=self.logo)
        for dead in mine.filter(state="dead", version__state="approved"):
            delivery_retry(delivery=dead, actor=self.people["officer"])  # as an officer would
        for _ in range(3):
            drain()
        assert not mine.exclude(state__in=["delivered", "skipped"]).exists()
        delivered = {
            str(key)
            for key in mine.filter(state="delivered").values_list("idempotency_key", flat=True)
        }
        versions = self._versions()
        assert {version.comment.split(" ")[1] for version in versions} == delivered
        assert all(version.state == "APPROVED" for version in versions)
        assert sorted(v.version for v in versions) == list(range(1, len(versions) + 1))


@pytest.fixture
def machine(
    das_sandbox: str,
    unit: Any,
    brand_manager: Any,
    compliance_officer: Any,
    add_version: Any,
    settings: Any,
) -> Iterator[type[Pushes]]:
    settings.DELIVERY_BACKOFF_SECONDS = 0
    settings.EXSTREAM_READ_TIMEOUT = 0.1
    settings.EXSTREAM_RETRIES = 6  # the outbox retries what the gateway gives up on
    Pushes.sandbox = das_sandbox
    Pushes.people = {
        "unit": unit,
        "bm": brand_manager,
        "officer": compliance_officer,
        "add_version": add_version,
    }
    yield Pushes
    Pushes.people = {}


def test_no_interleaving_of_faults_approvals_and_drains_makes_a_das_version_twice(
    machine: type[Pushes],
) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=20,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
