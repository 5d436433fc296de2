"""The version workflow: four-eyes, regulated approvals, supersession, comments, stale states."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assets.models import Asset, Decision, Version, VersionState
from assets.selectors import clean_selectors
from assets.services import (
    asset_create,
    version_approve,
    version_reject,
    version_retire,
    version_submit,
    version_withdraw,
)
from audit.models import AuditEvent
from govern.errors import Conflict
from govern.roles import Role
from govern.services import role_grant
from tests import images
from tests.conftest import signed

AddVersion = Callable[..., Version]


def actions_for(version: Version) -> list[str]:
    events = AuditEvent.objects.filter(target_type="assets.version", target_id=str(version.pk))
    return list(events.order_by("sequence").values_list("action", flat=True))


def test_approval_by_another_officer_approves_and_is_audited_once(
    logo: Asset, add_version: AddVersion, compliance_officer: Any
) -> None:
    version = add_version(logo)
    approved = version_approve(version=version, actor=compliance_officer, comment="Fine")
    assert approved.state == VersionState.APPROVED
    assert actions_for(version) == ["version.created", "version.submitted", "version.approved"]
    decision = Decision.objects.get(version=version)
    assert (decision.actor, decision.action, decision.comment) == (
        compliance_officer,
        "approve",
        "Fine",
    )


def test_submitter_cannot_approve_or_reject_their_own_version(
    logo: Asset, add_version: AddVersion, brand_manager: Any, compliance_officer: Any
) -> None:
    role_grant(
        user=brand_manager, role=Role.COMPLIANCE_OFFICER, unit=logo.business_unit, actor=None
    )
    version = add_version(logo)
    with pytest.raises(PermissionDenied, match="someone else must decide"):
        version_approve(version=version, actor=brand_manager)
    with pytest.raises(PermissionDenied, match="someone else must decide"):
        version_reject(version=version, actor=brand_manager, comment="no")
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW
    assert not Decision.objects.exists()


def test_approving_supersedes_the_previously_approved_version_of_the_variant(
    logo: Asset, add_version: AddVersion, compliance_officer: Any
) -> None:
    first = version_approve(version=add_version(logo), actor=compliance_officer)
    other_variant = add_version(logo, selectors=clean_selectors(language="de"))
    version_approve(version=other_variant, actor=compliance_officer)
    second = version_approve(version=add_version(logo), actor=compliance_officer)
    first.refresh_from_db()
    other_variant.refresh_from_db()
    assert (first.state, second.state) == (VersionState.SUPERSEDED, VersionState.APPROVED)
    assert other_variant.state == VersionState.APPROVED, "another variant is untouched"
    event = AuditEvent.objects.get(action="version.approved", target_id=str(second.pk))
    assert event.data["superseded"] == first.number


def test_regulated_version_needs_two_distinct_officers(
    disclaimer: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    second_compliance_officer: Any,
) -> None:
    version = add_version(disclaimer)
    assert version.required_approvals == 2
    version = version_approve(
        version=version, actor=compliance_officer, signature=signed(compliance_officer)
    )
    assert version.state == VersionState.IN_REVIEW
    assert AuditEvent.objects.filter(action="version.approval_recorded").count() == 1
    with pytest.raises(Conflict, match="already approved"):
        version_approve(version=version, actor=compliance_officer)
    version = version_approve(
        version=version,
        actor=second_compliance_officer,
        signature=signed(second_compliance_officer),
    )
    assert version.state == VersionState.APPROVED
    assert version.decisions.count() == 2


def test_approvals_per_kind_are_configurable(
    settings: Any, disclaimer: Asset, add_version: AddVersion
) -> None:
    settings.APPROVALS_BY_KIND = {"disclaimer": 3}
    assert add_version(disclaimer).required_approvals == 3


def test_unregulated_kind_can_be_marked_regulated(
    brand_manager: Any, unit: Any, add_version: AddVersion
) -> None:
    asset = asset_create(
        key="brand.logo.legal",
        title="Legal logo",
        kind="logo",
        unit=unit,
        actor=brand_manager,
        regulated=True,
    )
    assert add_version(asset).required_approvals == 2


@pytest.mark.parametrize("service", [version_reject, version_withdraw])
def test_rejection_and_withdrawal_need_a_comment(
    service: Any, logo: Asset, add_version: AddVersion, compliance_officer: Any
) -> None:
    version = add_version(logo)
    with pytest.raises(ValidationError, match="needs a comment"):
        service(version=version, actor=compliance_officer, comment="  ")
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW


def test_withdraw_recalls_an_approved_version(
    logo: Asset, add_version: AddVersion, compliance_officer: Any
) -> None:
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    version = version_withdraw(version=version, actor=compliance_officer, comment="Wrong colour")
    assert version.state == VersionState.WITHDRAWN
    assert actions_for(version)[-1] == "version.withdrawn"


def test_brand_manager_retires_an_approved_version(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, brand_manager: Any
) -> None:
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    assert version_retire(version=version, actor=brand_manager).state == VersionState.RETIRED


def test_decision_on_a_version_no_longer_in_review_is_a_conflict(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, brand_manager: Any
) -> None:
    version = add_version(logo)
    stale_copy = Version.objects.get(pk=version.pk)
    version_reject(version=version, actor=compliance_officer, comment="Blurry")
    with pytest.raises(Conflict, match="is rejected now, not in review"):
        version_approve(version=stale_copy, actor=compliance_officer)
    with pytest.raises(Conflict, match="is rejected now, not draft"):
        version_submit(version=stale_copy, actor=brand_manager)


def test_roles_without_the_capability_are_refused(
    logo: Asset, add_version: AddVersion, auditor: Any, outsider: Any
) -> None:
    version = add_version(logo)
    for person in (auditor, outsider):
        with pytest.raises(PermissionDenied):
            version_approve(version=version, actor=person)
    with pytest.raises(PermissionDenied):
        add_version(logo, actor=auditor)


def test_same_content_twice_in_one_variant_names_the_existing_version(
    logo: Asset, add_version: AddVersion
) -> None:
    add_version(logo, data=images.png(30, 30))
    with pytest.raises(Conflict, match="already version 1 of this variant"):
        add_version(logo, data=images.png(30, 30))
    other = add_version(logo, data=images.png(30, 30), selectors=clean_selectors(region="DE"))
    assert other.number == 1, "the same content may serve another variant"
