"""Accounts are made by one audited service, whichever command or key asks for them."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from govern.models import BusinessUnit
from govern.services import api_key_create, user_create
from tests.govern.test_commands import run


@pytest.mark.django_db
def test_grant_role_creates_the_person_through_the_audited_service(
    roles: None, unit: BusinessUnit
) -> None:
    run("grant_role", "nina", "auditor", "insurance-de", "--password", "pw-1!xyz")
    nina = User.objects.get(username="nina")
    event = AuditEvent.objects.get(action="user.created")
    assert (event.target_type, event.target_id) == ("auth.user", str(nina.pk))
    assert event.data == {"username": "nina", "can_log_in": True}
    assert "pw-1!xyz" not in str(event.data)
    run("grant_role", "nina", "brand_manager", "insurance-de")
    assert AuditEvent.objects.filter(action="user.created").count() == 1


@pytest.mark.django_db
def test_seed_demo_creates_its_people_audited_and_audits_a_password_reset(roles: None) -> None:
    run("seed_demo", "--password", "demo-pass-123")
    created = set(
        AuditEvent.objects.filter(action="user.created").values_list("data__username", flat=True)
    )
    assert {"bella", "colin", "carla", "dana", "audrey"} <= created
    assert not AuditEvent.objects.filter(action="user.password_set").exists()
    run("seed_demo", "--reset-passwords", "--password", "demo-pass-456")
    reset = AuditEvent.objects.filter(action="user.password_set")
    assert {"bella", "colin", "carla", "dana", "audrey"} <= {e.data["username"] for e in reset}
    assert User.objects.get(username="bella").check_password("demo-pass-456")


@pytest.mark.django_db
def test_an_integration_account_is_created_audited_and_cannot_log_in(
    roles: None, unit: BusinessUnit
) -> None:
    api_key, _raw = api_key_create(name="exstream-prod", units=[unit], actor=None)
    assert not api_key.user.has_usable_password()
    event = AuditEvent.objects.get(action="user.created")
    assert event.data == {"username": "exstream-prod", "can_log_in": False}


@pytest.mark.django_db
def test_a_taken_name_changes_nothing_and_a_bad_name_is_refused() -> None:
    first, created = user_create(username="nina", password="pw-1!xyz", actor=None)
    again, created_again = user_create(username="nina", password="other-pw!", actor=None)
    assert created and not created_again and again == first
    assert again.check_password("pw-1!xyz")
    with pytest.raises(ValidationError):
        user_create(username="ni na", password="pw-1!xyz", actor=None)
    assert list(User.objects.values_list("username", flat=True)) == ["nina"]
    assert AuditEvent.objects.filter(action="user.created").count() == 1
