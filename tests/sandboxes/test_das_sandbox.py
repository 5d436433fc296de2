"""The Exstream sandbox in DAS mode, as a real process over real HTTP: OTDS tokens, domains,
resources and their workflows, links both ways, faults, and refusals in DAS's error body."""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.sandboxes.runner import (
    PROJECT_ROOT,
    Response,
    call,
    post_json,
    reset,
    set_faults,
    start_exstream_sandbox,
    start_sandbox,
    stop,
    write_log,
)

API = "/design/api/v1"
ON_PREMISES = "/otdsws/otdstenant/govern/oauth2/token"
OT2 = "/otdstenant/govern/oauth2/token"
CLIENT = {
    "grant_type": "client_credentials",
    "client_id": "govern",
    "client_secret": "sandbox-secret",
    "scope": "otds:groups",
}
SERVICE_ACCOUNT = {
    "grant_type": "password",
    "client_id": "govern",
    "username": "govern-service",
    "password": "sandbox-password",
    "scope": "otds:groups",
}
ERROR_KEYS = {"timestamp", "status", "message", "error", "details", "errorCode", "path"}
PAGE_KEYS = {"pageSize", "pageOffset", "totalElements", "totalPages", "currentPageNumber"}
VERSION_KEYS = {
    *("id", "version", "name", "type", "state", "stateComment", "description", "createdBy"),
    *("createdDate", "lastModifiedBy", "lastModifiedDate", "metadata", "locked"),
}
LOGO = "insurance.logo.primary/any/print"
# Bytes that look like a multipart delimiter and line ends must survive the upload untouched.
PNG = b"\x89PNG\r\n\x1a\n" + b"\r\n--not-the-boundary\r\n\r\n" + bytes(range(256))


@pytest.fixture(scope="module")
def das_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One DAS sandbox for the module: `govern` (standard workflow, seeded) and `quick` (simple)."""
    base_url, process = start_exstream_sandbox(
        tmp_path_factory.mktemp("das"), api="das", domain=["govern", "quick:simple"]
    )
    yield base_url
    stop(process)


@pytest.fixture
def das(das_process: str) -> str:
    """The module's sandbox, re-seeded, with an empty write log and no faults."""
    reset(das_process)
    return das_process


@pytest.fixture
def auth(das: str) -> dict[str, str]:
    return bearer(das)


