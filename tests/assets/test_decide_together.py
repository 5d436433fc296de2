"""Deciding several versions of the queue together: each its own decision, all or none."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assets.models import Asset, Decision, Version, VersionState
from assets.services import asset_create
from audit.models import AuditEvent

ClientFor = Callable[[Any], Client]
AddVersion = Callable[..., Version]
DECIDE = "/api/v1/versions/decide/"


@pytest.fixture
def three_logos(add_version: AddVersion, brand_manager: Any, unit: Any) -> list[Version]:
    versions = []
    for n in range(3):
        asset = asset_create(
            key=f"brand.logo.{n}", title=f"Logo {n}", kind="logo", unit=unit, actor=brand_manager
        )
        versions.append(add_version(asset))
    return versions


def decide(client: Client, versions: list[Any], action: str, comment: str = "") -> Any:
    keys = [v if isinstance(v, int) else v.pk for v in versions]
    body = {"versions": keys, "action": action, "comment": comment}
    return client.post(DECIDE, body, content_type="application/json")


def states(versions: list[Version]) -> list[str]:
    return [Version.objects.get(pk=v.pk).state for v in versions]


def test_approving_together_decides_and_audits_each_one(
    three_logos: list[Version], compliance_officer: Any, client_for: ClientFor
) -> None:
    response = decide(client_for(compliance_officer), three_logos, "approve", "Brand guide 4.2")
    assert response.status_code == 200, response.content
    assert [row["state"] for row in response.json()["decided"]] == ["approved"] * 3
    assert states(three_logos) == [VersionState.APPROVED] * 3
    assert Decision.objects.filter(actor=compliance_officer, comment="Brand guide 4.2").count() == 3
    approved = AuditEvent.objects.filter(action="version.approved", actor=compliance_officer)
    assert sorted(event.target_id for event in approved) == sorted(str(v.pk) for v in three_logos)


def test_rejecting_together_needs_the_comment(
    three_logos: list[Version], compliance_officer: Any, client_for: ClientFor
) -> None:
    client = client_for(compliance_officer)
    refused = decide(client, three_logos, "reject")
    assert refused.status_code == 400
    assert states(three_logos) == [VersionState.IN_REVIEW] * 3
    assert decide(client, three_logos, "reject", "Old palette").status_code == 200
    assert states(three_logos) == [VersionState.REJECTED] * 3


def test_a_regulated_version_refuses_the_whole_choice(
    three_logos: list[Version],
    disclaimer: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    regulated = add_version(disclaimer)
    response = decide(client_for(compliance_officer), [*three_logos, regulated], "approve")
    assert response.status_code == 400
    assert "Regulated versions are decided one by one" in response.content.decode()
    assert str(regulated) in response.content.decode()
    assert states([*three_logos, regulated]) == [VersionState.IN_REVIEW] * 4
    assert not Decision.objects.exists()


def test_a_version_of_another_unit_is_a_404_for_the_whole_choice(
    three_logos: list[Version],
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
    make_user: Callable[..., Any],
    other_unit: Any,
) -> None:
    from govern.roles import Role

    elsewhere_manager = make_user("ella", Role.BRAND_MANAGER, other_unit)
    elsewhere = asset_create(
        key="uk.logo", title="UK", kind="logo", unit=other_unit, actor=elsewhere_manager
    )
    foreign = add_version(elsewhere, actor=elsewhere_manager)
    response = decide(client_for(compliance_officer), [*three_logos, foreign], "approve")
    assert response.status_code == 404
    assert states(three_logos) == [VersionState.IN_REVIEW] * 3
    assert decide(client_for(compliance_officer), [2**63 - 1], "approve").status_code == 404


def test_ones_own_version_among_them_refuses_them_all_with_403(
    three_logos: list[Version],
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
    unit: Any,
) -> None:
    from govern.roles import Role
    from govern.services import role_grant

    role_grant(user=compliance_officer, role=Role.BRAND_MANAGER, unit=unit, actor=None)
    own = add_version(logo, actor=compliance_officer)
    response = decide(client_for(compliance_officer), [*three_logos, own], "approve")
    assert response.status_code == 403
    assert str(own) in response.json()["detail"]
    assert states([*three_logos, own]) == [VersionState.IN_REVIEW] * 4
    assert not Decision.objects.exists()


def test_a_version_decided_meanwhile_refuses_them_all_with_409(
    three_logos: list[Version],
    compliance_officer: Any,
    second_compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    assert (
        decide(client_for(second_compliance_officer), three_logos[1:2], "approve").status_code
        == 200
    )
    response = decide(client_for(compliance_officer), three_logos, "approve")
    assert response.status_code == 409
    assert str(three_logos[1]) in response.json()["detail"]
    assert states(three_logos) == [
        VersionState.IN_REVIEW,
        VersionState.APPROVED,
        VersionState.IN_REVIEW,
    ]
    assert not Decision.objects.filter(actor=compliance_officer).exists()


def test_a_brand_manager_may_not_decide_together(
    three_logos: list[Version], brand_manager: Any, client_for: ClientFor
) -> None:
    assert decide(client_for(brand_manager), three_logos, "approve").status_code == 403
    assert states(three_logos) == [VersionState.IN_REVIEW] * 3


@pytest.mark.parametrize(
    "body",
    [
        {"versions": [], "action": "approve"},
        {"versions": list(range(1, 102)), "action": "approve"},
        {"versions": [1], "action": "withdraw"},
        {"versions": ["one"], "action": "approve"},
        {"versions": [0], "action": "approve"},
        {"versions": [2**63], "action": "approve"},
    ],
)
def test_malformed_choices_are_400(
    body: dict[str, Any], compliance_officer: Any, client_for: ClientFor
) -> None:
    response = client_for(compliance_officer).post(DECIDE, body, content_type="application/json")
    assert response.status_code == 400, response.content


# The queue page


def test_the_queue_page_decides_the_ticked_versions_and_keeps_its_filter(
    three_logos: list[Version], compliance_officer: Any, client_for: ClientFor
) -> None:
    client = client_for(compliance_officer)
    page = client.get("/assets/review/?q=brand.logo&sort=asset").content.decode()
    assert f'name="versions" value="{three_logos[0].pk}"' in page
    response = client.post(
        "/assets/review/decide/",
        {
            "versions": [three_logos[0].pk, three_logos[2].pk],
            "action": "approve",
            "queue": "q=brand.logo&sort=asset&junk=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/assets/review/?q=brand.logo&sort=asset"
    assert states(three_logos) == [
        VersionState.APPROVED,
        VersionState.IN_REVIEW,
        VersionState.APPROVED,
    ]
    shown = client.get(response["Location"]).content.decode()
    assert "Approved 2: brand.logo.0 v1" in shown


def test_the_queue_page_offers_no_tick_for_a_regulated_version_and_refuses_one_posted(
    disclaimer: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    regulated = add_version(disclaimer)
    client = client_for(compliance_officer)
    assert (
        f'name="versions" value="{regulated.pk}"'
        not in client.get("/assets/review/").content.decode()
    )
    response = client.post(
        "/assets/review/decide/", {"versions": [regulated.pk], "action": "approve"}, follow=True
    )
    assert (
        "Nothing was decided. Regulated versions are decided one by one"
        in response.content.decode()
    )
    assert Version.objects.get(pk=regulated.pk).state == VersionState.IN_REVIEW
    bad = client.post("/assets/review/decide/", {"versions": ["1; drop"], "action": "approve"})
    assert bad.status_code == 400


def test_the_queue_page_names_ones_own_version_and_decides_nothing(
    three_logos: list[Version],
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    brand_manager: Any,
    client_for: ClientFor,
    unit: Any,
) -> None:
    from govern.roles import Role
    from govern.services import role_grant

    role_grant(user=compliance_officer, role=Role.BRAND_MANAGER, unit=unit, actor=None)
    own = add_version(logo, actor=compliance_officer)
    body = {"versions": [three_logos[0].pk, own.pk], "action": "approve"}
    shown = client_for(compliance_officer).post("/assets/review/decide/", body, follow=True)
    assert f"Nothing was decided. {own}: You created or submitted" in shown.content.decode()
    assert states([three_logos[0], own]) == [VersionState.IN_REVIEW] * 2
    refused = client_for(brand_manager).post("/assets/review/decide/", body)
    assert refused.status_code == 403


# Licences in the queue: a rights column, and only covered licensed versions decided together


@pytest.fixture
def licensed_logos(
    three_logos: list[Version], unit: Any, compliance_officer: Any, client_for: ClientFor
) -> list[Version]:
    """Logo 0 needs no licence; logo 1's licence says nothing (the SDK's test purchase:
    unknown); logo 2's was read as editorial only (restricted for this unit)."""
    from tests.assets.test_licence_readings import (
        EVERYTHING,
        licensed,
        post_reading,
        sdk_test_purchase,
    )

    licensed(three_logos[1], sdk_test_purchase(uuid="unknown-terms"), unit)
    editorial = licensed(three_logos[2], sdk_test_purchase(uuid="editorial-only"), unit)
    answer = post_reading(
        client_for(compliance_officer),
        editorial,
        terms=EVERYTHING | {"is_editorial_use": True},
        reason="Editorial use only.",
    )
    assert answer.status_code == 201, answer.content
    return three_logos


