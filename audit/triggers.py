"""Database triggers that make the audit table append-only on SQLite and PostgreSQL."""

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"
MESSAGE = "audit_auditevent is append-only"

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update",
    "DROP TRIGGER IF EXISTS audit_no_delete",
]
POSTGRESQL_CREATE = [
    "CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
    f"DROP TRIGGER IF EXISTS audit_no_change ON {TABLE}",
    f"CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_reject_change()",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
    f"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change()",
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS audit_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
]

STATEMENTS = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRESQL_CREATE, POSTGRESQL_DROP),
}


def _run(connection: BaseDatabaseWrapper, index: int) -> None:
    statements = STATEMENTS.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"No audit triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for sql in statements[index]:
            cursor.execute(sql)


def install(connection: BaseDatabaseWrapper) -> None:
    """Reject UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the audit table."""
    _run(connection, 0)


def remove(connection: BaseDatabaseWrapper) -> None:
    _run(connection, 1)


EXPECTED = {
    "sqlite": {"audit_no_update", "audit_no_delete"},
    "postgresql": {"audit_no_change", "audit_no_truncate"},
}
PRESENT = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
    # A disabled trigger (ALTER TABLE ... DISABLE TRIGGER) protects nothing: it counts as missing.
    "postgresql": "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
    "AND NOT tgisinternal AND tgenabled <> 'D'",
}


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """Return the names of the append-only triggers that are absent or disabled."""
    expected = EXPECTED.get(connection.vendor)
    if expected is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(PRESENT[connection.vendor], [TABLE])
        present = {row[0] for row in cursor.fetchall()}
    return sorted(expected - present)