def token(base_url: str, path: str = ON_PREMISES, **form: str) -> Response:
    fields = {**CLIENT, **form}
    return call(
        "POST",
        f"{base_url}{path}",
        body=urlencode({name: value for name, value in fields.items() if value}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def bearer(base_url: str, path: str = ON_PREMISES, **form: str) -> dict[str, str]:
    answer = token(base_url, path, **form)
    assert answer.status == 200, answer.body
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def multipart(content: bytes | None, field: str = "file") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = f'Content-Disposition: form-data; name="{field}"; filename="logo.png"'
    parts = [] if content is None else [(head + "\r\nContent-Type: image/png", content)]
    parts.append(('Content-Disposition: form-data; name="note"', b"a part that is not the file"))
    body = b"".join(
        b"--%s\r\n%s\r\n\r\n%s\r\n" % (boundary.encode(), header.encode(), data)
        for header, data in parts
    )
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"


def create(
    base_url: str,
    auth: dict[str, str],
    name: str,
    content: bytes | None = PNG,
    domain: str = "govern",
    timeout: float = 5.0,
    **query: str,
) -> Response:
    body, content_type = multipart(content)
    url = f"{base_url}{API}/resources/{domain}/content?" + urlencode(
        {"name": name, "type": "image", **query}
    )
    headers = {**auth, "Content-Type": content_type}
    return call("POST", url, body=body, headers=headers, timeout=timeout)


def replace(
    base_url: str, auth: dict[str, str], resource: str, content: bytes, domain: str = "govern"
) -> Response:
    body, content_type = multipart(content)
    url = f"{base_url}{API}/resources/{domain}/{resource}/content"
    return call("PUT", url, body=body, headers={**auth, "Content-Type": content_type})


def move(
    base_url: str,
    auth: dict[str, str],
    resource: str,
    state: str,
    comment: str = "",
    domain: str = "govern",
    timeout: float = 5.0,
) -> Response:
    body = json.dumps({"state": state, "auditedComment": comment, "locked": False}).encode()
    url = f"{base_url}{API}/resources/{domain}/{resource}/state"
    headers = {**auth, "Content-Type": "application/json"}
    return call("PUT", url, body=body, headers=headers, timeout=timeout)


def get(base_url: str, auth: dict[str, str], path: str, **query: Any) -> dict[str, Any]:
    answer = call("GET", f"{base_url}{API}{path}?{urlencode(query)}", headers=auth)
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()
    return body


def resources(base_url: str, auth: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    domain = query.pop("domain", "govern")
    items: list[dict[str, Any]] = get(base_url, auth, f"/resources/{domain}", **query)["data"]
    return items


def seeded(base_url: str, auth: dict[str, str], name: str) -> str:
    found = [item["id"] for item in resources(base_url, auth) if item["name"] == name]
    assert len(found) == 1, found
    return found[0]


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def content_of(base_url: str, resource: str, version: int) -> bytes:
    answer = call("GET", f"{base_url}/_sandbox/content/{resource}/{version}")
    assert answer.status == 200, answer.body
    return answer.body


def outcomes(base_url: str) -> list[str]:
    return [entry["outcome"] for entry in write_log(base_url)]


def assert_error(answer: Response, status: int, details: str) -> dict[str, Any]:
    """Check DAS's error body; return it."""
    body: dict[str, Any] = answer.json()
    assert answer.status == status, answer.body
    assert set(body) == ERROR_KEYS
    assert (body["status"], body["details"]) == (status, details)
    assert isinstance(body["timestamp"], int) and isinstance(body["errorCode"], int)
    assert body["message"] and body["error"]
    return body


@pytest.mark.parametrize(
    ("path", "form"),
    [(ON_PREMISES, SERVICE_ACCOUNT), (OT2, SERVICE_ACCOUNT), (ON_PREMISES, CLIENT), (OT2, CLIENT)],
    ids=["password-on-premises", "password-ot2", "client-on-premises", "client-ot2"],
)
def test_a_service_account_and_a_client_get_tokens_on_both_tenant_paths(
    das: str, path: str, form: dict[str, str]
) -> None:
    answer = token(das, path, **{"client_secret": "", **form})

    assert answer.status == 200, answer.body
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    version = call("GET", f"{das}{API}/version", headers=auth)
    assert version.status == 200
    assert set(version.json()) == {"apiIdentifier", "major", "minor", "patch", "versionString"}


@pytest.mark.parametrize(
    ("path", "form", "status", "error"),
    [
        ("/otdsws/otdstenant/bank/oauth2/token", {}, 404, "invalid_tenant"),
        ("/otdstenant/bank/oauth2/token", {}, 404, "invalid_tenant"),
        (ON_PREMISES, {"client_secret": "guess"}, 401, "invalid_client"),
        (ON_PREMISES, {"client_id": "someone"}, 401, "invalid_client"),
        (ON_PREMISES, {**SERVICE_ACCOUNT, "password": "guess"}, 401, "invalid_grant"),
        (OT2, {**SERVICE_ACCOUNT, "username": "admin"}, 401, "invalid_grant"),
        (OT2, {**SERVICE_ACCOUNT, "client_id": "someone"}, 401, "invalid_client"),
        (ON_PREMISES, {"scope": ""}, 400, "invalid_scope"),
        (ON_PREMISES, {"scope": "search"}, 400, "invalid_scope"),
        (ON_PREMISES, {"grant_type": "refresh_token"}, 400, "unsupported_grant_type"),
    ],
)
def test_the_token_endpoint_refuses_unknown_tenants_bad_credentials_and_scopes(
    das: str, path: str, form: dict[str, str], status: int, error: str
) -> None:
    answer = token(das, path, **form)

    assert answer.status == status, answer.body
    assert answer.json()["error"] == error
    assert answer.json()["error_description"]


def test_the_proxy_contracts_token_path_is_not_served(das: str) -> None:
    assert token(das, "/otdsws/oauth2/token").status == 404
    assert token(das, "/otdstenant/govern/otdsws/oauth2/token").status == 404


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic Z292ZXJu"])
def test_design_refuses_a_request_without_a_valid_token_in_its_error_body(
    das: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    answer = call("GET", f"{das}{API}/resources/govern", headers=headers)

    body = assert_error(answer, 401, "invalid_token")
    assert (body["error"], body["path"]) == ("Unauthorized", f"{API}/resources/govern")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_domains_say_their_workflow_in_a_page(das: str, auth: dict[str, str]) -> None:
    body = get(das, auth, "/domains")
    second = get(das, auth, "/domains", count=1, offset=1)

    assert body["status"] == "success"
    assert body["data"] == [
        {
            "id": "govern",
            "production": False,
            "jobTracing": False,
            "workflow": "standard",
            "restrictApproval": False,
            "parent": None,
        },
        {
            "id": "quick",
            "production": False,
            "jobTracing": False,
            "workflow": "simple",
            "restrictApproval": False,
            "parent": None,
        },
    ]
    assert body["page"] == {
        "pageSize": 100,
        "pageOffset": 0,
        "totalElements": 2,
        "totalPages": 1,
        "currentPageNumber": 0,
    }
    assert [domain["id"] for domain in second["data"]] == ["quick"]
    assert second["page"]["currentPageNumber"] == 1


def test_a_create_makes_version_one_in_draft_named_by_whom_the_token_was_issued_to(
    das: str,
) -> None:
    auth = bearer(das, **SERVICE_ACCOUNT)

    answer = create(das, auth, LOGO, subtype="logo")

    assert answer.status == 201, answer.body
    body = answer.json()
    assert (body["status"], body["details"]) == ("success", "")
    created = body["data"]
    assert set(created) == VERSION_KEYS
    uuid.UUID(created["id"])
    assert (created["version"], created["name"], created["type"]) == (1, LOGO, "image")
    assert (created["state"], created["stateComment"], created["locked"]) == ("DRAFT", "", False)
    assert (created["createdBy"], created["lastModifiedBy"]) == ("govern-service",) * 2
    assert created["metadata"] == {"subtype": "logo"}
    assert created["createdDate"].endswith("Z")
    assert content_of(das, created["id"], 1) == PNG
    (entry,) = write_log(das)
    assert (entry["method"], entry["outcome"], entry["status"]) == ("POST", "applied", 201)
    assert (entry["resource"], entry["version"], entry["idempotency_key"]) == (
        created["id"],
        1,
        None,
    )


def test_resources_are_filtered_by_type_and_state(das: str, auth: dict[str, str]) -> None:
    create(das, auth, LOGO)

    images = resources(das, auth, **{"filter.types": "image"})
    drafts = resources(das, auth, **{"filter.states": "DRAFT"})
    approved = resources(das, auth, **{"filter.types": "exstrapplication,exstrcomponentobj"})
    both = resources(das, auth, **{"filter.states": "APPROVED,DRAFT"})

    assert names(images) == names(drafts) == [LOGO]
    assert names(approved) == [
        *("BANKING-FOOTER", "BANKING-POLICY-LETTER", "BANKING-RENEWAL-MAILING"),
        *("BANKING-STATEMENT", "BANKING-WELCOME-LETTER", "INSURANCE-FOOTER"),
        *("INSURANCE-POLICY-LETTER", "INSURANCE-RENEWAL-MAILING", "INSURANCE-STATEMENT"),
        "INSURANCE-WELCOME-LETTER",
    ]
    assert {item["state"] for item in approved} == {"APPROVED"}
    assert len(both) == 11
    assert resources(das, auth, domain="quick") == []


def test_listing_pages_through_resources_by_name(das: str, auth: dict[str, str]) -> None:
    for letter in "edcba":
        create(das, auth, f"image.{letter}/any/print")

    pages = [
        get(das, auth, "/resources/govern", count=2, offset=offset, **{"filter.types": "image"})
        for offset in (0, 2, 4, 6)
    ]

    assert [names(page["data"]) for page in pages] == [
        ["image.a/any/print", "image.b/any/print"],
        ["image.c/any/print", "image.d/any/print"],
        ["image.e/any/print"],
        [],
    ]
    assert set(pages[0]["page"]) == PAGE_KEYS
    assert [page["page"]["currentPageNumber"] for page in pages] == [0, 1, 2, 3]
    assert {(page["page"]["totalElements"], page["page"]["totalPages"]) for page in pages} == {
        (5, 3)
    }


def test_new_content_goes_into_a_draft_only(das: str, auth: dict[str, str]) -> None:
    resource = create(das, auth, LOGO).json()["data"]["id"]

    replaced = replace(das, auth, resource, b"second bytes")
    move(das, auth, resource, "REVIEW")
    refused = replace(das, auth, resource, b"third bytes")

    assert replaced.status == 200, replaced.body
    assert (replaced.json()["data"]["version"], replaced.json()["data"]["state"]) == (1, "DRAFT")
    body = assert_error(refused, 409, "not_draft")
    assert body["path"] == f"{API}/resources/govern/{resource}/content"
    assert "REVIEW" in body["message"]
    assert content_of(das, resource, 1) == b"second bytes"
    assert outcomes(das) == ["applied", "applied", "applied", "rejected"]


def test_the_standard_workflow_approves_and_approved_to_draft_starts_the_next_version(
    das: str, auth: dict[str, str]
) -> None:
    resource = create(das, auth, LOGO).json()["data"]["id"]

    review = move(das, auth, resource, "REVIEW", "govern:delivery-1 sha256:aaa")
    approved = move(das, auth, resource, "APPROVED", "approved by govern")
    reopened = move(das, auth, resource, "DRAFT", "govern:delivery-2 sha256:bbb")
    replaced = replace(das, auth, resource, b"the changed logo")
    move(das, auth, resource, "REVIEW")
    rejected = move(das, auth, resource, "REJECTED", "wrong colour")
    back = move(das, auth, resource, "DRAFT")

    assert [answer.status for answer in (review, approved, reopened, replaced, rejected, back)] == [
        200
    ] * 6
    assert (review.json()["data"]["state"], review.json()["data"]["stateComment"]) == (
        "REVIEW",
        "govern:delivery-1 sha256:aaa",
    )
    assert (approved.json()["data"]["version"], approved.json()["data"]["state"]) == (1, "APPROVED")
    next_version = reopened.json()["data"]
    assert (next_version["id"], next_version["version"], next_version["state"]) == (
        resource,
        2,
        "DRAFT",
    )
    assert next_version["stateComment"] == "govern:delivery-2 sha256:bbb"
    assert (rejected.json()["data"]["version"], rejected.json()["data"]["state"]) == (2, "REJECTED")
    assert (back.json()["data"]["version"], back.json()["data"]["state"]) == (2, "DRAFT")
    every = resources(das, auth, **{"filter.types": "image", "filter.latestVersion": "false"})
    assert [(item["version"], item["state"]) for item in every] == [(1, "APPROVED"), (2, "DRAFT")]
    assert every[0]["stateComment"] == "approved by govern"
    latest_approved = resources(das, auth, **{"filter.types": "image", "filter.states": "APPROVED"})
    assert [item["version"] for item in latest_approved] == [1]
    assert content_of(das, resource, 1) == PNG
    assert content_of(das, resource, 2) == b"the changed logo"


def test_approved_to_draft_copies_the_approved_bytes(das: str, auth: dict[str, str]) -> None:
    resource = create(das, auth, LOGO).json()["data"]["id"]
    move(das, auth, resource, "REVIEW")
    move(das, auth, resource, "APPROVED")

    move(das, auth, resource, "DRAFT")

    assert content_of(das, resource, 2) == content_of(das, resource, 1) == PNG


def test_an_illegal_move_is_a_409_in_the_error_body_and_changes_nothing(
    das: str, auth: dict[str, str]
) -> None:
    resource = create(das, auth, LOGO).json()["data"]["id"]

    skipped = move(das, auth, resource, "APPROVED")
    same = move(das, auth, resource, "DRAFT")

    body = assert_error(skipped, 409, "invalid_transition")
    assert (body["error"], body["path"]) == ("Conflict", f"{API}/resources/govern/{resource}/state")
    assert "DRAFT to APPROVED" in body["message"]
    assert_error(same, 409, "invalid_transition")
    (image,) = resources(das, auth, **{"filter.types": "image"})
    assert (image["version"], image["state"]) == (1, "DRAFT")
    assert outcomes(das) == ["applied", "rejected", "rejected"]


def test_the_simple_workflow_has_draft_and_approved_only(das: str, auth: dict[str, str]) -> None:
    resource = create(das, auth, LOGO, domain="quick").json()["data"]["id"]

    review = move(das, auth, resource, "REVIEW", domain="quick")
    approved = move(das, auth, resource, "APPROVED", "at once", domain="quick")
    reopened = move(das, auth, resource, "DRAFT", domain="quick")

    assert_error(review, 409, "invalid_transition")
    assert (approved.status, approved.json()["data"]["state"]) == (200, "APPROVED")
    assert (reopened.status, reopened.json()["data"]["version"]) == (200, 2)
    every = resources(das, auth, domain="quick", **{"filter.latestVersion": "false"})
    assert [(item["version"], item["state"]) for item in every] == [(1, "APPROVED"), (2, "DRAFT")]


def test_links_run_from_a_communication_through_its_component_to_the_image(
    das: str, auth: dict[str, str]
) -> None:
    image = create(das, auth, LOGO).json()["data"]["id"]
    letter = seeded(das, auth, "INSURANCE-POLICY-LETTER")
    footer = seeded(das, auth, "INSURANCE-FOOTER")

    direct = get(das, auth, "/links/govern", linkSubjectId=letter, linkDepth=1)
    deep = get(das, auth, "/links/govern", linkSubjectId=letter, linkDepth=2)
    images = get(
        das, auth, "/links/govern", linkSubjectId=letter, linkDepth=2, **{"filter.types": "image"}
    )

    footer_link = {
        "linkSubjectId": letter,
        "subjectVersion": 1,
        "linkObjectId": footer,
        "typeId": "exstrcomponentobj",
    }
    image_link = {
        "linkSubjectId": footer,
        "subjectVersion": 1,
        "linkObjectId": image,
        "typeId": "image",
    }
    assert direct["data"] == [footer_link]
    assert deep["data"] == [footer_link, image_link]
    assert images["data"] == [image_link]
    assert set(deep["page"]) == PAGE_KEYS
    assert "slot" not in json.dumps(deep)


def test_the_users_of_an_image_are_found_recursively_to_the_depth(
    das: str, auth: dict[str, str]
) -> None:
    image = create(das, auth, LOGO).json()["data"]["id"]
    create(das, auth, "banking.logo.primary/any/print")

    direct = get(das, auth, "/links/govern/resources", linkObjectId=image, linkDepth=1)
    deep = get(das, auth, "/links/govern/resources", linkObjectId=image, linkDepth=2)
    communications = get(
        das,
        auth,
        "/links/govern/resources",
        linkObjectId=image,
        linkDepth=2,
        **{"rfilter.types": "exstrapplication", "rfilter.states": "APPROVED"},
    )

    assert names(direct["data"]) == ["INSURANCE-FOOTER", "INSURANCE-WELCOME-LETTER"]
    assert names(deep["data"]) == [
        *("INSURANCE-FOOTER", "INSURANCE-POLICY-LETTER", "INSURANCE-STATEMENT"),
        "INSURANCE-WELCOME-LETTER",
    ]
    assert names(communications["data"]) == [
        *("INSURANCE-POLICY-LETTER", "INSURANCE-STATEMENT", "INSURANCE-WELCOME-LETTER")
    ]
    assert set(deep["data"][0]) == VERSION_KEYS
    assert deep["page"]["totalElements"] == 4


def test_a_new_version_keeps_its_links_and_the_approved_one_still_uses_the_image(
    das: str, auth: dict[str, str]
) -> None:
    image = create(das, auth, LOGO).json()["data"]["id"]
    footer = seeded(das, auth, "INSURANCE-FOOTER")

    reopened = move(das, auth, footer, "DRAFT", "a designer edits the footer")

    assert reopened.json()["data"]["version"] == 2
    latest = get(das, auth, "/links/govern", linkSubjectId=footer)
    first = get(das, auth, "/links/govern", linkSubjectId=footer, linkSubjectVersion=1)
    every_version = {"filter.latestVersion": "false"}
    every = get(das, auth, "/links/govern", linkSubjectId=footer, **every_version)
    assert [(link["subjectVersion"], link["linkObjectId"]) for link in latest["data"]] == [
        (2, image)
    ]
    assert [link["subjectVersion"] for link in first["data"]] == [1]
    assert [link["subjectVersion"] for link in every["data"]] == [1, 2]
    users = get(das, auth, "/links/govern/resources", linkObjectId=image)
    assert [(item["name"], item["version"], item["state"]) for item in users["data"]] == [
        ("INSURANCE-FOOTER", 1, "APPROVED"),
        ("INSURANCE-FOOTER", 2, "DRAFT"),
        ("INSURANCE-WELCOME-LETTER", 1, "APPROVED"),
    ]


def test_the_sandbox_adds_resources_and_links_with_slots_kept_out_of_das(
    das: str, auth: dict[str, str]
) -> None:
    image = create(das, auth, "designer-upload.png").json()["data"]["id"]
    made = post_json(
        f"{das}/_sandbox/resources",
        {
            "name": "MARKETING-FLYER",
            "type": "exstrapplication",
            "description": "Flyer",
            "links": [{"object": "designer-upload.png", "slot": "hero"}],
        },
    )
    flyer = made.json()["id"]
    linked = post_json(
        f"{das}/_sandbox/links",
        {"subject": "MARKETING-FLYER", "object": seeded(das, auth, "INSURANCE-FOOTER")},
    )

    assert (made.status, made.json()["state"], made.json()["version"]) == (201, "APPROVED", 1)
    assert linked.status == 201, linked.body
    links = get(das, auth, "/links/govern", linkSubjectId=flyer, linkDepth=1)["data"]
    assert [(link["linkObjectId"], link["typeId"]) for link in links] == [
        (image, "image"),
        (seeded(das, auth, "INSURANCE-FOOTER"), "exstrcomponentobj"),
    ]
    kept = call("GET", f"{das}/_sandbox/links").json()["items"]
    flyer_links = [link for link in kept if link["subject"] == flyer]
    assert [(link["objectName"], link["slot"], link["reaches"]) for link in flyer_links] == [
        ("designer-upload.png", "hero", [image]),
        (None, None, [seeded(das, auth, "INSURANCE-FOOTER")]),
    ]
    footer = next(link for link in kept if link["objectName"] == "insurance.logo.primary")
    assert (footer["slot"], footer["reaches"]) == ("footer_logo", [])
    assert outcomes(das) == ["applied"], "the sandbox's own writes are not in the log"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"subject": "NO-SUCH-THING", "object": "x"}, 404),
        ({"subject": "INSURANCE-FOOTER", "object": "x", "domain": "elsewhere"}, 404),
        ({"subject": "INSURANCE-FOOTER"}, 400),
        ({"subject": "INSURANCE-FOOTER", "object": "x", "slot": 7}, 400),
        ([], 400),
    ],
)
def test_sandbox_links_refuse_bad_input(das: str, body: Any, status: int) -> None:
    assert post_json(f"{das}/_sandbox/links", body).status == status