def test_the_queue_shows_each_versions_rights_and_ticks_only_those_decided_together(
    licensed_logos: list[Version], compliance_officer: Any, client_for: ClientFor
) -> None:
    page = client_for(compliance_officer).get("/assets/review/").content.decode()
    own, unknown, restricted = licensed_logos
    assert f'name="versions" value="{own.pk}"' in page
    assert f'name="versions" value="{unknown.pk}"' not in page
    assert f'name="versions" value="{restricted.pk}"' not in page
    assert '<span class="badge rights-unknown" title="its licence cannot be judged:' in page
    assert "its allowed geographies are not stated" in page
    assert '<span class="badge rights-restricted" title="its licence is for editorial use only' in (
        page
    )
    assert "no licence needed" in page


def test_deciding_together_refuses_a_licensed_version_whose_terms_are_unknown(
    licensed_logos: list[Version], compliance_officer: Any, client_for: ClientFor
) -> None:
    response = decide(client_for(compliance_officer), licensed_logos[:2], "approve")
    assert response.status_code == 400
    said = response.content.decode()
    assert "Licensed versions whose terms are unknown or restrictive are decided one by one" in said
    assert f"{licensed_logos[1]} (its licence cannot be judged" in said
    assert states(licensed_logos) == [VersionState.IN_REVIEW] * 3
    assert not Decision.objects.exists()


