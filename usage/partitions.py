"""Usage records by month on PostgreSQL: one partition per calendar month (UTC) of started_at.

A partition is created as a plain table and then attached: attaching locks the parent only
against other schema changes (SHARE UPDATE EXCLUSIVE), so readers and writers of other months
go on. Partitions are made ahead by a daily schedule (`usage.tasks.make_partitions`), and an
ingest makes any month it needs and lacks (a backfill of old runs), so a record never fails
for want of one. SQLite keeps one plain table; everything here does nothing there.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.db import connection, transaction

from usage.models import UsageRecord

TABLE = UsageRecord._meta.db_table
# Months made ahead of today by the schedule.
AHEAD = 3
# Serialises the check-and-attach between ingests and the schedule (any constant number).
LOCK = 7_305_442_118


def partitioned() -> bool:
    """Say whether usage records are partitioned here (PostgreSQL, after the migration)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [TABLE])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def month_of(moment: datetime) -> date:
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def name_of(month: date) -> str:
    return f"{TABLE}_y{month.year:04}m{month.month:02}"


def attached() -> set[str]:
    """Return the names of the partitions attached to the records table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class parent ON parent.oid = inhparent"
            " JOIN pg_class child ON child.oid = inhrelid WHERE parent.relname = %s",
            [TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def months_ensure(months: Iterable[date]) -> list[str]:
    """Create and attach the partitions of these months that are missing; return their names."""
    wanted = sorted(set(months))
    if not wanted or not partitioned():
        return []
    made = []
    with transaction.atomic(), connection.cursor() as cursor:
        present = attached()
        if all(name_of(month) in present for month in wanted):
            return []
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        present = attached()  # another ingest may have made some meanwhile
        for month in wanted:
            name = name_of(month)
            if name in present:
                continue
            start, end = (
                datetime.combine(day, datetime.min.time(), UTC) for day in (month, _next(month))
            )
            cursor.execute(
                f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
            )
            cursor.execute(
                f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" '  # noqa: S608 - fixed names
                "FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )
            made.append(name)
    return made


def partitions_ahead(today: datetime) -> list[str]:
    """Make this month's partition and those of the AHEAD months after it."""
    month = month_of(today)
    months = [month]
    for _ in range(AHEAD):
        months.append(_next(months[-1]))
    return months_ensure(months)