def test_a_dropped_create_lands_and_sending_it_again_makes_a_second_resource(
    das: str, auth: dict[str, str]
) -> None:
    set_faults(das, drop_rate=1.0)

    with pytest.raises(ConnectionError):
        create(das, auth, LOGO)

    set_faults(das, drop_rate=0.0)
    (landed,) = resources(das, auth, **{"filter.types": "image"})
    (entry,) = write_log(das)
    assert (entry["outcome"], entry["fault"], entry["status"]) == ("dropped", "drop", 201)
    assert (entry["resource"], entry["version"]) == (landed["id"], 1)
    again = create(das, auth, LOGO)
    assert again.status == 201, "DAS has no idempotency key: a resend is a new resource"
    assert len(resources(das, auth, **{"filter.types": "image"})) == 2
    assert outcomes(das) == ["dropped", "applied"]


def test_a_dropped_state_change_lands_and_repeating_it_is_refused(
    das: str, auth: dict[str, str]
) -> None:
    resource = create(das, auth, LOGO).json()["data"]["id"]
    set_faults(das, drop_rate=1.0)

    with pytest.raises(ConnectionError):
        move(das, auth, resource, "REVIEW")

    set_faults(das, drop_rate=0.0)
    assert resources(das, auth, **{"filter.types": "image"})[0]["state"] == "REVIEW"
    assert_error(move(das, auth, resource, "REVIEW"), 409, "invalid_transition")
    assert outcomes(das) == ["applied", "dropped", "rejected"]


