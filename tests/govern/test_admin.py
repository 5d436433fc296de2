"""Admin screens grant roles and issue API keys through the audited services."""

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from audit.models import AuditEvent
from govern.models import ApiKey, BusinessUnit, BusinessUnitUserObjectPermission, hash_api_key
from tests.conftest import with_second_factor


@pytest.fixture
def admin_client_for_superuser(roles: None) -> tuple[Client, Any]:
    admin = User.objects.create_superuser("root", "root@example.com", "root-pass-123")
    client = Client()
    client.force_login(admin)
    return with_second_factor(client, admin), admin


def test_admin_grants_a_role_and_the_grant_is_audited(
    admin_client_for_superuser: tuple[Client, Any], unit: BusinessUnit
) -> None:
    client, admin = admin_client_for_superuser
    person = User.objects.create_user("nina", password="pw-pw-pw-1")
    response = client.post(
        "/admin/govern/businessunituserobjectpermission/add/",
        {"user": person.pk, "content_object": unit.pk, "role": "auditor"},
    )
    assert response.status_code == 302, response.content
    grant = BusinessUnitUserObjectPermission.objects.get(user=person)
    assert (grant.permission.codename, grant.content_object) == ("auditor", unit)
    assert person.groups.filter(name="auditor").exists()
    event = AuditEvent.objects.get(action="role.granted", data__username="nina")
    assert event.actor_id == admin.pk


def test_admin_deleting_a_grant_revokes_the_role(
    admin_client_for_superuser: tuple[Client, Any], auditor: Any
) -> None:
    client, _admin = admin_client_for_superuser
    grant = BusinessUnitUserObjectPermission.objects.get(user=auditor)
    response = client.post(
        f"/admin/govern/businessunituserobjectpermission/{grant.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not BusinessUnitUserObjectPermission.objects.filter(user=auditor).exists()
    assert not auditor.groups.filter(name="auditor").exists()
    assert AuditEvent.objects.filter(action="role.revoked", data__username="audrey").exists()


def test_admin_issues_an_api_key_shown_once(
    admin_client_for_superuser: tuple[Client, Any], unit: BusinessUnit
) -> None:
    client, _admin = admin_client_for_superuser
    response = client.post(
        "/admin/govern/apikey/add/", {"name": "exstream-prod", "units": [unit.pk]}, follow=True
    )
    shown = [str(m) for m in response.context["messages"] if "shown once" in str(m)]
    assert len(shown) == 1
    raw_key = shown[0].rsplit(": ", 1)[1]
    api_key = ApiKey.objects.get()
    assert api_key.key_hash == hash_api_key(raw_key)
    assert list(api_key.units.all()) == [unit]
    assert raw_key not in client.get(f"/admin/govern/apikey/{api_key.pk}/change/").content.decode()


def test_admin_refuses_an_api_key_named_after_a_person(
    admin_client_for_superuser: tuple[Client, Any], unit: BusinessUnit
) -> None:
    client, _admin = admin_client_for_superuser
    response = client.post("/admin/govern/apikey/add/", {"name": "root", "units": [unit.pk]})
    assert response.status_code == 200
    assert "is a person&#x27;s account" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_admin_revoke_action_revokes_and_audits(
    admin_client_for_superuser: tuple[Client, Any], integration_key: str
) -> None:
    client, admin = admin_client_for_superuser
    api_key = ApiKey.objects.get()
    client.post(
        "/admin/govern/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert AuditEvent.objects.get(action="api_key.revoked").actor_id == admin.pk


@pytest.mark.django_db
def test_groups_exist_only_after_bootstrap_and_carry_the_role_permission_names() -> None:
    assert not Group.objects.exists()
    codenames = set(
        Permission.objects.filter(content_type__app_label="govern").values_list(
            "codename", flat=True
        )
    )
    assert {"brand_manager", "compliance_officer", "auditor", "integration"} <= codenames
