"""Property test: no sequence of actions approves a version without independent approvers."""

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from assets.models import Asset, DecisionAction, Version, VersionState
from assets.selectors import clean_selectors
from assets.services import (
    asset_create,
    version_approve,
    version_create,
    version_reject,
    version_retire,
    version_submit,
    version_withdraw,
)
from assets.uploads import inspect_bytes, read_text
from govern.errors import Conflict
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import role_grant
from tests import images

REFUSALS = (PermissionDenied, ValidationError, Conflict)
ALLOWED = {
    ("draft", "in_review"),
    ("in_review", "in_review"),  # a first approval of a regulated version
    ("in_review", "approved"),
    ("in_review", "rejected"),
    ("approved", "withdrawn"),
    ("approved", "retired"),
}
PEOPLE = ["bella", "colin", "carla", "hybrid"]  # hybrid: brand manager and compliance officer


class Workflow(RuleBasedStateMachine):
    versions = Bundle("versions")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        unit = BusinessUnit.objects.create(name="Unit", slug="unit")
        grants = {
            "bella": [Role.BRAND_MANAGER],
            "colin": [Role.COMPLIANCE_OFFICER],
            "carla": [Role.COMPLIANCE_OFFICER],
            "hybrid": [Role.BRAND_MANAGER, Role.COMPLIANCE_OFFICER],
        }
        self.people = {}
        for name, roles in grants.items():
            self.people[name] = User.objects.create(username=name)
            for role in roles:
                role_grant(user=self.people[name], role=role, unit=unit, actor=None)
        bella = self.people["bella"]
        self.assets = [
            asset_create(key="logo", title="Logo", kind="logo", unit=unit, actor=bella),
            asset_create(key="terms", title="Terms", kind="disclaimer", unit=unit, actor=bella),
        ]
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _attempt(self, version: Version, service: Any, **arguments: Any) -> None:
        before = Version.objects.get(pk=version.pk).state
        try:
            with transaction.atomic():
                service(version=version, **arguments)
        except REFUSALS:
            assert Version.objects.get(pk=version.pk).state == before, "a refusal changes nothing"
            return
        after = Version.objects.get(pk=version.pk).state
        assert (before, after) in ALLOWED, f"{service.__name__}: {before} -> {after}"

    @rule(
        target=versions,
        asset_index=st.integers(0, 1),
        author=st.sampled_from(["bella", "hybrid"]),
        language=st.sampled_from(["", "de"]),
    )
    def create(self, asset_index: int, author: str, language: str) -> Version:
        self.counter += 1
        asset: Asset = self.assets[asset_index]
        content = (
            read_text(f"Terms {self.counter}")
            if asset.takes_text
            else inspect_bytes(images.png(10 + self.counter, 10))
        )
        return version_create(
            asset=asset,
            selectors=clean_selectors(language=language),
            content=content,
            actor=self.people[author],
        )

    @rule(version=versions, person=st.sampled_from(PEOPLE))
    def submit(self, version: Version, person: str) -> None:
        self._attempt(version, version_submit, actor=self.people[person])

    @rule(version=versions, person=st.sampled_from(PEOPLE))
    def approve(self, version: Version, person: str) -> None:
        self._attempt(version, version_approve, actor=self.people[person])

    @rule(version=versions, person=st.sampled_from(PEOPLE), comment=st.sampled_from(["", "No"]))
    def reject(self, version: Version, person: str, comment: str) -> None:
        self._attempt(version, version_reject, actor=self.people[person], comment=comment)

    @rule(version=versions, person=st.sampled_from(PEOPLE), comment=st.sampled_from(["", "Recall"]))
    def withdraw(self, version: Version, person: str, comment: str) -> None:
        self._attempt(version, version_withdraw, actor=self.people[person], comment=comment)

    @rule(version=versions, person=st.sampled_from(PEOPLE))
    def retire(self, version: Version, person: str) -> None:
        self._attempt(version, version_retire, actor=self.people[person])

    @invariant()
    def at_most_one_approved_version_per_variant(self) -> None:
        crowded = (
            Version.objects.filter(state=VersionState.APPROVED)
            .values("variant")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not crowded.exists()

    @invariant()
    def approved_versions_had_enough_independent_approvers(self) -> None:
        ever_approved = Version.objects.filter(
            state__in=[
                VersionState.APPROVED,
                VersionState.SUPERSEDED,
                VersionState.WITHDRAWN,
                VersionState.RETIRED,
            ]
        )
        for version in ever_approved:
            approvers = set(
                version.decisions.filter(action=DecisionAction.APPROVE).values_list(
                    "actor_id", flat=True
                )
            )
            assert len(approvers) >= version.required_approvals
            assert not approvers & {version.created_by_id, version.submitted_by_id}


@pytest.mark.django_db
def test_no_sequence_of_actions_breaks_four_eyes() -> None:
    call_command("bootstrap", stdout=io.StringIO())
    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