def test_a_timed_out_write_lands_all_the_same(das: str, auth: dict[str, str]) -> None:
    set_faults(das, timeout_rate=1.0, timeout_seconds=2)

    with pytest.raises(TimeoutError):
        create(das, auth, LOGO, timeout=0.5)

    set_faults(das, timeout_rate=0.0)
    assert names(resources(das, auth, **{"filter.types": "image"})) == [LOGO]
    assert outcomes(das) == ["timeout"]


def test_an_applied_error_lands_the_write_and_answers_a_502_in_the_error_body(
    das: str, auth: dict[str, str]
) -> None:
    resource = create(das, auth, LOGO).json()["data"]["id"]
    set_faults(das, applied_error_rate=1.0)

    answer = move(das, auth, resource, "REVIEW")
    read = call("GET", f"{das}{API}/domains", headers=auth)

    assert_error(answer, 502, "bad_gateway")
    assert_error(read, 503, "unavailable")
    set_faults(das, applied_error_rate=0.0)
    assert resources(das, auth, **{"filter.types": "image"})[0]["state"] == "REVIEW"
    assert outcomes(das) == ["applied", "applied_error"]


def test_an_injected_error_changes_nothing_and_spares_the_token_and_the_sandbox(
    das: str, auth: dict[str, str]
) -> None:
    set_faults(das, error_rate=1.0)

    written = create(das, auth, LOGO)
    read = call("GET", f"{das}{API}/domains", headers=auth)

    for answer in (written, read):
        assert_error(answer, 503, "unavailable")
        assert answer.headers["Retry-After"] == "0"
    assert token(das).status == 200
    assert call("GET", f"{das}/_sandbox/health").json() == {"status": "ok", "api": "das"}
    set_faults(das, error_rate=0.0)
    assert resources(das, auth, **{"filter.types": "image"}) == []
    assert [(entry["outcome"], entry["status"]) for entry in write_log(das)] == [("failed", 503)]


