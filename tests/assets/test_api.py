"""The assets API, through HTTP: scope, roles, uploads, workflow actions and queues."""

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from assets.models import Asset, Version, VersionState
from audit.models import AuditEvent
from tests import images
from tests.conftest import stored_files

ClientFor = Callable[[Any], Client]


def upload(client: Client, asset: Asset, data: bytes, name: str = "logo.png", **fields: Any) -> Any:
    payload = {"file": SimpleUploadedFile(name, data, content_type="image/png"), **fields}
    return client.post(f"/api/v1/assets/{asset.pk}/versions/", payload)


def post_json(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type="application/json")


# Assets


def test_brand_manager_creates_an_asset(brand_manager: Any, client_for: ClientFor) -> None:
    response = post_json(
        client_for(brand_manager),
        "/api/v1/assets/",
        {
            "key": "brand.logo.primary",
            "title": "Logo",
            "kind": "logo",
            "business_unit": "insurance-de",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["regulated"] is False
    assert AuditEvent.objects.filter(
        action="asset.created", data__key="brand.logo.primary"
    ).exists()


def test_regulated_kinds_default_to_regulated(brand_manager: Any, client_for: ClientFor) -> None:
    body = {
        "key": "legal.terms",
        "title": "Terms",
        "kind": "legal_artwork",
        "business_unit": "insurance-de",
    }
    assert post_json(client_for(brand_manager), "/api/v1/assets/", body).json()["regulated"] is True


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"key": "Bad Key!", "title": "T", "kind": "logo"}, 400, "key:"),
        ({"key": "ok.key", "title": "T", "kind": "sticker"}, 400, "kind:"),
        (
            {"key": "ok.key", "title": "T", "kind": "logo", "colour": "red"},
            400,
            "colour: Unknown field.",
        ),
        (
            {"key": "ok.key", "title": "T", "kind": "logo", "business_unit": "banking-uk"},
            400,
            "No such unit",
        ),
        ({"key": "brand.logo.primary", "title": "T", "kind": "logo"}, 409, "already exists"),
    ],
)
def test_bad_asset_input_is_refused_and_changes_nothing(
    logo: Asset,
    brand_manager: Any,
    other_unit: Any,
    client_for: ClientFor,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    body = {"business_unit": "insurance-de", **body}
    response = post_json(client_for(brand_manager), "/api/v1/assets/", body)
    assert response.status_code == status
    assert fragment in response.json()["detail"]
    assert Asset.objects.count() == 1


def test_read_only_roles_cannot_create_assets(auditor: Any, client_for: ClientFor) -> None:
    body = {"key": "x.y", "title": "T", "kind": "logo", "business_unit": "insurance-de"}
    assert post_json(client_for(auditor), "/api/v1/assets/", body).status_code == 403
    assert not Asset.objects.exists()


def test_assets_outside_your_units_are_invisible(
    logo: Asset, outsider: Any, auditor: Any, client_for: ClientFor
) -> None:
    assert client_for(outsider).get("/api/v1/assets/").json()["results"] == []
    assert client_for(outsider).get(f"/api/v1/assets/{logo.pk}/").status_code == 404
    detail = client_for(auditor).get(f"/api/v1/assets/{logo.pk}/")
    assert detail.status_code == 200 and detail.json()["key"] == "brand.logo.primary"


# Uploads


def test_upload_creates_a_draft_stored_under_its_hash(
    logo: Asset, brand_manager: Any, client_for: ClientFor, media_root: Path
) -> None:
    response = upload(
        client_for(brand_manager),
        logo,
        images.jpeg(),
        name="logo.png",
        language="de-ch",
        region="ch",
        channels=["print", "email"],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["number"], body["media_type"]) == ("draft", 1, "image/jpeg")
    assert body["variant"] == {
        "id": body["variant"]["id"],
        "language": "de-CH",
        "region": "CH",
        "segment": "",
        "channels": ["email", "print"],
    }
    [stored] = stored_files(media_root)
    assert stored.name == f"{body['sha256']}.jpg"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == body["sha256"]


def test_same_content_twice_gets_409_naming_the_version(
    logo: Asset, brand_manager: Any, client_for: ClientFor
) -> None:
    client = client_for(brand_manager)
    assert upload(client, logo, images.png()).status_code == 201
    again = upload(client, logo, images.png(), name="copy.png")
    assert again.status_code == 409
    assert again.json() == {
        "error": "duplicate_content",
        "detail": "This content is already version 1 of this variant (draft).",
    }


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (images.bomb(), 400),
        (images.truncated_png(), 400),
        (images.png_with_html_appended(), 400),
        (images.HOSTILE_SVGS["script"], 400),
        (images.html_named_like_an_image(), 415),
        (b"", 400),
    ],
    ids=["bomb", "truncated", "polyglot", "svg-script", "html-as-png", "empty"],
)
def test_hostile_uploads_get_4xx_and_store_nothing(
    logo: Asset,
    brand_manager: Any,
    client_for: ClientFor,
    media_root: Path,
    data: bytes,
    status: int,
) -> None:
    response = upload(client_for(brand_manager), logo, data)
    assert response.status_code == status
    assert response.json()["detail"]
    assert not Version.objects.exists()
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(action="version.created").exists()


def test_oversized_upload_gets_413(
    settings: Any, logo: Asset, brand_manager: Any, client_for: ClientFor
) -> None:
    settings.UPLOAD_MAX_BYTES = 100_000
    client = client_for(brand_manager)
    response = upload(client, logo, images.noise_png(200, 200))
    assert response.status_code == 413
    assert response.json()["detail"] == "The file is 0.1 MB; the limit is 0 MB."
    huge = upload(client, logo, images.noise_png(700, 600))
    assert huge.status_code == 413
    assert huge.json()["detail"] == "The upload is larger than 0 MB."
    assert not Version.objects.exists()


