"""GET /api/v1/versions/{id}/rights answers the rights question for one use of a version."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from assets.models import Asset, Version
from assets.services import version_approve
from tests.templates_app.conftest import license_version

ClientFor = Callable[[Any], Client]
END = datetime(2027, 6, 30, 23, 59, tzinfo=UTC)


@pytest.fixture
def licensed(logo: Asset, add_version: Callable[..., Version], compliance_officer: Any) -> Version:
    """A logo version licensed for print in Germany until END, every other list delivered empty
    and read as none by the officer."""
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    license_version(
        version,
        "lpt-api",
        released=True,
        reader=compliance_officer,
        is_editorial_use=False,
        valid_until=END,
        allowed_geographies=["geography_germany"],
        allowed_usages=["usage_print"],
        restricted_geographies=[],
        restricted_usages=[],
        allowed_languages=[],
        restricted_languages=[],
        allowed_placements=[],
        restricted_placements=[],
        allowed_industries=[],
        restricted_industries=[],
        allowed_sizes=[],
        restricted_sizes=[],
        allowed_distributions=[],
        restricted_distributions=[],
        usage_limits=[],
    )
    return version


def rights(client: Client, version: Version, **query: str) -> Any:
    return client.get(f"/api/v1/versions/{version.pk}/rights", query)


def test_a_use_inside_the_licence_is_covered_and_names_its_purchase(
    licensed: Version, designer: Any, client_for: ClientFor
) -> None:
    at = "2027-01-05T09:00:00Z"
    answer = rights(client_for(designer), licensed, region="de", channel="print", at=at)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["outcome"], body["reasons"], body["unknown"]) == ("covered", [], [])
    assert body["use"]["region"] == "DE", "the region is read as ISO 3166-1"
    assert [p["uuid"] for p in body["purchases"]] == ["lpt-api"]


def test_a_use_outside_the_licence_is_not_covered_with_every_reason(
    licensed: Version, designer: Any, client_for: ClientFor
) -> None:
    client = client_for(designer)
    abroad = rights(client, licensed, region="GB", channel="email", at="2027-01-05T09:00:00Z")
    assert abroad.json()["outcome"] == "not_covered"
    assert abroad.json()["reasons"] == ["not for region GB", "not for channel email"]
    late = rights(client, licensed, region="DE", channel="print", at="2027-07-01T09:00:00+02:00")
    assert late.json()["reasons"] == ["valid only until 2027-06-30"]


def test_an_unlicensed_version_needs_no_licence(
    logo: Asset, add_version: Callable[..., Version], designer: Any, client_for: ClientFor
) -> None:
    version = add_version(logo)
    body = rights(client_for(designer), version, region="DE").json()
    assert (body["outcome"], body["purchases"]) == ("covered", [])
    assert body["notes"] == ["not from a purchase: needs no licence"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"region": "Germany"}, "region"),
        ({"language": "deutsch!"}, "language"),
        ({"channel": "fax"}, "channel"),
        ({"placement": "ceiling"}, "placement"),
        ({"at": "2027-01-05T09:00:00"}, "at"),
        ({"at": "3027-01-05T09:00:00Z"}, "at"),
        ({"at": "soon"}, "at"),
        ({"at": "0001-01-01T00:00:00+14:00"}, "at"),
        ({"at": "9999-12-31T23:59:59-14:00"}, "at"),
        ({"region": ""}, "region"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    licensed: Version, designer: Any, client_for: ClientFor, query: dict[str, str], field: str
) -> None:
    answer = rights(client_for(designer), licensed, **query)
    assert answer.status_code == 400
    assert field in str(answer.json())


def test_the_answer_is_scoped_like_the_version(
    licensed: Version, outsider: Any, auditor: Any, client_for: ClientFor
) -> None:
    assert rights(client_for(outsider), licensed, region="DE").status_code == 404
    assert rights(client_for(auditor), licensed, region="DE").status_code == 200
    assert Client().get(f"/api/v1/versions/{licensed.pk}/rights").status_code in {401, 403}
