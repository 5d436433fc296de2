"""With the database owner separated from the application's role (README, Audit log), the
application cannot drop, disable or bypass the audit triggers, nor rewrite rows without them."""

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection, transaction

from audit import triggers
from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]
APP_ROLE = "govern_ci_app"  # CI creates it (NOLOGIN) and lets the test role act as it


def execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _role_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        return cursor.fetchone() is not None


@pytest.fixture
def as_app_role() -> Iterator[None]:
    """Act as a role granted only row rights, as production's app role is."""
    if not _role_exists():
        try:
            with transaction.atomic():
                execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")  # rolled back with the test
        except DatabaseError:
            pytest.skip(f"role {APP_ROLE} is missing and this role may not create it")
    execute(f"GRANT SELECT, INSERT ON {triggers.TABLE} TO {APP_ROLE}")
    execute(f"SET ROLE {APP_ROLE}")
    yield
    execute("RESET ROLE")


def refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        execute(sql)
    return str(raised.value)


def test_the_app_role_appends_but_cannot_touch_the_triggers_or_the_rows(
    as_app_role: None,
) -> None:
    event = audit_record(action="test.as_app")  # the advisory lock and INSERT work
    assert "must be owner" in refused(f"DROP TRIGGER audit_no_change ON {triggers.TABLE}")
    assert "must be owner" in refused(
        f"ALTER TABLE {triggers.TABLE} DISABLE TRIGGER audit_no_change"
    )
    assert "permission denied" in refused(f"TRUNCATE {triggers.TABLE}")
    assert "permission denied" in refused(f"UPDATE {triggers.TABLE} SET action = 'x'")
    execute("RESET ROLE")
    assert triggers.missing(connection) == []
    assert AuditEvent.objects.get(sequence=event.sequence).action == "test.as_app"
