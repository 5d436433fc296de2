"""The platform's management commands: idempotent, audited, and strict about names."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from assets.models import Asset, CriteriaRuleSet, Version
from audit.models import AuditEvent
from console.demo import DEMO_CHECKLIST
from govern.models import ApiKey, BusinessUnit, BusinessUnitUserObjectPermission, hash_api_key
from govern.roles import GROUP_PERMISSIONS, Role
from templates_app.models import Composition, Template


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def role_grants(username: str) -> set[tuple[str, str]]:
    return set(
        BusinessUnitUserObjectPermission.objects.filter(user__username=username).values_list(
            "permission__codename", "content_object__slug"
        )
    )


@pytest.mark.django_db
def test_bootstrap_creates_each_role_group_with_its_permissions_twice_over() -> None:
    run("bootstrap")
    run("bootstrap")
    assert Group.objects.count() == len(Role)
    auditor = Group.objects.get(name="auditor")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in auditor.permissions.all()}
    assert held == set(GROUP_PERMISSIONS[Role.AUDITOR])


@pytest.mark.django_db
def test_grant_role_creates_the_user_and_grants_the_role_once(
    roles: None, unit: BusinessUnit
) -> None:
    first = run("grant_role", "nina", "compliance_officer", "insurance-de", "--password", "pw-1!x")
    second = run("grant_role", "nina", "compliance_officer", "insurance-de")
    assert "Created user nina" in first and "now holds" in first
    assert "already held" in second
    nina = User.objects.get(username="nina")
    assert nina.check_password("pw-1!x")
    assert nina.groups.filter(name="compliance_officer").exists()
    assert role_grants("nina") == {("compliance_officer", "insurance-de")}
    granted = AuditEvent.objects.filter(action="role.granted", data__username="nina")
    assert granted.count() == 1
    assert granted.get().business_unit_id == unit.pk


@pytest.mark.django_db
def test_grant_role_prints_a_generated_password_for_a_new_user(
    roles: None, unit: BusinessUnit
) -> None:
    output = run("grant_role", "nina", "auditor", "insurance-de")
    password = output.split("with password: ")[1].split()[0]
    assert User.objects.get(username="nina").check_password(password)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "unit_slug", "message"),
    [
        ("overlord", "insurance-de", "Unknown role 'overlord'"),
        ("auditor", "nowhere", "Unknown business unit 'nowhere'"),
    ],
)
def test_grant_role_with_unknown_names_fails_and_changes_nothing(
    roles: None, unit: BusinessUnit, role: str, unit_slug: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run("grant_role", "nina", role, unit_slug)
    assert not User.objects.filter(username="nina").exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_revoke_role_removes_the_grant_and_the_group_and_is_audited(
    roles: None, unit: BusinessUnit, other_unit: BusinessUnit
) -> None:
    run("grant_role", "nina", "auditor", "insurance-de", "--password", "x-pw-1")
    run("grant_role", "nina", "auditor", "banking-uk")
    run("revoke_role", "nina", "auditor", "insurance-de")
    nina = User.objects.get(username="nina")
    assert role_grants("nina") == {("auditor", "banking-uk")}
    assert nina.groups.filter(name="auditor").exists(), "still an auditor in banking-uk"
    run("revoke_role", "nina", "auditor", "banking-uk")
    assert not nina.groups.filter(name="auditor").exists()
    assert AuditEvent.objects.filter(action="role.revoked").count() == 2
    assert "did not hold" in run("revoke_role", "nina", "auditor", "banking-uk")


@pytest.mark.django_db
def test_revoke_role_of_an_unknown_user_fails(roles: None, unit: BusinessUnit) -> None:
    with pytest.raises(CommandError, match="Unknown user 'ghost'"):
        run("revoke_role", "ghost", "auditor", "insurance-de")


@pytest.mark.django_db
def test_create_api_key_prints_a_key_once_and_stores_only_its_hash(
    roles: None, unit: BusinessUnit
) -> None:
    output = run("create_api_key", "exstream-prod", "--unit", "insurance-de")
    raw_key = output.strip().splitlines()[-1]
    api_key = ApiKey.objects.get(name="exstream-prod")
    assert raw_key.startswith("gvk_") and raw_key not in api_key.key_hash
    assert api_key.key_hash == hash_api_key(raw_key)
    assert list(api_key.units.values_list("slug", flat=True)) == ["insurance-de"]
    assert not api_key.user.has_usable_password()
    assert role_grants("exstream-prod") == {("integration", "insurance-de")}
    again = run("create_api_key", "exstream-prod", "--unit", "insurance-de")
    assert "already active" in again and raw_key not in again
    assert ApiKey.objects.count() == 1
    assert AuditEvent.objects.filter(action="api_key.created").count() == 1


@pytest.mark.django_db
def test_create_api_key_with_rotate_revokes_the_old_key(roles: None, unit: BusinessUnit) -> None:
    run("create_api_key", "exstream-prod", "--unit", "insurance-de")
    run("create_api_key", "exstream-prod", "--unit", "insurance-de", "--rotate")
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 1
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action="api_key.revoked").count() == 1


@pytest.mark.django_db
def test_create_api_key_refuses_a_persons_name(roles: None, unit: BusinessUnit) -> None:
    User.objects.create_user("bella", password="a-real-password")
    with pytest.raises(CommandError, match="person's account"):
        run("create_api_key", "bella", "--unit", "insurance-de")
    assert not ApiKey.objects.exists()
    assert not role_grants("bella")


@pytest.mark.django_db
def test_revoke_api_key_revokes_and_audits(roles: None, unit: BusinessUnit) -> None:
    run("create_api_key", "exstream-prod", "--unit", "insurance-de")
    run("revoke_api_key", "exstream-prod")
    assert ApiKey.objects.get().revoked_at is not None
    with pytest.raises(CommandError, match="No active API key"):
        run("revoke_api_key", "exstream-prod")


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_gives_one_person_per_role() -> None:
    first = run("seed_demo", "--password", "demo-pass-123")
    run("seed_demo")
    assert "bella" in first and "demo-pass-123" in first
    assert set(BusinessUnit.objects.values_list("slug", flat=True)) == {
        "insurance-de",
        "banking-uk",
    }
    held = set(
        BusinessUnitUserObjectPermission.objects.values_list("permission__codename", flat=True)
    )
    assert held == set(Role.values) - {Role.INTEGRATION.value}
    assert BusinessUnitUserObjectPermission.objects.count() == 10
    assert User.objects.get(username="colin").check_password("demo-pass-123")
    assert Asset.objects.count() == 8, "four assets per unit, created once"
    assert Version.objects.filter(state="approved").count() == 6
    assert Version.objects.filter(state="in_review").count() == 6
    assert Template.objects.count() == 10 and Composition.objects.count() == 4
    assert Version.objects.filter(purchase__isnull=False).count() == 4, "two licensed per unit"
    checklists = CriteriaRuleSet.objects.filter(kind="product_image", business_unit__isnull=False)
    assert [r.checklist for r in checklists] == [DEMO_CHECKLIST] * 2, "one per unit, seeded once"


@pytest.mark.django_db
def test_install_schedules_installs_each_schedule_once() -> None:
    from django_q.models import Schedule

    run("install_schedules")
    run("install_schedules")
    assert set(Schedule.objects.values_list("name", "func")) == {
        ("worker-heartbeat", "govern.tasks.heartbeat"),
        ("drain-deliveries", "templates_app.tasks.drain_deliveries"),
        ("campaign-tick", "templates_app.tasks.move_campaigns"),
        ("exstream-import", "templates_app.tasks.import_templates"),
        ("exstream-cross-check", "templates_app.tasks.cross_check_exstream"),
        ("usage-inbox", "usage.tasks.import_usage_inbox"),
        ("usage-partitions", "usage.tasks.make_partitions"),
        ("smintio-sync", "assets.tasks.smintio_sync_task"),
        ("licence-expiry", "assets.tasks.licences_expire"),
        ("licence-expiry-warnings", "templates_app.tasks.warn_of_expiry"),
        ("notification-digest", "govern.notify.send_digests"),
        ("review-overdue", "assets.due.escalate"),
        ("audit-checkpoint", "audit.tasks.write_checkpoint"),
        ("usage-samples", "usage.tasks.read_samples"),
    }


@pytest.mark.django_db
def test_grant_role_makes_an_installation_wide_auditor_and_refuses_mixed_forms(
    roles: None,
) -> None:
    from django.contrib.auth import get_user_model

    out = StringIO()
    call_command("grant_role", "ines", "auditor", "--installation", stdout=out)
    assert "ines now holds auditor for the whole installation" in out.getvalue()
    assert get_user_model().objects.get(username="ines").has_perm("audit.view_installation_events")
    with pytest.raises(CommandError, match="Only auditors"):
        call_command("grant_role", "ines", "brand_manager", "--installation")
    with pytest.raises(CommandError, match="Name a unit"):
        call_command("grant_role", "ines", "auditor")
