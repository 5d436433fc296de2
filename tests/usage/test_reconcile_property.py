"""Property: unapproved_use and out_of_rights are raised exactly where the facts at run time say.

Random histories of approvals, withdrawals, licence term changes and a cancellation are played
through the real services at their moments; random runs are then reported, and each finding is
compared with an oracle that replays the same history on its own.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.models import LicensePurchase, LicenseTerm, Version, VersionState
from assets.services import asset_create, version_approve, version_withdraw
from govern.models import BusinessUnit
from templates_app.models import Template
from tests.usage.conftest import NOW, report
from usage.models import UsageException

BASE = datetime(2026, 9, 1, tzinfo=UTC)
GEOGRAPHIES = {
    "geography_germany": "DE",
    "geography_austria": "AT",
    "geography_united_kingdom": "GB",
}

events = st.lists(
    st.one_of(
        st.just(("approve",)),
        st.just(("withdraw",)),
        st.just(("cancel",)),
        st.tuples(st.just("terms"), st.frozensets(st.sampled_from(sorted(GEOGRAPHIES)))),
    ),
    min_size=1,
    max_size=8,
)
runs = st.lists(
    st.tuples(st.integers(0, 60 * 24), st.integers(0, 9), st.sampled_from(["DE", "AT", "GB"])),
    min_size=1,
    max_size=6,
)


@dataclass
class Oracle:
    periods: dict[int, list[list[datetime | None]]] = field(default_factory=dict)
    terms: list[tuple[datetime, datetime | None, set[str]]] = field(default_factory=list)
    cancelled_at: datetime | None = None

    def approved(self, version_id: int, moment: datetime) -> bool:
        return any(
            start <= moment and (end is None or moment < end)  # type: ignore[operator]
            for start, end in self.periods.get(version_id, [])
        )

    def covered(self, region: str, moment: datetime) -> bool:
        if self.cancelled_at is not None and self.cancelled_at <= moment:
            return False
        held = [
            regions
            for start, end, regions in self.terms
            if start <= moment and (end is None or moment < end)
        ]
        # An empty list of geographies judges nothing (as an unknown one): it does not refuse.
        return any(not regions or region in regions for regions in held)


def brand_manager_unit(user: Any) -> BusinessUnit:
    return BusinessUnit.objects.get(slug="insurance-de")  # the unit fixture


class History:
    def __init__(
        self, brand_manager: Any, add_version: Callable[..., Version], officer: Any, clock: Any
    ):
        self.logo = asset_create(
            key="campaign.visual",
            title="Visual",
            kind="campaign_visual",
            unit=brand_manager_unit(brand_manager),
            actor=brand_manager,
        )
        self.add_version, self.officer, self.clock = add_version, officer, clock
        self.oracle = Oracle()
        self.versions: list[Version] = []
        self.purchase = LicensePurchase.objects.create(
            uuid="lpt-p",
            cart_uuid="c",
            asset=self.logo,
            state="completed",
            content_element_uuid="e",
        )
        self.term(BASE - timedelta(days=1), frozenset({"geography_germany"}))

    def play(self, event: tuple[Any, ...], moment: datetime) -> None:
        self.clock.move_to(moment)
        if event[0] == "approve":
            version = self.add_version(self.logo)
            Version.objects.filter(pk=version.pk).update(purchase=self.purchase)
            current = self.current()
            version_approve(version=version, actor=self.officer)
            if current is not None:
                self.oracle.periods[current.pk][-1][1] = moment
            self.oracle.periods.setdefault(version.pk, []).append([moment, None])
            self.versions.append(version)
        elif event[0] == "withdraw" and (current := self.current()) is not None:
            version_withdraw(version=current, actor=self.officer, comment="Recall")
            self.oracle.periods[current.pk][-1][1] = moment
        elif event[0] == "cancel" and self.oracle.cancelled_at is None:
            LicensePurchase.objects.filter(pk=self.purchase.pk).update(
                state="cancelled", cancelled_at=moment
            )
            self.oracle.cancelled_at = moment
        elif event[0] == "terms":
            self.term(moment, event[1])

    def current(self) -> Version | None:
        return Version.objects.filter(variant__asset=self.logo, state=VersionState.APPROVED).first()

    def term(self, moment: datetime, keys: frozenset[str]) -> None:
        LicenseTerm.objects.filter(purchase=self.purchase, active=True).update(
            active=False, deactivated_at=moment
        )
        if self.oracle.terms:
            start, _end, regions = self.oracle.terms[-1]
            self.oracle.terms[-1] = (start, moment, regions)
        LicenseTerm.objects.create(
            purchase=self.purchase,
            sequence_number=1,
            fingerprint=f"t{moment.timestamp()}",
            allowed_geographies=sorted(keys),
            created_at=moment,
        )
        self.oracle.terms.append((moment, None, {GEOGRAPHIES[key] for key in keys}))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=events, reported=runs)
def test_findings_match_the_facts_at_each_run(
    history: list[tuple[Any, ...]],
    reported: list[tuple[int, int, str]],
    brand_manager: Any,
    letter: Template,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    clock: Any,
) -> None:
    with transaction.atomic():
        played = History(brand_manager, add_version, compliance_officer, clock)
        for day, event in enumerate(history, start=1):
            played.play(event, BASE + timedelta(days=day * 7))
        clock.move_to(NOW)
        expected, found = set(), set()
        for number, (minutes, pick, region) in enumerate(reported):
            if not played.versions:
                break
            version = played.versions[pick % len(played.versions)]
            started = BASE + timedelta(days=3, minutes=minutes * 37)
            report(f"P{number}", [{"version": version.pk, "region": region}], started=started)
            if not played.oracle.approved(version.pk, started):
                expected.add((f"P{number}", "unapproved_use"))
            if not played.oracle.covered(region, started):
                expected.add((f"P{number}", "out_of_rights"))
        for run_id, code in UsageException.objects.values_list("run__run_id", "code"):
            if code in {"unapproved_use", "out_of_rights"}:
                found.add((run_id, code))
        assert found == expected
        transaction.set_rollback(True)
