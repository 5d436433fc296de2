"""Example tests for guards mutation testing found only a rare property example for."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from assets.models import Asset, Version
from assets.services import version_approve, version_submit
from audit.chain import GENESIS_HASH, chain_hash
from govern.models import ApiKey
from govern.roles import Role
from govern.services import role_grant
from templates_app.models import Review, Template
from templates_app.services import binding_set

EVENT = {
    "action": "version.approved",
    "sequence": 1,
    "data": {"asset": "brand.logo.primary", "number": 2},
    "occurred_at": "2026-12-01T06:00:00.000000+00:00",
}


def test_the_chain_hash_has_a_known_answer_and_depends_on_the_previous_hash() -> None:
    first = chain_hash(GENESIS_HASH, EVENT)
    assert first == "99daaddaa6851edfc87b2a701609ab5c213e7239b1da179d70a9ad1d39bb7a12"
    assert chain_hash("f" * 64, EVENT) == (
        "40e214b7986c5d3bcd7cf36c70b8736c6777eddb5ad77cf4733fd9eff9c67a2d"
    )


def test_a_creator_who_did_not_submit_still_may_not_approve(
    logo: Asset,
    add_version: Callable[..., Version],
    brand_manager: Any,
    make_user: Callable[..., Any],
    unit: Any,
) -> None:
    maker = make_user("mona", Role.COMPLIANCE_OFFICER, unit)
    role_grant(user=maker, role=Role.BRAND_MANAGER, unit=unit, actor=None)
    version = add_version(logo, submit=False, actor=maker)
    version = version_submit(version=version, actor=brand_manager)
    assert version.submitted_by == brand_manager
    with pytest.raises(PermissionDenied, match="created or submitted"):
        version_approve(version=version, actor=maker)


def test_a_newer_approval_opens_its_own_review_while_the_last_one_is_open(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
) -> None:
    letter = make_template("Letter")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    v1 = version_approve(version=add_version(logo), actor=compliance_officer)
    v2 = version_approve(version=add_version(logo), actor=compliance_officer)
    v3 = version_approve(version=add_version(logo), actor=compliance_officer)
    changes = set(
        Review.objects.filter(template=letter, state="open").values_list(
            "old_version", "new_version"
        )
    )
    assert changes == {(v1.pk, v2.pk), (v2.pk, v3.pk)}


def test_the_key_of_a_deactivated_account_is_refused(
    integration_key: str, api_client_for_key: Callable[[str], Client]
) -> None:
    client = api_client_for_key(integration_key)
    assert client.get("/api/v1/me/").status_code == 200
    account = ApiKey.objects.get().user
    account.is_active = False
    account.save()
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Unknown or revoked API key."