def _bad_requests(resource: str) -> list[tuple[str, str, bytes | None, str, int, str]]:
    """(method, path, body, content type, status, details) of requests DAS must refuse."""
    listing = f"{API}/resources/govern"
    state = f"{API}/resources/govern/{resource}/state"
    content = f"{API}/resources/govern/{resource}/content"
    json_type = "application/json"
    bad, unknown, elsewhere = "invalid_request", "unknown_resource", "unknown_domain"
    return [
        ("GET", f"{listing}?count=0", None, "", 400, "invalid_request"),
        ("GET", f"{listing}?count=100000000000", None, "", 400, "invalid_request"),
        ("GET", f"{listing}?count=1001", None, "", 400, "invalid_request"),
        ("GET", f"{listing}?count=ten", None, "", 400, "invalid_request"),
        ("GET", f"{listing}?offset=-1", None, "", 400, "invalid_request"),
        ("GET", f"{listing}?filter.states=PUBLISHED", None, "", 400, "invalid_request"),
        ("GET", f"{listing}?filter.latestVersion=maybe", None, "", 400, "invalid_request"),
        ("GET", f"{API}/resources/elsewhere", None, "", 404, "unknown_domain"),
        ("GET", f"{API}/links/govern?linkSubjectId={resource}&linkDepth=0", None, "", 400, bad),
        ("GET", f"{API}/links/govern?linkSubjectId={resource}&linkDepth=11", None, "", 400, bad),
        ("GET", f"{API}/links/govern", None, "", 400, "invalid_request"),
        ("GET", f"{API}/links/govern?linkSubjectId=nope", None, "", 404, "unknown_resource"),
        ("GET", f"{API}/links/govern/resources?linkObjectId=nope", None, "", 404, unknown),
        ("GET", f"{API}/links/elsewhere?linkSubjectId={resource}", None, "", 404, elsewhere),
        ("GET", f"{API}/no/such/call", None, "", 404, "not_found"),
        ("PUT", f"{listing}/content", b"", "", 405, "method_not_allowed"),
        ("PUT", state, b"not json", json_type, 400, "invalid_request"),
        ("PUT", state, b"[1, 2]", json_type, 400, "invalid_request"),
        ("PUT", state, b'{"state": "PUBLISHED"}', json_type, 400, "invalid_request"),
        ("PUT", state, b'{"state": "REVIEW", "locked": "yes"}', json_type, 400, bad),
        ("PUT", state, b'{"state": "REVIEW", "auditedComment": 5}', json_type, 400, bad),
        ("PUT", f"{API}/resources/govern/{uuid.uuid4()}/state", b"{}", json_type, 404, unknown),
        ("PUT", content, b"plain bytes", "image/png", 400, "invalid_request"),
        ("POST", f"{listing}/content?type=image", b"", "", 400, "invalid_request"),
        ("POST", f"{API}/resources/elsewhere/content?name=x&type=image", b"", "", 404, elsewhere),
        ("POST", f"{listing}/content?name=x&type=no%20spaces", b"", "", 400, "invalid_request"),
    ]


