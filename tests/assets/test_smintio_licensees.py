"""A Smint.io licensee's purchases belong to the unit an administrator names for it;
without one they go to SMINTIO_UNIT, and the Smint.io page names the licensee."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from assets.models import Asset, LicenseeUnit, LicensePurchase
from assets.smintio.services import licensee_map
from assets.smintio.sync import smintio_sync
from audit.models import AuditEvent
from govern.models import BusinessUnit
from tests.conftest import with_second_factor

MAGAZINE_LICENSEE = "b3c1e0d2-5f47-4a8e-9d61-2e7f0a9c4b15"  # the sandbox's second licensee


@pytest.fixture
def admin(db: None) -> User:
    return User.objects.create_user("ada", password="pw-ada-1!", is_staff=True, is_superuser=True)


def test_a_mapped_licensees_purchases_land_in_its_unit(
    smintio_sandbox: str, unit: BusinessUnit, other_unit: BusinessUnit, admin: User
) -> None:
    licensee_map(licensee_uuid=MAGAZINE_LICENSEE, unit=other_unit, actor=admin)
    smintio_sync()
    magazine = LicensePurchase.objects.filter(licensee_uuid=MAGAZINE_LICENSEE)
    assert magazine.exists()
    assert {p.asset.business_unit_id for p in magazine} == {other_unit.pk}
    assert {p.licensee_name for p in magazine} == {"Nordlicht Medien GmbH"}
    others = LicensePurchase.objects.exclude(licensee_uuid=MAGAZINE_LICENSEE)
    assert {p.asset.business_unit_id for p in others} == {unit.pk}, "the rest: SMINTIO_UNIT"
    event = AuditEvent.objects.get(action="smintio.licensee_mapped")
    assert event.data == {"licensee": MAGAZINE_LICENSEE, "unit": other_unit.slug}
    assert event.business_unit_id == other_unit.pk


def test_an_unmapped_licensee_goes_to_the_fallback_unit_and_is_named_on_the_page(
    smintio_sandbox: str, unit: BusinessUnit, other_unit: BusinessUnit, admin: User
) -> None:
    smintio_sync()
    assert set(Asset.objects.values_list("business_unit_id", flat=True)) == {unit.pk}
    client = Client()
    client.force_login(admin)
    with_second_factor(client, admin)
    page = client.get("/assets/smintio/").content.decode()
    assert "Nordlicht Medien GmbH" in page and MAGAZINE_LICENSEE in page
    assert "Nordlicht Energie AG" in page
    licensee_map(licensee_uuid=MAGAZINE_LICENSEE, unit=other_unit, actor=admin)
    page = client.get("/assets/smintio/").content.decode()
    assert "Nordlicht Medien GmbH" not in page, "named once mapped"


def test_only_administrators_map_licensees_and_a_bad_uuid_is_refused(
    unit: BusinessUnit, compliance_officer: Any, admin: User
) -> None:
    with pytest.raises(PermissionDenied):
        licensee_map(licensee_uuid=MAGAZINE_LICENSEE, unit=unit, actor=compliance_officer)
    with pytest.raises(ValidationError):
        licensee_map(licensee_uuid="<script>", unit=unit, actor=admin)
    assert not LicenseeUnit.objects.exists()
    assert not AuditEvent.objects.filter(action="smintio.licensee_mapped").exists()


def test_the_admin_maps_a_licensee_through_the_audited_service(
    unit: BusinessUnit, other_unit: BusinessUnit, admin: User, client_for: Callable[[Any], Client]
) -> None:
    client = with_second_factor(client_for(admin), admin)
    path = "/admin/assets/licenseeunit/add/"
    answer = client.post(path, {"licensee_uuid": MAGAZINE_LICENSEE, "business_unit": unit.pk})
    assert answer.status_code == 302
    mapping = LicenseeUnit.objects.get()
    change = f"/admin/assets/licenseeunit/{mapping.pk}/change/"
    client.post(change, {"licensee_uuid": MAGAZINE_LICENSEE, "business_unit": other_unit.pk})
    assert LicenseeUnit.objects.get().business_unit == other_unit
    assert AuditEvent.objects.filter(action="smintio.licensee_mapped").count() == 2
