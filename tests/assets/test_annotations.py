"""Comments pinned to a region of an image or a span of a text, threaded, carried forward."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assets.models import Annotation, Asset, Version
from audit.models import AuditEvent

ClientFor = Callable[[Any], Client]
AddVersion = Callable[..., Version]


def pin(client: Client, version: Version, **body: Any) -> Any:
    return client.post(
        f"/api/v1/versions/{version.pk}/annotations/", body, content_type="application/json"
    )


def test_a_region_comment_is_answered_carried_to_the_next_version_and_resolved(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    brand_manager: Any,
    client_for: ClientFor,
) -> None:
    first = add_version(logo)
    officer = client_for(compliance_officer)
    region = {"x": 0.1, "y": 0.2, "width": 0.3, "height": 0.25}
    made = pin(officer, first, body="The blue is off here", region=region)
    assert made.status_code == 201, made.content
    thread = made.json()["id"]
    answered = pin(client_for(brand_manager), first, body="Fixed in v2", reply_to=thread)
    assert answered.status_code == 201
    second = add_version(logo)
    carried = officer.get(f"/api/v1/versions/{second.pk}/annotations/").json()
    assert [(t["id"], t["version"], t["region"]) for t in carried] == [(thread, first.pk, region)]
    assert [reply["body"] for reply in carried[0]["replies"]] == ["Fixed in v2"]
    page = officer.get(f"/assets/versions/{second.pk}/").content.decode()
    assert "carried from v1" in page and "The blue is off here" in page
    assert '<rect x="0.100000" y="0.200000" width="0.300000" height="0.250000">' in page
    resolved = officer.post(f"/api/v1/annotations/{thread}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    assert officer.post(f"/api/v1/annotations/{thread}/resolve/").status_code == 409
    assert officer.get(f"/api/v1/versions/{second.pk}/annotations/").json() == []
    assert AuditEvent.objects.filter(action="annotation.added").count() == 2
    assert AuditEvent.objects.filter(action="annotation.resolved").count() == 1


def test_a_span_comment_quotes_the_words_of_a_text(
    disclaimer: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    version = add_version(disclaimer, text="Rates may change at any time.")
    officer = client_for(compliance_officer)
    response = officer.post(
        f"/assets/versions/{version.pk}/comments/",
        {"body": "Say how often", "quote": "at any time"},
        follow=True,
    )
    assert "Comment added." in response.content.decode()
    made = Annotation.objects.get()
    assert (made.start, made.end, made.quoted) == (17, 28, "at any time")
    assert "on “at any time”" in officer.get(f"/assets/versions/{version.pk}/").content.decode()


@pytest.mark.parametrize(
    "region",
    [
        {"x": 0.8, "y": 0.1, "width": 0.3, "height": 0.1},  # past the right edge
        {"x": 0.1, "y": 0.95, "width": 0.1, "height": 0.1},  # past the bottom
        {"x": 0.1, "y": 0.1, "width": 0, "height": 0.1},  # empty
        {"x": -0.1, "y": 0.1, "width": 0.1, "height": 0.1},
        {"x": 0.1, "y": 0.1, "width": 0.1},
    ],
)
def test_a_region_outside_the_image_is_refused(
    region: dict[str, float],
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    version = add_version(logo)
    response = pin(client_for(compliance_officer), version, body="Here", region=region)
    assert response.status_code == 400, response.content
    assert not Annotation.objects.exists()


def test_pins_must_fit_the_content_and_people_must_be_in_the_unit(
    logo: Asset,
    disclaimer: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    auditor: Any,
    outsider: Any,
    client_for: ClientFor,
) -> None:
    image, text = add_version(logo), add_version(disclaimer, text="Capital at risk.")
    officer = client_for(compliance_officer)
    span = {"start": 0, "end": 7}
    assert pin(officer, image, body="x", span=span).status_code == 400
    assert pin(officer, text, body="x", span={"start": 3, "end": 99}).status_code == 400
    region = {"x": 0, "y": 0, "width": 0.5, "height": 0.5}
    assert pin(officer, text, body="x", region=region).status_code == 400
    assert pin(officer, image, body="   ").status_code == 400
    assert pin(client_for(auditor), image, body="I may not").status_code == 403
    assert pin(client_for(outsider), image, body="Not mine").status_code == 404
    assert not Annotation.objects.exists()
    page = officer.post(
        f"/assets/versions/{image.pk}/comments/",
        {"body": "x", "x": "90", "y": "0", "width": "20", "height": "5"},
        follow=True,
    ).content.decode()
    assert "The region must lie inside the image" in page and not Annotation.objects.exists()
