"""The UI shell: navigation by role, empty states, security headers, API docs offline."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client


def nav_labels(html: str) -> list[str]:
    nav = html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    return [part.split("</a>")[0].split(">")[-1] for part in nav.split("<a ")[1:]]


def test_navigation_shows_what_each_role_can_open(
    compliance_officer: object,
    auditor: object,
    designer: object,
    client_for: Callable[[object], Client],
) -> None:
    pages = {
        "colin": nav_labels(client_for(compliance_officer).get("/").content.decode()),
        "audrey": nav_labels(client_for(auditor).get("/").content.decode()),
        "dana": nav_labels(client_for(designer).get("/").content.decode()),
    }
    assert pages == {
        "colin": [
            "Review queue",
            "Asset library",
            "Templates",
            "Campaigns",
            "Deliveries",
            "Vocabularies",
            "Criteria",
            "Usage",
            "Exceptions",
        ],
        "audrey": ["Asset library", "Templates", "Campaigns", "Usage", "Exceptions", "Audit log"],
        "dana": ["My reviews", "Asset library", "Templates", "Campaigns"],
    }


def test_home_lists_the_users_roles_per_unit(
    compliance_officer: object, client_for: Callable[[object], Client]
) -> None:
    html = client_for(compliance_officer).get("/").content.decode()
    assert "Insurance DE" in html and "Compliance officer" in html


def test_home_without_roles_explains_what_will_appear(
    make_user: Callable[..., object], client_for: Callable[[object], Client]
) -> None:
    html = client_for(make_user("newbie")).get("/").content.decode()
    assert "You hold no role in any business unit yet." in html
    assert nav_labels(html) == []


def test_review_queue_is_for_compliance_officers_only(
    compliance_officer: object,
    auditor: object,
    brand_manager: object,
    client_for: Callable[[object], Client],
) -> None:
    response = client_for(compliance_officer).get("/assets/review/")
    assert response.status_code == 200
    assert b"Nothing awaits your decision." in response.content
    for reader in (auditor, brand_manager):
        refused = client_for(reader).get("/assets/review/")
        assert refused.status_code == 403
        assert b"Only compliance officers have a review queue." in refused.content


def test_pages_carry_a_strict_content_security_policy(
    compliance_officer: object, client_for: Callable[[object], Client]
) -> None:
    response = client_for(compliance_officer).get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_login_page_loads_css_and_htmx_from_our_own_static_files() -> None:
    html = Client().get("/login/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/govern.css">' in html
    assert 'src="/static/vendor/htmx-2.0.11.min.js"' in html
    assert "http://" not in html and "https://" not in html


def test_openapi_schema_and_docs_are_served_without_a_cdn(
    compliance_officer: object, client_for: Callable[[object], Client]
) -> None:
    client = client_for(compliance_officer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/audit-events/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


def test_a_404_is_the_products_page_under_debug_too(
    compliance_officer: Any, client_for: Any, settings: Any
) -> None:
    settings.DEBUG = True
    client = client_for(compliance_officer)
    for path in ("/no-such-page/", "/assets/versions/999999/"):
        response = client.get(path)
        assert response.status_code == 404
        page = response.content.decode()
        assert "<h1>Not found</h1>" in page and "Back to your overview" in page
        assert "Django tried these URL patterns" not in page and "Traceback" not in page
    api = client.get("/api/v1/versions/999999/")
    assert api.status_code == 404 and api.json()["error"] == "not_found"
