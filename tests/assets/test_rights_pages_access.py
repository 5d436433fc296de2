"""Who may open the rights and criteria pages, and who may change what they hold."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assets.models import CriteriaRuleSet, RightsPolicy, VocabularyMapping
from govern.models import BusinessUnit

PAGES = [
    "/assets/vocabularies/",
    "/assets/rights-policies/",
    "/assets/criteria/",
    "/notifications/",
]
# Status per role: brand manager, compliance officer, designer, auditor, and a compliance
# officer of another unit (who sees only that unit).
EXPECTED = {
    "/assets/vocabularies/": (403, 200, 403, 403, 200),
    "/assets/rights-policies/": (403, 200, 403, 403, 200),
    "/assets/criteria/": (403, 200, 403, 403, 200),
    "/notifications/": (200, 200, 200, 200, 200),
}


@pytest.fixture
def people(
    brand_manager: Any, compliance_officer: Any, designer: Any, auditor: Any, outsider: Any
) -> list[Any]:
    return [brand_manager, compliance_officer, designer, auditor, outsider]


@pytest.mark.parametrize("path", PAGES)
def test_each_role_gets_what_it_may_see(
    path: str, people: list[Any], client_for: Callable[[Any], Client]
) -> None:
    assert tuple(client_for(person).get(path).status_code for person in people) == EXPECTED[path]


@pytest.mark.parametrize("path", ["/assets/rights-policies/", "/assets/criteria/"])
def test_an_officer_of_another_unit_sees_only_that_unit(
    path: str, unit: BusinessUnit, other_unit: BusinessUnit, outsider: Any, client_for: Any
) -> None:
    html = client_for(outsider).get(path).content.decode()
    assert f"<h2>{other_unit.name}</h2>" in html and f"<h2>{unit.name}</h2>" not in html


def test_no_role_but_the_units_compliance_officer_changes_its_policy_or_criteria(
    unit: BusinessUnit, people: list[Any], client_for: Callable[[Any], Client]
) -> None:
    officer = people[1]
    writes = [
        (f"/assets/rights-policies/{unit.pk}/", {"kind": "logo", "on_unknown": "block"}),
        (f"/assets/criteria/{unit.pk}/", {"kind": "logo", "rules": "[]", "checklist": ""}),
    ]
    for person in people:
        for path, body in writes:
            if person != officer:
                assert client_for(person).post(path, body).status_code in (403, 404), person
    assert not RightsPolicy.objects.exists() and not CriteriaRuleSet.objects.exists()
    for path, body in writes:
        assert client_for(officer).post(path, body).status_code == 302
    assert RightsPolicy.objects.exists() and CriteriaRuleSet.objects.exists()


def test_vocabularies_are_the_tenants_and_mapped_by_any_compliance_officer(
    people: list[Any], client_for: Callable[[Any], Client]
) -> None:
    body = {"vocabulary": "license_usages", "key": "k", "values": "web"}
    for person in (people[0], people[2], people[3]):
        assert client_for(person).post("/assets/vocabularies/save/", body).status_code == 403
    assert not VocabularyMapping.objects.filter(key="k").exists()
    assert client_for(people[4]).post("/assets/vocabularies/save/", body).status_code == 302
    assert VocabularyMapping.objects.get(key="k").values == ["web"]