def test_every_version_in_the_filter_decides_those_that_may_be_and_names_the_rest(
    licensed_logos: list[Version], compliance_officer: Any, client_for: ClientFor
) -> None:
    body = {"all": "filter", "action": "approve", "queue": "q=brand.logo"}
    shown = client_for(compliance_officer).post("/assets/review/decide/", body, follow=True)
    said = shown.content.decode()
    assert f"Approved 1: {licensed_logos[0]}." in said
    assert "Left out, to decide one by one on their pages: 2 whose licence is unknown" in said
    assert states(licensed_logos) == [
        VersionState.APPROVED,
        VersionState.IN_REVIEW,
        VersionState.IN_REVIEW,
    ]


def test_every_version_in_a_filter_past_the_limit_is_refused_naming_the_limit(
    three_logos: list[Version],
    compliance_officer: Any,
    client_for: ClientFor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assets import services

    monkeypatch.setattr(services, "TOGETHER_LIMIT", 2)
    client = client_for(compliance_officer)
    body = {"all": "filter", "action": "approve", "queue": ""}
    said = client.post("/assets/review/decide/", body, follow=True).content.decode()
    assert "Nothing was decided. The filter matches more than 2 versions" in said
    assert "at most 2 are decided at once: narrow the filter" in said
    ticked = {"versions": [v.pk for v in three_logos], "action": "approve"}
    refused = client.post("/assets/review/decide/", ticked)
    assert refused.status_code == 400
    assert "3 versions ticked: at most 2 are decided together." in refused.content.decode()
    assert states(three_logos) == [VersionState.IN_REVIEW] * 3
