"""The Exstream client against a scripted server (httpx.MockTransport): tokens, retries, lookups."""

import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from templates_app.exstream.client import CALLS, ExstreamClient, ExstreamError, push_image

BASE = "https://exstream.example"
Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """Answer token requests, and let each test script the rest."""

    def __init__(self, script: list[Handler | Exception]) -> None:
        self.script = script
        self.requests: list[httpx.Request] = []
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/otdsws/oauth2/token":
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"t{self.tokens}", "expires_in": 600})
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(request)


def client(server: Server, sleeps: list[float] | None = None, retries: int = 3) -> ExstreamClient:
    return ExstreamClient(
        base_url=BASE,
        token_url=f"{BASE}/otdsws/oauth2/token",
        client_id="govern",
        client_secret="s",
        http=httpx.Client(transport=httpx.MockTransport(server)),
        retries=retries,
        backoff=0.1,
        deadline=30,
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
    )


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: httpx.Response(status, json=body, headers=headers)


IMAGE = {"id": "r1", "name": "logo/any/web", "type": "image", "versions": []}


def test_token_is_fetched_once_and_renewed_once_on_401() -> None:
    server = Server(
        [
            answer(200, {"items": []}),
            answer(401, {"error": "invalid_token"}),
            answer(200, {"items": []}),
        ]
    )
    exstream = client(server)
    exstream.templates()
    exstream.templates()
    assert server.tokens == 2
    assert [r.headers["Authorization"] for r in server.requests] == [
        "Bearer t1",
        "Bearer t1",
        "Bearer t2",
    ]


def test_503_and_429_are_retried_with_backoff_honouring_retry_after() -> None:
    sleeps: list[float] = []
    server = Server(
        [
            answer(503, {"error": "unavailable"}),
            answer(429, {}, {"Retry-After": "2"}),
            answer(200, {"items": [IMAGE]}),
        ]
    )
    assert client(server, sleeps).find_image("logo/any/web") == IMAGE
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.1 and sleeps[1] == 2.0


def test_a_client_error_is_not_retried() -> None:
    server = Server([answer(409, {"error": "invalid_state", "detail": "version 3 is draft"})])
    with pytest.raises(ExstreamError) as error:
        client(server).templates()
    assert (error.value.retryable, error.value.status) == (False, 409)
    assert "version 3 is draft" in error.value.detail


def test_giving_up_after_the_retries_says_the_error_can_be_retried_later() -> None:
    server = Server([httpx.ConnectError("refused")] * 4)
    with pytest.raises(ExstreamError) as error:
        client(server).templates()
    assert error.value.retryable and len(server.requests) == 4


def test_after_a_timeout_the_upload_looks_before_sending_again() -> None:
    landed = {
        **IMAGE,
        "versions": [
            {
                "version": 4,
                "state": "draft",
                "sha256": "ab",
                "properties": {"idempotency_key": "k1"},
            }
        ],
    }
    server = Server([httpx.ReadTimeout("slow"), answer(200, {"items": [landed]})])
    version = client(server).upload_image(
        name="logo/any/web", data=b"png", media_type="image/png", properties={}, key="k1"
    )
    assert (version.resource_id, version.version) == ("r1", 4)
    assert [r.method for r in server.requests] == ["POST", "GET"], "no second upload"
    assert server.requests[0].headers["Idempotency-Key"] == "k1:upload"


def test_push_uploads_submits_and_approves_with_keys() -> None:
    server = Server(
        [
            answer(200, {"items": []}),
            answer(201, {"resource": "r1", "version": 1, "state": "draft"}),
            answer(200, {"version": 1, "state": "submitted"}),
            answer(200, {"version": 1, "state": "approved"}),
        ]
    )
    version = push_image(
        name="logo/any/web",
        data=b"png",
        media_type="image/png",
        properties={"sha256": "ab"},
        key="k2",
        exstream=client(server),
    )
    assert version.reference == "r1:1" and version.state == "approved"
    upload = server.requests[1]
    assert b'"idempotency_key": "k2"' in upload.content and b'"sha256": "ab"' in upload.content
    keys = [r.headers.get("Idempotency-Key") for r in server.requests]
    assert keys == [None, "k2:upload", "k2:submit", "k2:approve"]


