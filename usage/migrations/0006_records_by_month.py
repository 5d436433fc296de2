"""Usage records partitioned by month of started_at on PostgreSQL (usage/partitions.py).

The plain table is renamed, a partitioned one made like it, a partition attached for each month
its records fall in, the records copied over and the plain table dropped; its indexes and
unique constraints are then made again, by their own names, on the partitioned table. SQLite
keeps its plain table. Going back makes the plain table again the same way.
"""

# ruff: noqa: S608 - every name in this SQL is a fixed table name of this module
from django.db import migrations, models

TABLE = "usage_usagerecord"
PLAIN = f"{TABLE}_plain"


def _definitions(cursor):
    """Return the table's unique constraints and its other indexes, as SQL to make them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = %s AND c.contype = 'u'",
        [TABLE],
    )
    uniques = cursor.fetchall()
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [TABLE])
    skip = {name for name, _sql in uniques} | {f"{TABLE}_pkey"}
    indexes = [sql for name, sql in cursor.fetchall() if name not in skip]
    constraints = [f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" {sql}' for name, sql in uniques]
    return [*constraints, *indexes]


def _attach_months(cursor):
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', started_at AT TIME ZONE 'UTC') FROM \"{PLAIN}\""
    )
    for (month,) in cursor.fetchall():
        name = f"{TABLE}_y{month.year:04}m{month.month:02}"
        cursor.execute(
            f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM '
            f"(timestamp '{month:%Y-%m-%d}' AT TIME ZONE 'UTC') TO "
            f"((timestamp '{month:%Y-%m-%d}' + interval '1 month') AT TIME ZONE 'UTC')"
        )


def _rebuild(cursor, *, by_month):
    """Make the table again, partitioned by month or plain, with its records and indexes."""
    made_again = [sql.replace(" ON ONLY ", " ON ") for sql in _definitions(cursor)]
    cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{PLAIN}"')
    cursor.execute(f'ALTER TABLE "{PLAIN}" RENAME CONSTRAINT "{TABLE}_pkey" TO "{PLAIN}_pkey"')
    partitioning = " PARTITION BY RANGE (started_at)" if by_month else ""
    cursor.execute(
        f'CREATE TABLE "{TABLE}" (LIKE "{PLAIN}" INCLUDING DEFAULTS INCLUDING IDENTITY'
        f" INCLUDING CONSTRAINTS){partitioning}"
    )
    key = "id, started_at" if by_month else "id"
    cursor.execute(f'ALTER TABLE "{TABLE}" ADD PRIMARY KEY ({key})')
    if by_month:
        _attach_months(cursor)
    cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{PLAIN}"')
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('\"{TABLE}\"', 'id'), "
        f'COALESCE(MAX(id), 0) + 1, false) FROM "{TABLE}"'
    )
    cursor.execute(f'DROP TABLE "{PLAIN}" CASCADE')
    for sql in made_again:
        cursor.execute(sql)


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, by_month=True)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, by_month=False)


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0018_signature_authentication"),
        ("govern", "0014_passkeys"),
        ("templates_app", "0013_template_unit_index_covered"),
        ("usage", "0005_records_without_row_checks"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="usagerecord",
            name="one_record_per_run_version_context",
        ),
        migrations.AddConstraint(
            model_name="usagerecord",
            constraint=models.UniqueConstraint(
                fields=(
                    *("run", "reported", "channel", "region", "language", "segment"),
                    "started_at",
                ),
                name="one_record_per_run_version_context",
            ),
        ),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