def test_bad_input_gets_a_clear_4xx_in_the_error_body_never_a_500(
    das: str, auth: dict[str, str]
) -> None:
    resource = create(das, auth, LOGO).json()["data"]["id"]
    missing_file = create(das, auth, "no-file", content=None)
    empty_file = create(das, auth, "empty-file", content=b"")

    for answer in (missing_file, empty_file):
        assert "'file'" in assert_error(answer, 400, "invalid_request")["message"]
    for method, path, body, content_type, status, details in _bad_requests(resource):
        headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
        answer = call(method, f"{das}{path}", body=body, headers=headers)
        shown = assert_error(answer, status, details)
        assert shown["path"] == path.partition("?")[0], (method, path)
    (image,) = resources(das, auth, **{"filter.types": "image"})
    assert (image["version"], image["state"]) == (1, "DRAFT")
    assert set(outcomes(das)[1:]) == {"rejected"}


def test_reset_reseeds_and_empties_the_write_log(das: str, auth: dict[str, str]) -> None:
    create(das, auth, LOGO)
    footer = seeded(das, auth, "INSURANCE-FOOTER")
    move(das, auth, footer, "DRAFT")

    assert post_json(f"{das}/_sandbox/reset", {}).status == 200

    assert write_log(das) == []
    assert resources(das, auth, **{"filter.types": "image"}) == []
    assert seeded(das, auth, "INSURANCE-FOOTER") == footer, "seeded ids are stable"
    assert len(resources(das, auth, **{"filter.latestVersion": "false"})) == 10


