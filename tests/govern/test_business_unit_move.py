"""The business unit moved from assets to govern in state only: a database migrated before the
move keeps its units, grants and role permissions, and they resolve through govern's models."""

from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from govern.access import user_can
from govern.models import BusinessUnit, BusinessUnitUserObjectPermission
from govern.roles import Capability, Role
from govern.services import role_permission

BEFORE_THE_MOVE = [
    ("assets", "0012_annotations"),
    ("govern", "0004_notification_preferences"),
    ("audit", "0003_installation_events"),
    ("templates_app", "0008_campaigns"),
    ("usage", "0002_limit_keys"),
]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def grant_before_the_move(apps: Any) -> tuple[int, int]:
    """Write a unit and an officer's grant the way a database at the old head held them."""
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="assets", model="businessunit"
    )[0]
    permission = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type,
        codename=Role.COMPLIANCE_OFFICER.value,
        defaults={"name": "Compliance officer in this unit"},
    )[0]
    unit = apps.get_model("assets", "BusinessUnit").objects.create(name="Old DE", slug="old-de")
    officer = apps.get_model("auth", "User").objects.create(username="old-officer")
    apps.get_model("assets", "BusinessUnitUserObjectPermission").objects.create(
        user=officer, permission=permission, content_object=unit
    )
    return unit.pk, officer.pk


def test_grants_written_before_the_move_resolve_after_it(transactional_db: None) -> None:
    ContentType.objects.clear_cache()
    apps = migrate(BEFORE_THE_MOVE)
    assert not ContentType.objects.filter(app_label="govern", model="businessunit").exists()
    unit_id, officer_id = grant_before_the_move(apps)

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    unit = BusinessUnit.objects.get(pk=unit_id)
    officer = User.objects.get(pk=officer_id)
    assert unit.slug == "old-de"
    assert user_can(officer, Capability.DECIDE_VERSIONS, unit.pk)
    grant = BusinessUnitUserObjectPermission.objects.get(user=officer)
    assert grant.permission == role_permission(Role.COMPLIANCE_OFFICER)
    assert not ContentType.objects.filter(app_label="assets", model="businessunit").exists()
    assert ContentType.objects.get_for_model(BusinessUnit).app_label == "govern"
