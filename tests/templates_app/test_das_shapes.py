"""The DAS gateway reads what DAS answers and names what it cannot read: a missing `data`, a
state it does not know, a listing that does not end, a token answer without `access_token`.
(Answers stand in through httpx's mock transport; the sandbox tests speak real HTTP.)"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from templates_app.exstream.client import ExstreamError
from templates_app.exstream.das import Das, Otds, ShapeError, read_version

TOKEN = {"access_token": "t", "token_type": "Bearer", "expires_in": 900}
IMAGE = {"id": "u-1", "version": 1, "name": "logo/any/print", "type": "image", "state": "DRAFT"}


def gateway(answer: Callable[[httpx.Request], httpx.Response]) -> Das:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json=TOKEN)
        return answer(request)

    return Das(
        base_url="http://das.test",
        domain="govern",
        otds=Otds(
            token_url="http://das.test/otdsws/otdstenant/t/oauth2/token",
            client_id="c",
            username="svc",
            password="pw",
        ),
        http=httpx.Client(transport=httpx.MockTransport(route)),
        retries=0,
        backoff=0,
        sleep=lambda seconds: None,
    )


def paged(items: list[Any], total: int) -> dict[str, Any]:
    page = {"pageSize": len(items), "pageOffset": 0, "totalElements": total, "totalPages": 1}
    return {"status": "success", "details": "", "data": items, "page": page}


def test_an_answer_without_data_names_it_and_is_not_retried() -> None:
    das = gateway(lambda request: httpx.Response(200, json={"status": "success"}))
    with pytest.raises(ShapeError, match="has no `data`") as refused:
        das.images()
    assert refused.value.retryable is False


@pytest.mark.parametrize(
    ("item", "named"),
    [
        ({**IMAGE, "state": "ARCHIVED"}, "state 'ARCHIVED' of logo/any/print is not one Govern"),
        ({**IMAGE, "version": "1"}, "`version` is '1'"),
        ({**IMAGE, "id": None}, "`id` is None"),
        ("an image", "is str, not an object"),
    ],
)
def test_a_resource_version_of_an_unexpected_shape_names_the_field(item: Any, named: str) -> None:
    with pytest.raises(ShapeError, match=named):
        read_version(item)


def test_a_listing_whose_pages_do_not_advance_fails_instead_of_looping() -> None:
    das = gateway(lambda request: httpx.Response(200, json=paged([IMAGE], total=10**9)))
    with pytest.raises(ShapeError, match="did not end after 200 pages"):
        das.images()


def test_a_token_answer_without_an_access_token_is_a_configuration_error() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token_type": "Bearer"})

    das = Das(
        base_url="http://das.test",
        domain="govern",
        otds=Otds(token_url="http://das.test/otds/oauth2/token", client_id="c", client_secret="s"),
        http=httpx.Client(transport=httpx.MockTransport(route)),
    )
    with pytest.raises(ExstreamError, match="without an access_token") as refused:
        das.images()
    assert refused.value.retryable is False


def test_the_error_body_is_read_and_a_4xx_is_not_retried() -> None:
    error = {"timestamp": 1, "status": 404, "message": "Domain nope not found", "errorCode": 1}
    das = gateway(lambda request: httpx.Response(404, json=error))
    with pytest.raises(ExstreamError, match="404 Domain nope not found") as refused:
        das.images()
    assert refused.value.retryable is False and refused.value.status == 404


def test_the_token_form_follows_the_grant() -> None:
    password = Otds(token_url="u", client_id="c", username="svc", password="pw").form()
    assert password == {
        "grant_type": "password",
        "username": "svc",
        "password": "pw",
        "client_id": "c",
        "scope": "otds:groups",
    }
    service = Otds(token_url="u", client_id="c", client_secret="s", scope="x").form()
    assert service["grant_type"] == "client_credentials" and service["client_secret"] == "s"
    with pytest.raises(ExstreamError, match="Neither EXSTREAM_USERNAME nor"):
        Otds(token_url="u", client_id="c").form()