def test_the_tenant_and_domains_follow_the_options(tmp_path: Path) -> None:
    base_url, process = start_exstream_sandbox(
        tmp_path, api="das", otds_tenant="bank", domain="letters:simple:tracing"
    )
    try:
        refused = token(base_url, ON_PREMISES)
        auth = bearer(base_url, "/otdstenant/bank/oauth2/token")
        domains = get(base_url, auth, "/domains")["data"]
        seeded_here = resources(base_url, auth, domain="letters")
    finally:
        code = stop(process)

    assert refused.status == 404
    assert [(d["id"], d["workflow"], d["jobTracing"]) for d in domains] == [
        ("letters", "simple", True)
    ]
    assert len(seeded_here) == 10
    assert code == 0
    log = (tmp_path / "exstream.log").read_text()
    assert f"Exstream sandbox on {base_url}/" in log
    assert "Speaking DAS under /design/api/v1, domains letters (simple)" in log


def test_a_token_expires_after_its_ttl(tmp_path: Path) -> None:
    base_url, process = start_exstream_sandbox(tmp_path, api="das", token_ttl=1)
    try:
        auth = bearer(base_url)
        assert call("GET", f"{base_url}{API}/version", headers=auth).status == 200
        time.sleep(1.1)
        expired = call("GET", f"{base_url}{API}/version", headers=auth)
    finally:
        stop(process)

    assert_error(expired, 401, "invalid_token")


