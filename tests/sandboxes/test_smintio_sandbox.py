"""The Smint.io sandbox, as a real process over real HTTP: tokens, feed, files, faults."""

import hashlib
import hmac
import io
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from PIL import Image

from tests.sandboxes.runner import (
    Response,
    call,
    post_json,
    reset,
    set_faults,
    start_smintio_sandbox,
    stop,
    write_log,
)

CLIENT = {"client_id": "govern", "client_secret": "sandbox-secret"}
REFRESH_TOKEN = "sandbox-refresh-token"
FEED = "/consumer/v1/license-purchase-transactions"
GERMANY_PRINT = "eb484002-e1a1-41d7-be11-037c0627cf4e"
COMPOUND = "4719a24b-3bb6-4f4a-a93f-4677d0892678"
COMPOUND_CART = "4f5f6938-5a64-45e2-85e1-7c884eb19f5b"
NO_CONTENT_ELEMENT = "0b5e2c7e-61d4-4c0a-9a43-5d1f0c7a9e10"
NOT_SYNCABLE = "6f7a9d2b-3c1e-4e8f-b5a6-2d9c8e7f1a04"
REPURCHASE = "a31f6c55-8b2e-4f0d-9e71-0c4b5d6e7f82"
UNMAPPABLE = "e94d0a7c-2b5f-4c3e-8d16-7a0f9b2c4e53"
SDK_SHAPED = "5c8e1f3a-9d2b-4a7e-b6c0-79468d1e2f30"  # every term list empty, demo-only text
SEEDED = {
    GERMANY_PRINT,
    "4e947f6d-e372-4f9e-a3f1-38584aaaddc6",
    "4f1ce836-032b-4396-9eb4-9d9ab788b5db",
    "d9f65f19-6103-421f-ac13-24c5f2b6b3bc",
    COMPOUND,
    "d8c0bca3-ca77-474e-95f2-a1ed2a36b305",
    NO_CONTENT_ELEMENT,
    NOT_SYNCABLE,
    REPURCHASE,
    UNMAPPABLE,
    SDK_SHAPED,
}
HOOK_SECRET = "hook-secret-for-tests"


