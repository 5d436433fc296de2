"""The Exstream sandbox, as a real process over real HTTP: auth, images, idempotency, faults."""

import hashlib
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.sandboxes.runner import (
    Response,
    call,
    post_json,
    set_faults,
    start_exstream_sandbox,
    stop,
    write_log,
)

LOGO = "brand.logo.primary/any/print"
# Bytes that look like a multipart delimiter and line ends must survive the upload untouched.
PNG = b"\x89PNG\r\n\x1a\n" + b"\r\n--not-the-boundary\r\n\r\n" + bytes(range(256))
CREDENTIALS = {"client_id": "govern", "client_secret": "sandbox-secret"}
SEEDED_IDS = {
    *("CMP-HEADER", "CMP-DISCLOSURE", "COM-STATEMENT", "COM-RENEWAL", "COM-BILL"),
    *("DSN-THEME", "MSG-GOLD-OFFER"),
}


def token(base_url: str, **form: str) -> Response:
    fields = {"grant_type": "client_credentials", **CREDENTIALS, **form}
    return call(
        "POST",
        f"{base_url}/otdsws/oauth2/token",
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def bearer(base_url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(base_url).json()['access_token']}"}


def keyed(auth: dict[str, str], key: str | None = None) -> dict[str, str]:
    """The headers of a write: the token and an Idempotency-Key (a fresh one unless given)."""
    return {**auth, "Idempotency-Key": key or str(uuid.uuid4())}


def multipart(name: str, content: bytes, properties: dict[str, Any]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        (b'name="name"', name.encode()),
        (b'name="properties"', json.dumps(properties).encode()),
        (b'name="file"; filename="image.png"\r\nContent-Type: image/png', content),
    ]
    body = b"".join(
        b"--%s\r\nContent-Disposition: form-data; %s\r\n\r\n%s\r\n" % (boundary.encode(), *part)
        for part in parts
    )
    return body + b"--%s--\r\n" % boundary.encode(), f"multipart/form-data; boundary={boundary}"


def upload(
    base_url: str,
    headers: dict[str, str],
    name: str,
    content: bytes = PNG,
    properties: dict[str, Any] | None = None,
    timeout: float = 5.0,
) -> Response:
    body, content_type = multipart(name, content, properties or {})
    return call(
        "POST",
        f"{base_url}/design/das/v1/resources/images",
        body=body,
        headers={**headers, "Content-Type": content_type},
        timeout=timeout,
    )


def step(
    base_url: str, headers: dict[str, str], resource: str, version: int, name: str
) -> Response:
    url = f"{base_url}/design/das/v1/resources/{resource}/versions/{version}/{name}"
    return call("POST", url, headers=headers)


def images(base_url: str, auth: dict[str, str], name: str | None = None) -> list[dict[str, Any]]:
    query = urlencode({"type": "image", **({"name": name} if name else {})})
    response = call("GET", f"{base_url}/design/das/v1/resources?{query}", headers=auth)
    assert response.status == 200, response.body
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def outcomes(base_url: str) -> list[str]:
    return [entry["outcome"] for entry in write_log(base_url)]


@pytest.fixture
def auth(exstream: str) -> dict[str, str]:
    return bearer(exstream)


def test_the_right_credentials_get_a_token_that_opens_the_api(exstream: str) -> None:
    response = token(exstream)

    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert call("GET", f"{exstream}/design/das/v1/templates", headers=headers).status == 200


def test_wrong_credentials_or_grant_type_get_no_token(exstream: str) -> None:
    wrong_secret = token(exstream, client_secret="guess")
    wrong_grant = token(exstream, grant_type="password")

    assert (wrong_secret.status, wrong_secret.json()["error"]) == (401, "invalid_client")
    assert (wrong_grant.status, wrong_grant.json()["error"]) == (400, "unsupported_grant_type")


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic Z292ZXJu"])
def test_the_api_refuses_requests_without_a_valid_token(
    exstream: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = call("GET", f"{exstream}/design/das/v1/resources?type=image", headers=headers)

    assert response.status == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_expires_after_its_ttl_and_the_sandbox_stops_cleanly(tmp_path: Path) -> None:
    base_url, process = start_exstream_sandbox(tmp_path, token_ttl=1)
    try:
        auth = bearer(base_url)
        assert call("GET", f"{base_url}/design/das/v1/templates", headers=auth).status == 200
        time.sleep(1.1)
        expired = call("GET", f"{base_url}/design/das/v1/templates", headers=auth)
    finally:
        code = stop(process)

    assert (expired.status, expired.json()["error"]) == (401, "invalid_token")
    assert code == 0
    announcement = f"Exstream sandbox on {base_url}/ (state: {tmp_path / 'exstream.sqlite3'})"
    assert announcement in (tmp_path / "exstream.log").read_text()


def test_uploading_a_name_twice_makes_versions_one_and_two(
    exstream: str, auth: dict[str, str]
) -> None:
    first = upload(exstream, keyed(auth), LOGO, properties={"alt": "Logo"})
    second = upload(exstream, keyed(auth), LOGO, content=b"second")

    assert (first.status, second.status) == (201, 201)
    assert first.json()["resource"] == second.json()["resource"]
    assert [first.json()["version"], second.json()["version"]] == [1, 2]
    assert second.json()["state"] == "draft"
    (image,) = images(exstream, auth, LOGO)
    assert (image["id"], image["name"], image["type"]) == (first.json()["resource"], LOGO, "image")
    version_one = image["versions"][0]
    assert version_one["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (version_one["size"], version_one["content_type"]) == (len(PNG), "image/png")
    assert version_one["properties"] == {"alt": "Logo"}
    assert [version["state"] for version in image["versions"]] == ["draft", "draft"]
    fetched = call("GET", f"{exstream}/design/das/v1/resources/{image['id']}", headers=auth)
    assert fetched.json() == image
    assert images(exstream, auth, "no.such.image/any/print") == []


def test_a_version_is_submitted_then_approved_and_wrong_steps_conflict(
    exstream: str, auth: dict[str, str]
) -> None:
    resource = upload(exstream, keyed(auth), LOGO).json()["resource"]

    early = step(exstream, keyed(auth), resource, 1, "approve")
    submitted = step(exstream, keyed(auth), resource, 1, "submit")
    again = step(exstream, keyed(auth), resource, 1, "submit")
    approved = step(exstream, keyed(auth), resource, 1, "approve")

    assert early.status == 409
    assert early.json() == {"error": "invalid_state", "detail": "version 1 is draft"}
    assert (submitted.status, submitted.json()["state"]) == (200, "submitted")
    assert (again.status, again.json()["detail"]) == (409, "version 1 is submitted")
    assert (approved.status, approved.json()["state"]) == (200, "approved")
    assert approved.json()["version"] == 1
    assert step(exstream, keyed(auth), resource, 2, "submit").status == 404
    assert step(exstream, keyed(auth), str(uuid.uuid4()), 1, "submit").status == 404


def test_a_write_without_an_idempotency_key_is_refused(exstream: str, auth: dict[str, str]) -> None:
    response = upload(exstream, auth, LOGO)

    assert (response.status, response.json()["error"]) == (400, "missing_idempotency_key")
    assert images(exstream, auth) == []
    assert outcomes(exstream) == ["rejected"]


def test_repeating_an_idempotency_key_replays_the_first_answer(
    exstream: str, auth: dict[str, str]
) -> None:
    headers = keyed(auth, "upload-logo-1")

    first = upload(exstream, headers, LOGO)
    repeat = upload(exstream, headers, LOGO, content=b"different bytes")

    assert (repeat.status, repeat.json()) == (first.status, first.json())
    assert len(images(exstream, auth, LOGO)[0]["versions"]) == 1
    log = write_log(exstream)
    assert [entry["outcome"] for entry in log] == ["applied", "replayed"]
    assert {entry["idempotency_key"] for entry in log} == {"upload-logo-1"}
    assert [entry["version"] for entry in log] == [1, 1]


def test_concurrent_writes_with_one_key_land_once(exstream: str, auth: dict[str, str]) -> None:
    headers = keyed(auth)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: upload(exstream, headers, LOGO), range(8)))

    assert {response.status for response in responses} == {201}
    assert len({response.body for response in responses}) == 1
    assert len(images(exstream, auth, LOGO)[0]["versions"]) == 1
    assert sorted(outcomes(exstream)) == ["applied"] + ["replayed"] * 7


def test_templates_are_seeded_and_usedby_lists_direct_parents(
    exstream: str, auth: dict[str, str]
) -> None:
    resource = upload(exstream, keyed(auth), LOGO).json()["resource"]

    templates = call("GET", f"{exstream}/design/das/v1/templates", headers=auth).json()["items"]
    components = call("GET", f"{exstream}/design/das/v1/templates?type=component", headers=auth)
    used_by = call("GET", f"{exstream}/design/das/v1/resources/{resource}/usedby", headers=auth)

    assert {template["id"] for template in templates} == SEEDED_IDS
    statement = next(template for template in templates if template["id"] == "COM-STATEMENT")
    assert statement["components"] == ["CMP-HEADER", "CMP-DISCLOSURE"]
    assert statement["channels"] == ["print", "email"]
    assert [item["id"] for item in components.json()["items"]] == ["CMP-HEADER", "CMP-DISCLOSURE"]
    assert used_by.json() == {
        "items": [{"id": "CMP-HEADER", "name": "Shared header", "type": "component"}]
    }


def test_an_injected_error_changes_nothing_and_spares_the_token_endpoint(
    exstream: str, auth: dict[str, str]
) -> None:
    set_faults(exstream, error_rate=1.0)
    headers = keyed(auth)

    response = upload(exstream, headers, LOGO)

    assert (response.status, response.json()["error"]) == (503, "unavailable")
    assert response.headers["Retry-After"] == "0"
    assert token(exstream).status == 200
    set_faults(exstream, error_rate=0.0)
    assert images(exstream, auth) == []
    assert upload(exstream, headers, LOGO).status == 201  # the failed key was not remembered
    assert outcomes(exstream) == ["failed", "applied"]


def test_a_timed_out_write_lands_all_the_same(exstream: str, auth: dict[str, str]) -> None:
    set_faults(exstream, timeout_rate=1.0, timeout_seconds=2)

    with pytest.raises(TimeoutError):
        upload(exstream, keyed(auth), LOGO, timeout=0.5)

    set_faults(exstream, timeout_rate=0.0)
    assert [version["version"] for version in images(exstream, auth, LOGO)[0]["versions"]] == [1]
    assert outcomes(exstream) == ["timeout"]


def test_a_dropped_write_lands_all_the_same(exstream: str, auth: dict[str, str]) -> None:
    set_faults(exstream, drop_rate=1.0)
    headers = keyed(auth)

    with pytest.raises(ConnectionError):
        upload(exstream, headers, LOGO)

    set_faults(exstream, drop_rate=0.0)
    retry = upload(exstream, headers, LOGO)
    assert (retry.status, retry.json()["version"]) == (201, 1)
    assert len(images(exstream, auth, LOGO)[0]["versions"]) == 1
    assert outcomes(exstream) == ["dropped", "replayed"]


def test_fault_settings_are_read_back_and_checked(exstream: str) -> None:
    changed = set_faults(exstream, latency_ms=5, drop_rate=0.25)
    refused = set_faults(exstream, error_rate=1.5)

    expected = {
        "error_rate": 0.0,
        "timeout_rate": 0.0,
        "drop_rate": 0.25,
        "latency_ms": 5,
        "timeout_seconds": 5.0,
    }
    assert changed.json() == expected
    assert call("GET", f"{exstream}/_sandbox/faults").json() == expected
    assert (refused.status, refused.json()["error"]) == (400, "invalid_faults")


def test_reset_empties_images_and_writes_and_keeps_faults(
    exstream: str, auth: dict[str, str]
) -> None:
    upload(exstream, keyed(auth), LOGO)
    set_faults(exstream, latency_ms=1)

    response = post_json(f"{exstream}/_sandbox/reset", {})

    assert response.status == 200
    assert images(exstream, auth) == []
    assert write_log(exstream) == []
    assert call("GET", f"{exstream}/_sandbox/faults").json()["latency_ms"] == 1
    templates = call("GET", f"{exstream}/design/das/v1/templates", headers=auth).json()["items"]
    assert {template["id"] for template in templates} == SEEDED_IDS


def test_the_sandbox_follows_the_api_prefix_and_the_otds_tenant(tmp_path: Path) -> None:
    base_url, process = start_exstream_sandbox(
        tmp_path, api_prefix="/exstream/api/v2", otds_tenant="bank"
    )
    try:
        form = "grant_type=client_credentials&client_id=govern&client_secret=sandbox-secret"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        plain = call("POST", f"{base_url}/otdsws/oauth2/token", body=form.encode(), headers=headers)
        tenant = call(
            "POST",
            f"{base_url}/otdstenant/bank/otdsws/oauth2/token",
            body=form.encode(),
            headers=headers,
        )
        assert (plain.status, tenant.status) == (404, 200)
        auth = {"Authorization": f"Bearer {tenant.json()['access_token']}"}
        assert call("GET", f"{base_url}/exstream/api/v2/templates", headers=auth).status == 200
        assert call("GET", f"{base_url}/design/das/v1/templates", headers=auth).status == 404
    finally:
        stop(process)


def test_an_idle_kept_alive_connection_closing_is_not_logged_other_errors_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sandboxes.common import _Handler

    handler = _Handler.__new__(_Handler)
    handler.client_address = ("127.0.0.1", 5000)
    handler.log_error("Request timed out: %r", TimeoutError("timed out"))
    assert capsys.readouterr().err == ""
    handler.log_error("code %d, message %s", 400, "Bad request syntax")
    assert "Bad request syntax" in capsys.readouterr().err


def test_the_sandbox_logs_only_requests_that_went_wrong(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sandboxes.common import _Handler

    handler = _Handler.__new__(_Handler)
    handler.client_address = ("127.0.0.1", 5000)
    handler.requestline = "GET /design/api/v1/domains HTTP/1.1"
    handler.log_request(200)
    assert capsys.readouterr().err == ""
    handler.log_request(404)
    assert "GET /design/api/v1/domains" in capsys.readouterr().err