def test_unsupported_request_type_gets_415(
    logo: Asset, brand_manager: Any, client_for: ClientFor
) -> None:
    response = client_for(brand_manager).post(
        f"/api/v1/assets/{logo.pk}/versions/", "a,b", content_type="text/csv"
    )
    assert response.status_code == 415


def test_texts_go_to_text_kinds_only(
    logo: Asset, disclaimer: Asset, brand_manager: Any, client_for: ClientFor
) -> None:
    client = client_for(brand_manager)
    made = post_json(
        client,
        f"/api/v1/assets/{disclaimer.pk}/versions/",
        {"text": "Rates vary.", "language": "de"},
    )
    assert made.status_code == 201 and made.json()["text"] == "Rates vary."
    refused = post_json(client, f"/api/v1/assets/{logo.pk}/versions/", {"text": "Words"})
    assert refused.status_code == 400 and "needs an image file" in refused.json()["detail"]
    neither = post_json(client, f"/api/v1/assets/{logo.pk}/versions/", {"language": "de"})
    assert neither.status_code == 400 and "either a file" in neither.json()["detail"]


def test_bad_selectors_are_refused(logo: Asset, brand_manager: Any, client_for: ClientFor) -> None:
    response = upload(
        client_for(brand_manager), logo, images.png(), region="Germany", channels=["fax"]
    )
    assert response.status_code == 400
    assert "region" in response.json()["detail"]
    assert not Version.objects.exists()


def test_uploading_needs_the_brand_manager_role(
    logo: Asset, compliance_officer: Any, outsider: Any, client_for: ClientFor
) -> None:
    assert upload(client_for(compliance_officer), logo, images.png()).status_code == 403
    assert upload(client_for(outsider), logo, images.png()).status_code == 404


# Versions


def test_content_is_served_with_its_hash_and_svg_is_sandboxed(
    logo: Asset, brand_manager: Any, auditor: Any, outsider: Any, client_for: ClientFor
) -> None:
    body = upload(client_for(brand_manager), logo, images.svg(), name="logo.svg").json()
    response = client_for(auditor).get(body["content_url"])
    assert response.status_code == 200
    content = response.getvalue()
    assert hashlib.sha256(content).hexdigest() == body["sha256"]
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["ETag"] == f'"{body["sha256"]}"'
    assert client_for(outsider).get(body["content_url"]).status_code == 404


def test_workflow_through_the_api(
    logo: Asset,
    brand_manager: Any,
    compliance_officer: Any,
    auditor: Any,
    outsider: Any,
    client_for: ClientFor,
) -> None:
    manager, officer = client_for(brand_manager), client_for(compliance_officer)
    version_id = upload(manager, logo, images.png()).json()["id"]
    assert post_json(officer, f"/api/v1/versions/{version_id}/submit/").status_code == 403
    assert (
        post_json(manager, f"/api/v1/versions/{version_id}/submit/").json()["state"] == "in_review"
    )
    own = post_json(manager, f"/api/v1/versions/{version_id}/approve/")
    assert own.status_code == 403
    assert (
        post_json(client_for(auditor), f"/api/v1/versions/{version_id}/approve/").status_code == 403
    )
    assert (
        post_json(client_for(outsider), f"/api/v1/versions/{version_id}/approve/").status_code
        == 404
    )
    no_reason = post_json(officer, f"/api/v1/versions/{version_id}/reject/", {"comment": ""})
    assert no_reason.status_code == 400 and "needs a comment" in no_reason.json()["detail"]
    approved = post_json(officer, f"/api/v1/versions/{version_id}/approve/", {"comment": "OK"})
    assert approved.status_code == 200
    assert approved.json()["decisions"][0] | {"created_at": None} == {
        "actor": "colin",
        "action": "approve",
        "comment": "OK",
        "criteria": "default logo criteria",
        "checklist": [],
        "created_at": None,
    }
    again = post_json(officer, f"/api/v1/versions/{version_id}/approve/")
    assert again.status_code == 409 and again.json()["error"] == "stale_state"
    withdrawn = post_json(
        officer, f"/api/v1/versions/{version_id}/withdraw/", {"comment": "Recall"}
    )
    assert withdrawn.json()["state"] == "withdrawn"


def test_version_list_filters_the_review_queue(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    outsider: Any,
    client_for: ClientFor,
) -> None:
    first, second = add_version(logo), add_version(logo)
    add_version(logo, submit=False)
    client = client_for(compliance_officer)
    listed = client.get("/api/v1/versions/?state=in_review&unit=insurance-de").json()
    assert [item["id"] for item in listed["results"]] == [first.pk, second.pk]
    assert client_for(outsider).get("/api/v1/versions/").json()["results"] == []
    invalid = client.get("/api/v1/versions/?state=pending")
    assert invalid.status_code == 400 and "state" in invalid.json()["detail"]


def test_racing_decisions_one_wins_the_other_gets_409(
    transactional_db: None,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    second_compliance_officer: Any,
) -> None:
    version = add_version(logo)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def decide(person: Any, action: str) -> None:
        client = Client()
        client.force_login(person)
        start.wait()
        statuses.append(
            post_json(
                client, f"/api/v1/versions/{version.pk}/{action}/", {"comment": "x"}
            ).status_code
        )
        connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(compliance_officer, "approve")),
        threading.Thread(target=decide, args=(second_compliance_officer, "reject")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    version.refresh_from_db()
    assert version.state in {VersionState.APPROVED, VersionState.REJECTED}
    assert version.decisions.count() == 1