def token(base_url: str, refresh_token: str = REFRESH_TOKEN, **form: str) -> Response:
    fields = {"grant_type": "refresh_token", "refresh_token": refresh_token, **CLIENT, **form}
    return call(
        "POST",
        f"{base_url}/connect/token",
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def bearer(base_url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(base_url).json()['access_token']}"}


def pull(
    base_url: str, auth: dict[str, str], continuation: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """Read one page of the feed; the page must be a 200."""
    query = {"limit": limit, **({"continuation_uuid": continuation} if continuation else {})}
    response = call("GET", f"{base_url}{FEED}?{urlencode(query)}", headers=auth)
    assert response.status == 200, response.body
    page: dict[str, Any] = response.json()
    return page


def by_uuid(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The purchases on a feed page by uuid (a later entry for a purchase wins)."""
    return {each["uuid"]: each for each in page["license_purchase_transactions"]}


def binaries(base_url: str, auth: dict[str, str], cart: str, lpt: str) -> Response:
    return call("GET", f"{base_url}{FEED}/{cart}/{lpt}/binaries", headers=auth)


def compound_binaries(base_url: str, auth: dict[str, str]) -> list[dict[str, Any]]:
    response = binaries(base_url, auth, COMPOUND_CART, COMPOUND)
    assert response.status == 200, response.body
    items = response.json()
    assert isinstance(items, list), "a bare list, as the SDKs' generated clients read it"
    return items


def is_png(content: bytes) -> bool:
    """Whether the bytes are a whole PNG that Pillow decodes, checksums and all."""
    if not content.startswith(b"\x89PNG\r\n\x1a\n"):
        return False
    with Image.open(io.BytesIO(content)) as image:
        image.load()
        return image.format == "PNG"


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start one Smint.io sandbox for this module; its base URL (no trailing slash)."""
    base_url, process = start_smintio_sandbox(tmp_path_factory.mktemp("smintio"))
    yield base_url
    stop(process)


@pytest.fixture
def smintio(module_sandbox: str) -> str:
    """The module's sandbox freshly seeded, with no writes and no faults."""
    reset(module_sandbox)
    return module_sandbox


@pytest.fixture
def auth(smintio: str) -> dict[str, str]:
    return bearer(smintio)


def test_a_refresh_token_works_once_and_hands_over_the_next(smintio: str) -> None:
    first = token(smintio)
    reused = token(smintio)
    second = token(smintio, first.json()["refresh_token"])

    assert first.status == 200
    body = first.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    assert body["refresh_token"] != REFRESH_TOKEN
    assert (reused.status, reused.json()["error"]) == (400, "invalid_grant")
    assert second.status == 200
    assert second.json()["refresh_token"] != body["refresh_token"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert call("GET", f"{smintio}{FEED}", headers=headers).status == 200


def test_a_wrong_client_or_grant_type_gets_no_token(smintio: str) -> None:
    wrong_secret = token(smintio, client_secret="guess")
    wrong_grant = token(smintio, grant_type="client_credentials")

    assert (wrong_secret.status, wrong_secret.json()["error"]) == (401, "invalid_client")
    assert (wrong_grant.status, wrong_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert token(smintio).status == 200  # refused requests did not spend the refresh token


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic Z292ZXJu"])
def test_the_api_refuses_requests_without_a_valid_token(
    smintio: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = call("GET", f"{smintio}{FEED}", headers=headers)

    assert response.status == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_access_tokens_and_download_urls_expire(tmp_path: Path) -> None:
    base_url, process = start_smintio_sandbox(tmp_path, token_ttl=1, url_ttl=1)
    try:
        auth = bearer(base_url)
        url = compound_binaries(base_url, auth)[0]["download_url"]
        time.sleep(1.1)
        expired_token = call("GET", f"{base_url}{FEED}", headers=auth)
        expired_url = call("GET", url)
    finally:
        code = stop(process)

    assert (expired_token.status, expired_token.json()["error"]) == (401, "invalid_token")
    assert (expired_url.status, expired_url.json()["error"]) == (403, "url_expired")
    assert code == 0
    announcement = f"Smint.io sandbox on {base_url}/ (state: {tmp_path / 'smintio.sqlite3'})"
    assert announcement in (tmp_path / "smintio.log").read_text()


def test_the_feed_pages_through_every_purchase_then_has_nothing_new(
    smintio: str, auth: dict[str, str]
) -> None:
    first = pull(smintio, auth, limit=6)
    second = pull(smintio, auth, first["continuation_uuid"], limit=6)
    third = pull(smintio, auth, second["continuation_uuid"], limit=6)

    assert [first["count"], second["count"], third["count"]] == [6, 5, 0]
    purchases = first["license_purchase_transactions"] + second["license_purchase_transactions"]
    assert {each["uuid"] for each in purchases} == SEEDED
    assert [each["state"] for each in purchases].count("cancelled") == 1
    assert third["license_purchase_transactions"] == []
    assert third["continuation_uuid"] == second["continuation_uuid"]
    assert pull(smintio, auth)["count"] == 11  # without a continuation it starts over


def test_the_seed_covers_restrictive_open_editorial_and_unknown_terms(
    smintio: str, auth: dict[str, str]
) -> None:
    purchases = by_uuid(pull(smintio, auth))

    germany = purchases[GERMANY_PRINT]
    (germany_term,) = germany["license_terms"]
    assert germany["offering"]["license_type"] == "rights_managed"
    assert germany_term["allowed_geographies"] == ["geography_germany"]
    assert germany_term["allowed_usages"] == ["usage_print"]
    assert germany_term["valid_until"] == "2027-06-30T23:59:59Z"
    assert "<script>" in germany["license_text"]["effective_text"][0]["value"]
    assert germany["license_text"]["effective_text_is_safe_html"] is False
    editorial_use = [
        (each["license_terms"][0]["is_editorial_use"], each) for each in purchases.values()
    ]
    (editorial,) = [each for value, each in editorial_use if value is True]
    assert editorial["content_element"]["content_category"] == "editorial"
    (unknown,) = [each for value, each in editorial_use if value is None]
    assert unknown["license_terms"][0]["allowed_geographies"] is None
    assert unknown["license_terms"][0]["valid_until"] is None
    assert set(unknown["license_download_constraints"].values()) == {None}


def test_the_seed_serves_the_cases_a_real_tenant_has(smintio: str, auth: dict[str, str]) -> None:
    purchases = by_uuid(pull(smintio, auth))
    assert purchases[NO_CONTENT_ELEMENT]["content_element"] is None
    assert purchases[NOT_SYNCABLE]["can_be_synced"] is False
    repurchase = purchases[REPURCHASE]
    original = purchases[repurchase["reused_license_purchase_transaction_uuid"]]
    assert repurchase["content_element"]["uuid"] == original["content_element"]["uuid"]
    assert purchases[UNMAPPABLE]["license_terms"][0]["valid_until"] == "31/12/2027"
    (link,) = purchases[GERMANY_PRINT]["offering"]["license_urls"]
    assert link == {
        "culture": "en",
        "metadata_element": {
            "key": "license",
            "name": "License",
            "url": "https://www.gettyimages.com/eula",
        },
    }
    keyword = purchases[GERMANY_PRINT]["content_element"]["keywords"][0]
    assert keyword == {"culture": "en", "metadata_element": {"name": "wind energy"}}

    def bytes_of(lpt: str) -> bytes:
        cart = purchases[lpt]["cart_purchase_transaction_uuid"]
        (binary,) = binaries(smintio, auth, cart, lpt).json()
        return call("GET", binary["download_url"]).body

    assert bytes_of(REPURCHASE) == bytes_of(original["uuid"]), "the same content, the same bytes"


def test_an_unknown_continuation_or_a_bad_limit_is_refused(
    smintio: str, auth: dict[str, str]
) -> None:
    unknown = call("GET", f"{smintio}{FEED}?continuation_uuid={uuid.uuid4()}", headers=auth)
    too_many = call("GET", f"{smintio}{FEED}?limit=101", headers=auth)
    none = call("GET", f"{smintio}{FEED}?limit=0", headers=auth)

    assert (unknown.status, unknown.json()["error"]) == (400, "invalid_continuation")
    assert (too_many.status, none.status) == (400, 400)


def test_a_cancel_is_delivered_again_after_the_saved_continuation(
    smintio: str, auth: dict[str, str]
) -> None:
    saved = pull(smintio, auth)["continuation_uuid"]

    cancelled = call("POST", f"{smintio}/_sandbox/purchases/{GERMANY_PRINT}/cancel")
    again = call("POST", f"{smintio}/_sandbox/purchases/{GERMANY_PRINT}/cancel")
    news = pull(smintio, auth, saved)

    assert (cancelled.status, cancelled.json()["state"]) == (200, "cancelled")
    assert (again.status, again.json()["error"]) == (409, "invalid_state")
    assert news["count"] == 1
    (purchase,) = news["license_purchase_transactions"]
    assert (purchase["uuid"], purchase["state"]) == (GERMANY_PRINT, "cancelled")
    assert purchase["last_updated_at"] > "2026-03-02T09:14:00Z"
    assert purchase == cancelled.json()


def test_new_terms_replace_the_old_and_are_delivered_again(
    smintio: str, auth: dict[str, str]
) -> None:
    saved = pull(smintio, auth)["continuation_uuid"]
    new_term = {"allowed_geographies": ["geography_austria"], "valid_until": None}

    changed = post_json(f"{smintio}/_sandbox/purchases/{COMPOUND}/terms", new_term)
    refused = post_json(f"{smintio}/_sandbox/purchases/{COMPOUND}/terms", {"colour": "red"})

    assert changed.status == 200
    (term,) = changed.json()["license_terms"]
    assert term["sequence_number"] == 3  # the compound asset had terms 1 and 2
    assert term["allowed_geographies"] == ["geography_austria"]
    assert term["allowed_usages"] is None  # what the new term leaves out is unknown
    assert (refused.status, refused.json()["error"]) == (400, "invalid_term")
    assert pull(smintio, auth, saved)["license_purchase_transactions"] == [changed.json()]


def test_the_compound_asset_has_two_binaries_behind_signed_urls(
    smintio: str, auth: dict[str, str]
) -> None:
    items = compound_binaries(smintio, auth)
    downloads = [call("GET", item["download_url"]) for item in items]

    assert len(items) == 2
    assert {item["content_type"] for item in items} == {"image/png"}
    assert [item["version"] for item in items] == [1, 1]
    assert {download.status for download in downloads} == {200}
    for download in downloads:
        assert download.headers["Content-Type"] == "image/png"
        assert int(download.headers["Content-Length"]) == len(download.body)
        assert is_png(download.body)
    assert downloads[0].body != downloads[1].body
    assert urlsplit(items[0]["download_url"]).netloc == urlsplit(smintio).netloc
    assert binaries(smintio, auth, str(uuid.uuid4()), COMPOUND).status == 404
    assert binaries(smintio, auth, COMPOUND_CART, str(uuid.uuid4())).status == 404


def test_a_binary_update_brings_new_bytes_and_a_feed_entry(
    smintio: str, auth: dict[str, str]
) -> None:
    saved = pull(smintio, auth)["continuation_uuid"]
    before = compound_binaries(smintio, auth)[1]
    path = f"/_sandbox/purchases/{COMPOUND}/binaries/{before['uuid']}/update"

    updated = call("POST", f"{smintio}{path}")

    assert updated.status == 200
    after = compound_binaries(smintio, auth)[1]
    assert after["version"] == 2 == updated.json()["version"]
    new_bytes = call("GET", after["download_url"]).body
    assert is_png(new_bytes)
    assert new_bytes != call("GET", before["download_url"]).body
    assert list(by_uuid(pull(smintio, auth, saved))) == [COMPOUND]


def test_a_tampered_url_is_refused(smintio: str, auth: dict[str, str]) -> None:
    url = urlsplit(compound_binaries(smintio, auth)[0]["download_url"])
    query = {name: values[0] for name, values in parse_qs(url.query).items()}

    def tampered(**changes: str) -> Response:
        return call("GET", urlunsplit(url._replace(query=urlencode(query | changes))))

    forged = tampered(signature="0" * 64)
    extended = tampered(expires=str(int(query["expires"]) + 3600))

    assert (forged.status, forged.json()["error"]) == (403, "bad_signature")
    assert (extended.status, extended.json()["error"]) == (403, "bad_signature")


def test_generic_metadata_labels_every_key_the_seed_uses(
    smintio: str, auth: dict[str, str]
) -> None:
    metadata = call("GET", f"{smintio}/consumer/v1/generic-metadata", headers=auth).json()
    purchases = pull(smintio, auth)["license_purchase_transactions"]

    used: dict[str, set[str]] = {}
    for purchase in purchases:
        element = purchase["content_element"]
        if element is None:
            continue
        used.setdefault("providers", set()).add(element["provider"])
        used.setdefault("content_types", set()).add(element["content_type"])
        used.setdefault("license_types", set()).add(purchase["offering"]["license_type"])
        releases = element["release_details"]
        states = {releases["model_release_state"], releases["property_release_state"]} - {None}
        used.setdefault("release_states", set()).update(states)
        for term in purchase["license_terms"]:
            for name, keys in term.items():
                if isinstance(keys, list) and name != "name":
                    used.setdefault(_category(name), set()).update(keys)

    assert set(used) <= set(metadata)
    for category, keys in used.items():
        labelled = {entry["metadata_element"]["key"] for entry in metadata[category]}
        assert keys <= labelled, category
    for entries in metadata.values():
        cultures: dict[str, set[str]] = {}
        for entry in entries:  # flat localized metadata elements, one per key and culture
            assert set(entry) == {"culture", "metadata_element"}, entry
            assert set(entry["metadata_element"]) == {"key", "name"}, entry
            cultures.setdefault(entry["metadata_element"]["key"], set()).add(entry["culture"])
        assert all(found == {"en", "de"} for found in cultures.values()), cultures


def _category(term_field: str) -> str:
    """The metadata category that labels a term field's keys: allowed_usages -> license_usages."""
    return "license_" + term_field.removeprefix("allowed_").removeprefix("restricted_")


def test_there_is_no_way_back_to_smintio(smintio: str, auth: dict[str, str]) -> None:
    """The SDKs describe a one-way sync: no feedback and no usage reports are taken."""
    for path in ("/consumer/v1/feedback", "/consumer/v1/usage-reports"):
        answer = post_json(f"{smintio}{path}", {"status": "retired"}, auth)
        assert answer.status == 404, path
    assert [write["outcome"] for write in write_log(smintio)] == ["rejected", "rejected"]


def test_injected_errors_and_rate_limits_change_nothing(smintio: str) -> None:
    issued = token(smintio).json()
    auth = {"Authorization": f"Bearer {issued['access_token']}"}
    download = compound_binaries(smintio, auth)[0]["download_url"]

    set_faults(smintio, error_rate=1.0)
    failed_feed = call("GET", f"{smintio}{FEED}", headers=auth)
    failed_download = call("GET", download)
    unfaulted_token = token(smintio, issued["refresh_token"])
    set_faults(smintio, rate_limit_rate=1.0)  # checked first, so it wins over the error
    limited_feed = call("GET", f"{smintio}{FEED}", headers=auth)
    set_faults(smintio, error_rate=0.0, rate_limit_rate=0.0)

    assert (failed_feed.status, failed_feed.headers["Retry-After"]) == (503, "0")
    assert failed_download.status == 503
    assert unfaulted_token.status == 200
    assert (limited_feed.status, limited_feed.headers["Retry-After"]) == (429, "1")
    assert limited_feed.json()["error"] == "rate_limited"
    assert call("GET", f"{smintio}{FEED}", headers=auth).status == 200


def test_fault_settings_are_read_back_and_checked(smintio: str) -> None:
    changed = set_faults(smintio, rate_limit_rate=0.25, latency_ms=5)
    refused = set_faults(smintio, rate_limit_rate=2)

    expected = {
        "error_rate": 0.0,
        "timeout_rate": 0.0,
        "drop_rate": 0.0,
        "latency_ms": 5,
        "timeout_seconds": 5.0,
        "rate_limit_rate": 0.25,
    }
    assert changed.json() == expected
    assert call("GET", f"{smintio}/_sandbox/faults").json() == expected
    assert (refused.status, refused.json()["error"]) == (400, "invalid_faults")


def test_reset_reseeds_and_restores_the_refresh_token(smintio: str, auth: dict[str, str]) -> None:
    call("POST", f"{smintio}/_sandbox/purchases/{GERMANY_PRINT}/cancel")
    set_faults(smintio, latency_ms=1)

    response = call("POST", f"{smintio}/_sandbox/reset")

    assert response.status == 200
    page = pull(smintio, auth)
    assert page["count"] == 11
    assert by_uuid(page)[GERMANY_PRINT]["state"] == "completed"
    assert write_log(smintio) == []
    assert token(smintio).status == 200  # the fixture had spent it; reset made it valid again
    assert call("GET", f"{smintio}/_sandbox/faults").json()["latency_ms"] == 1


def test_continuations_and_rotated_tokens_survive_a_restart(tmp_path: Path) -> None:
    base_url, process = start_smintio_sandbox(tmp_path)
    try:
        issued = token(base_url).json()
        auth = {"Authorization": f"Bearer {issued['access_token']}"}
        saved = pull(base_url, auth, limit=2)["continuation_uuid"]
    finally:
        stop(process)
    base_url, process = start_smintio_sandbox(tmp_path)
    try:
        rest = pull(base_url, auth, saved)
        original = token(base_url)
        rotated = token(base_url, issued["refresh_token"])
    finally:
        stop(process)

    assert rest["count"] == 9
    assert (original.status, rotated.status) == (400, 200)


class _HookReceiver(BaseHTTPRequestHandler):
    """Keep every POST it gets on the server's queue and answer 204."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.put((self.headers, body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output quiet


@pytest.fixture
def hook_receiver() -> Iterator[tuple[str, queue.Queue[tuple[Any, bytes]]]]:
    """A tiny HTTP server on a free port; its URL and the queue of POSTs it got."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HookReceiver)
    received: queue.Queue[tuple[Any, bytes]] = queue.Queue()
    server.received = received  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/smintio", received
    server.shutdown()
    server.server_close()


def test_each_change_is_announced_to_the_hook_with_a_valid_signature(
    tmp_path: Path, hook_receiver: tuple[str, queue.Queue[tuple[Any, bytes]]]
) -> None:
    hook_url, received = hook_receiver
    base_url, process = start_smintio_sandbox(tmp_path, hook_url=hook_url, hook_secret=HOOK_SECRET)
    try:
        call("POST", f"{base_url}/_sandbox/purchases/{GERMANY_PRINT}/cancel")
        headers, body = received.get(timeout=5)
    finally:
        stop(process)

    assert headers["Content-Type"] == "application/json"
    fields = dict(part.split("=", 1) for part in headers["Govern-Signature"].split(","))
    signed = f"{fields['t']}.".encode() + body
    expected = hmac.new(HOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    assert abs(int(fields["t"]) - time.time()) < 60
    event = json.loads(body)
    assert event["type"] == "license_purchase_transactions.changed"
    assert uuid.UUID(event["event_id"]).version == 4
    assert event["occurred_at"].endswith("Z")
