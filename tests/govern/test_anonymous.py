"""Without authentication nothing is served: the UI redirects to login, the API says 401."""

import pytest
from django.test import Client

UI_PATHS = ["/", "/assets/review/", "/assets/library/", "/audit/"]
API_PATHS = ["/api/v1/", "/api/v1/units/", "/api/v1/me/", "/api/v1/audit-events/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", UI_PATHS)
def test_ui_pages_redirect_anonymous_visitors_to_login(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("path", API_PATHS)
def test_api_endpoints_answer_401_without_credentials(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.django_db
def test_admin_sends_anonymous_visitors_to_its_login() -> None:
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]
