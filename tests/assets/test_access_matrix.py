"""Every object view: 404 outside the user's units, 403 for writes by a read-only role."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assets.models import Asset, Version
from tests import images

READS = [
    "/assets/{asset}/",
    "/assets/versions/{version}/",
    "/assets/versions/{version}/preview",
    "/assets/versions/{version}/diff/{version}",
    "/api/v1/assets/{asset}/",
    "/api/v1/versions/{version}/",
    "/api/v1/versions/{version}/content",
]
WRITES = [
    "/assets/{asset}/",
    "/assets/versions/{version}/decide/",
    "/api/v1/assets/{asset}/versions/",
    *(
        f"/api/v1/versions/{{version}}/{action}/"
        for action in ("submit", "approve", "reject", "withdraw", "retire")
    ),
]


def write(client: Client, path: str) -> Any:
    if path.startswith("/api/") and path.endswith("/versions/"):
        return client.post(path, {"file": SimpleUploadedFile("x.png", images.png(9, 9))})
    if path.startswith("/api/"):
        return client.post(path, {"comment": "because"}, content_type="application/json")
    if path.endswith("/decide/"):
        return client.post(path, {"action": "approve", "comment": "because"})
    return client.post(path, {"file": SimpleUploadedFile("x.png", images.png(9, 9))})


@pytest.fixture
def target(logo: Asset, add_version: Callable[..., Version]) -> dict[str, int]:
    return {"asset": logo.pk, "version": add_version(logo).pk}


@pytest.mark.parametrize("path", READS)
def test_reads_are_404_outside_and_200_for_a_read_only_role(
    target: dict[str, int],
    outsider: Any,
    auditor: Any,
    client_for: Callable[[Any], Client],
    path: str,
) -> None:
    url = path.format(**target)
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(auditor).get(url).status_code == 200


@pytest.mark.parametrize("path", WRITES)
def test_writes_are_404_outside_and_403_for_a_read_only_role(
    target: dict[str, int],
    outsider: Any,
    auditor: Any,
    client_for: Callable[[Any], Client],
    path: str,
) -> None:
    url = path.format(**target)
    before = list(Version.objects.values_list("pk", "state"))
    assert write(client_for(outsider), url).status_code == 404
    assert write(client_for(auditor), url).status_code == 403
    assert list(Version.objects.values_list("pk", "state")) == before
