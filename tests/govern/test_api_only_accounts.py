"""Integration accounts use API keys only: the sign-in form and the pages refuse them."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from govern.models import ApiKey


def test_an_integration_account_with_a_password_cannot_sign_in_or_open_pages(
    integration_key: str, api_client_for_key: Callable[[str], Client], client_for: Any
) -> None:
    account: User = ApiKey.objects.get().user
    account.set_password("a long enough password 1")
    account.save()
    form = Client().post(
        "/login/", {"username": account.username, "password": "a long enough password 1"}
    )
    assert form.status_code == 200 and "Integration accounts use API keys" in form.content.decode()
    assert "_auth_user_id" not in form.client.session

    session = client_for(account)
    page = session.get("/assets/library/")
    assert page.status_code == 403 and "Integration accounts use API keys" in page.content.decode()
    assert session.get("/").status_code == 403
    assert api_client_for_key(integration_key).get("/api/v1/me/").status_code == 200


def test_people_still_sign_in(brand_manager: Any) -> None:
    brand_manager.set_password("a long enough password 2")
    brand_manager.save()
    answer = Client().post("/login/", {"username": "bella", "password": "a long enough password 2"})
    assert answer.status_code == 302
