"""Delivery pages: each version's deliveries live, an overview with progress, retrying dead ones."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assets.models import Asset, Version
from assets.selectors import clean_selectors
from assets.services import version_approve
from audit.models import AuditEvent
from templates_app.models import Delivery

ClientFor = Callable[[Any], Client]


@pytest.fixture
def approved(logo: Asset, add_version: Callable[..., Version], compliance_officer: Any) -> Version:
    version = add_version(logo, selectors=clean_selectors(channels=["web", "email"]))
    return version_approve(version=version, actor=compliance_officer)


def test_version_deliveries_poll_while_any_is_on_the_way(
    approved: Version, auditor: Any, client_for: ClientFor
) -> None:
    client = client_for(auditor)
    page = client.get(f"/templates/deliveries/version/{approved.pk}/").content.decode()
    assert "0 of 2 delivered, 2 on the way" in page and 'hx-trigger="every 2s"' in page
    Delivery.objects.update(state="delivered", remote_reference="r1:1")
    done = client.get(f"/templates/deliveries/version/{approved.pk}/").content.decode()
    assert "2 of 2 delivered" in done and "hx-trigger" not in done
    assert "Retry" not in done


def test_dead_deliveries_can_be_retried_by_an_operator_not_an_auditor(
    approved: Version, compliance_officer: Any, auditor: Any, outsider: Any, client_for: ClientFor
) -> None:
    Delivery.objects.update(state="dead", last_error="503 unavailable", attempts=8)
    delivery = Delivery.objects.first()
    assert delivery is not None
    overview = client_for(compliance_officer).get("/templates/deliveries/").content.decode()
    assert "2 failed for good" in overview and "503 unavailable" in overview
    assert (
        client_for(auditor).post(f"/templates/deliveries/{delivery.pk}/retry/").status_code == 403
    )
    assert (
        client_for(outsider).post(f"/templates/deliveries/{delivery.pk}/retry/").status_code == 404
    )
    response = client_for(compliance_officer).post(f"/templates/deliveries/{delivery.pk}/retry/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert AuditEvent.objects.filter(action="delivery.retried", actor_name="colin").exists()


def test_review_page_of_an_approved_version_loads_its_deliveries(
    approved: Version, compliance_officer: Any, client_for: ClientFor
) -> None:
    page = client_for(compliance_officer).get(approved.get_absolute_url()).content.decode()
    assert f'hx-get="/templates/deliveries/version/{approved.pk}/"' in page


def test_retry_never_redirects_off_site(
    approved: Version, compliance_officer: Any, client_for: ClientFor
) -> None:
    Delivery.objects.update(state="dead")
    delivery = Delivery.objects.first()
    assert delivery is not None
    response = client_for(compliance_officer).post(
        f"/templates/deliveries/{delivery.pk}/retry/", {"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/templates/deliveries/"


def test_a_brand_manager_neither_sees_the_deliveries_page_nor_retries(
    approved: Version, brand_manager: Any, client_for: ClientFor
) -> None:
    Delivery.objects.update(state="dead", last_error="503 unavailable", attempts=8)
    delivery = Delivery.objects.first()
    assert delivery is not None
    client = client_for(brand_manager)
    assert client.get("/templates/deliveries/").status_code == 403
    assert client.post(f"/templates/deliveries/{delivery.pk}/retry/").status_code == 403
    fragment = client.get(f"/templates/deliveries/version/{approved.pk}/").content.decode()
    assert "503 unavailable" in fragment and "Retry" not in fragment
    assert 'href="/templates/deliveries/"' not in client.get("/").content.decode()
    assert Delivery.objects.filter(state="dead").count() == 2


def test_a_superseded_versions_dead_delivery_offers_no_retry_and_refuses_one(
    approved: Version,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    Delivery.objects.filter(version=approved).update(state="dead", last_error="503")
    newer = add_version(logo, selectors=clean_selectors(channels=["web", "email"]))
    version_approve(version=newer, actor=compliance_officer)
    dead = Delivery.objects.filter(version=approved).first()
    assert dead is not None and dead.state == "dead"
    client = client_for(compliance_officer)
    fragment = client.get(f"/templates/deliveries/version/{approved.pk}/").content.decode()
    assert "Retry" not in fragment
    overview = client.get("/templates/deliveries/").content.decode()
    assert "503" in overview and "Retry" not in overview
    response = client.post(f"/templates/deliveries/{dead.pk}/retry/", follow=True)
    assert "superseded: its renditions are no longer wanted" in response.content.decode()
    dead.refresh_from_db()
    assert dead.state == "dead"