def test_govern_set_for_das_in_development_reaches_the_sandbox_started_without_options(
    tmp_path: Path,
) -> None:
    base_url, process = start_sandbox("exstream", tmp_path)  # the command's own defaults
    try:
        token_url, domain, client_id, secret, scope = govern_settings(
            base_url,
            *("EXSTREAM_TOKEN_URL", "EXSTREAM_DOMAIN", "EXSTREAM_CLIENT_ID"),
            *("EXSTREAM_CLIENT_SECRET", "EXSTREAM_OTDS_SCOPE"),
        )
        form = {"grant_type": "client_credentials", "client_id": client_id}
        form |= {"client_secret": secret, "scope": scope}
        answer = call(
            "POST",
            token_url,
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status == 200, answer.body
        auth = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        found = resources(base_url, auth, domain=domain, **{"filter.types": "exstrapplication"})
    finally:
        stop(process)

    assert token_url == f"{base_url}/otdsws/otdstenant/govern/oauth2/token"
    assert "INSURANCE-POLICY-LETTER" in names(found)


def govern_settings(base_url: str, *names: str) -> list[str]:
    """Read Govern's settings as `make run` would have them with EXSTREAM_API=das."""
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps([getattr(settings, name) for name in {list(names)!r}]))"
    )
    environment = {
        **os.environ,
        "ENV_FILE": os.devnull,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "govern.settings",
        "EXSTREAM_API": "das",
        "EXSTREAM_URL": base_url,
    }
    for name in ("EXSTREAM_TOKEN_URL", "EXSTREAM_DOMAIN", "EXSTREAM_OTDS_TENANT"):
        environment.pop(name, None)
    finished = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        check=True,
        timeout=60,
    )
    values: list[str] = json.loads(finished.stdout)
    return values