def test_push_after_a_crash_continues_from_what_landed() -> None:
    half_done = {
        **IMAGE,
        "versions": [{"version": 2, "state": "submitted", "properties": {"idempotency_key": "k3"}}],
    }
    server = Server(
        [answer(200, {"items": [half_done]}), answer(200, {"version": 2, "state": "approved"})]
    )
    version = push_image(
        name="logo/any/web",
        data=b"png",
        media_type="image/png",
        properties={},
        key="k3",
        exstream=client(server),
    )
    assert version.reference == "r1:2"
    assert [r.url.path for r in server.requests] == [
        "/design/das/v1/resources",
        "/design/das/v1/resources/r1/versions/2/approve",
    ]


def test_missing_secret_is_a_clear_error() -> None:
    exstream = ExstreamClient(
        base_url=BASE,
        token_url=f"{BASE}/t",
        client_id="govern",
        client_secret="",
        http=httpx.Client(transport=httpx.MockTransport(Server([]))),
    )
    with pytest.raises(ExstreamError, match="EXSTREAM_CLIENT_SECRET is not set"):
        exstream.templates()


def test_properties_travel_as_json() -> None:
    server = Server([answer(201, {"resource": "r9", "version": 1, "state": "draft"})])
    client(server).upload_image(
        name="n", data=b"x", media_type="image/png", properties={"govern_version": 7}, key="k"
    )
    body = server.requests[0].content.decode("latin-1")
    assert json.dumps({"govern_version": 7, "idempotency_key": "k"}) in body


def test_calls_follow_the_prefix_and_send_the_domain_and_csrf_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 300})
        if request.method == "POST":
            return httpx.Response(201, json={"resource": "r1", "version": 1, "state": "draft"})
        return httpx.Response(200, json={"items": []})

    exstream = ExstreamClient(
        base_url=BASE,
        token_url=f"{BASE}/otdstenant/bank/otdsws/oauth2/token",
        client_id="govern",
        client_secret="s",
        http=httpx.Client(transport=httpx.MockTransport(answer)),
        prefix="/exstream/api/v2/",
        domain="retail",
        csrf_token="csrf-1",
    )
    assert exstream.templates() == []
    assert exstream.find_image("x") is None
    calls = [r for r in seen if not r.url.path.endswith("/token")]
    assert [r.url.path for r in calls] == [
        "/exstream/api/v2/templates",
        "/exstream/api/v2/resources",
    ]
    assert all(r.headers["Exstream-Domain"] == "retail" for r in calls)
    assert all("X-CSRF-Token" not in r.headers for r in calls), "reads carry no CSRF token"
    exstream.upload_image(name="x", data=b"png", media_type="image/png", properties={}, key="k")
    upload = seen[-1]
    assert upload.url.path == "/exstream/api/v2/resources/images"
    assert upload.headers["X-CSRF-Token"] == "csrf-1"


def test_the_contract_command_prints_every_declared_call_as_openapi(settings: Any) -> None:
    settings.EXSTREAM_API = "proxy"
    out = io.StringIO()
    call_command("exstream_contract", stdout=out)
    document = json.loads(out.getvalue())
    operations = {op["operationId"] for ops in document["paths"].values() for op in ops.values()}
    assert operations == set(CALLS)
    assert "/design/das/v1/resources/{id}/versions/{version}/{action}" in document["paths"]


def test_the_contract_of_das_gives_each_call_its_request_and_answer_shapes(settings: Any) -> None:
    settings.EXSTREAM_API = "das"
    out = io.StringIO()
    call_command("exstream_contract", stdout=out)
    document = json.loads(out.getvalue())
    state = document["paths"]["/design/api/v1/resources/{domain}/{id}/state"]["put"]
    body = state["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/WorkflowRequestBody"}
    answer = state["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["properties"]["data"] == {"$ref": "#/components/schemas/DasResourceVersion"}
    listing = document["paths"]["/design/api/v1/resources/{domain}"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"filter.types", "count", "offset"}
    refused = listing["responses"]["4XX"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/ExstreamErrorResponse"}
    assert "JSON" not in json.dumps([op["responses"]["200"] for op in _operations(document)])


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for ops in document["paths"].values() for op in ops.values()]
