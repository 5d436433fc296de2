"""Usage CSV files on PostgreSQL: COPY into a staging table, checked in sets, moved in one INSERT.

The file goes into a temporary (unlogged, dropped at commit) table with COPY as it is. What
repeats is checked once per distinct value, by the same functions that check a line: run headers
per distinct header, contexts (version, sha256, channel, region, language, segment) per distinct
context. Counts are checked in SQL, in the one query that also sums each run's content hash
(`usage.reports.context_words`). Records then move into usage records with one INSERT ... SELECT.

Anything the sets cannot vouch for (a line COPY cannot read, a bad value, a count not written as
a plain number, a run whose lines disagree) raises NeedsLines: the caller reads the file line by
line instead, which names every bad line and field exactly as on SQLite, or stores the file if
the doubt was only a matter of form (a count written "+5"). Both paths store the same records
with the same content hash.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.db import DataError, connection, transaction

from govern.errors import RequestRejected
from usage.models import UsageRecord
from usage.reports import (
    HEADER_FIELDS,
    MAX_COUNT,
    RECORD_FIELDS,
    RecordLine,
    ReportError,
    RunDigest,
    RunHeader,
    context_words,
    parse_header,
    parse_record,
)
from usage.services import DUPLICATE, DUPLICATE_ERRORS, FreshRun, RecordWriter, version_of

COLUMNS = (*HEADER_FIELDS, *RECORD_FIELDS)
CONTEXT = ("version", "sha256", "channel", "region", "language", "segment")
COUNTS = ("documents", "pages", "impressions")
# More distinct run headers than this is no production file: read it line by line.
MAX_HEADERS = 10_000
BATCH = 5_000
CHUNK = 1 << 20


class NeedsLines(Exception):
    """The staged file holds something only the line-by-line reader can name or vouch for."""


@dataclass
class StagedFile:
    """A file checked in staging: each run's digest, and what the INSERT needs."""

    digests: list[RunDigest]
    documents: dict[str, int]
    # (version, sha256) pairs as the lines name them.
    contents: set[tuple[int | None, str]] = field(default_factory=set)


def supported() -> bool:
    return connection.vendor == "postgresql"


def stage(path: Path, columns: list[str]) -> StagedFile:
    """COPY the file into staging and check it; raise NeedsLines for anything in doubt.

    Call inside a transaction: the staging tables are dropped at its commit.
    """
    with connection.cursor() as cursor:
        _copy_in(cursor, path, columns)
        headers = _headers(cursor)
        contents = _contexts(cursor)
        digests, documents = _digests(cursor, headers)
    for digest in digests:
        digest.versions = {version for version, _sha in contents if version is not None}
        digest.sha256s = {sha256 for version, sha256 in contents if version is None}
    return StagedFile(digests, documents, contents)


def _copy_in(cursor: Any, path: Path, columns: list[str]) -> None:
    listed = ", ".join(columns)
    cursor.execute(
        "DROP TABLE IF EXISTS usage_staging, usage_staging_contexts, usage_staging_runs,"
        " usage_staging_map; CREATE TEMPORARY TABLE usage_staging ("
        + ", ".join(f"{name} text NOT NULL DEFAULT ''" for name in COLUMNS)
        + ") ON COMMIT DROP"
    )
    command = (
        f"COPY usage_staging ({listed}) FROM STDIN "  # noqa: S608 - names from COLUMNS
        f"WITH (FORMAT csv, HEADER match, FORCE_NOT_NULL ({listed}))"
    )
    try:
        with transaction.atomic(), cursor.copy(command) as copy, path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                copy.write(chunk)
    except (psycopg.DataError, psycopg.errors.ProgramLimitExceeded) as error:
        raise NeedsLines(str(error)) from None


def _headers(cursor: Any) -> dict[str, RunHeader]:
    """Check each distinct run header once; return the header of each run id."""
    names = ", ".join(HEADER_FIELDS)
    cursor.execute(
        f"SELECT {names} FROM usage_staging GROUP BY {names} LIMIT {MAX_HEADERS + 1}"  # noqa: S608
    )
    rows = cursor.fetchall()
    if len(rows) > MAX_HEADERS:
        raise NeedsLines("too many distinct runs")
    headers: dict[str, RunHeader] = {}
    for values in rows:
        try:
            header = parse_header(dict(zip(HEADER_FIELDS, values, strict=True)))
        except ReportError as error:
            raise NeedsLines(str(error)) from None
        if headers.setdefault(header.run_id, header) != header:
            raise NeedsLines(f"run {header.run_id}: lines differ")
        if header.run_id != values[0]:  # written with spaces around it: the lines say how
            raise NeedsLines("run id not as written")
    return headers


def _contexts(cursor: Any) -> set[tuple[int | None, str]]:
    """Check each distinct context once into usage_staging_contexts, with its hash words."""
    cursor.execute(
        "CREATE TEMPORARY TABLE usage_staging_contexts ("
        + ", ".join(f"raw_{name} text NOT NULL" for name in CONTEXT)
        + ", version bigint, sha256 text NOT NULL, channel text NOT NULL, region text NOT NULL,"
        " language text NOT NULL, segment text NOT NULL, reported text NOT NULL,"
        " w0 bigint NOT NULL, w1 bigint NOT NULL, w2 bigint NOT NULL, w3 bigint NOT NULL"
        ") ON COMMIT DROP"
    )
    contents: set[tuple[int | None, str]] = set()
    names = ", ".join(CONTEXT)
    query = f"SELECT {names} FROM usage_staging GROUP BY {names}"  # noqa: S608 - fixed names
    with connection.connection.cursor("usage_staging_contexts") as distinct:
        distinct.itersize = BATCH
        distinct.execute(query)
        rows: list[tuple[Any, ...]] = []
        for values in distinct:
            line = _context_line(values)
            contents.add((line.version, line.sha256))
            rows.append(
                (
                    *values,
                    *line.canonical()[:6],
                    line.reported,
                    *context_words(*line.canonical()[:6]),
                )
            )
            if len(rows) >= BATCH:
                _write_contexts(cursor, rows)
                rows = []
        _write_contexts(cursor, rows)
    return contents


def _context_line(values: Iterable[Any]) -> RecordLine:
    try:
        return parse_record({**dict(zip(CONTEXT, values, strict=True)), **dict.fromkeys(COUNTS, 0)})
    except ReportError as error:
        raise NeedsLines(str(error)) from None


def _write_contexts(cursor: Any, rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy("COPY usage_staging_contexts FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


CONTEXT_JOIN = " AND ".join(f"c.raw_{name} = s.{name}" for name in CONTEXT)
# A count is vouched for here only when written as PostgreSQL writes it back (no sign, spaces,
# leading zeros) and in range: anything else goes to the line-by-line reader, which decides.
DIGESTS = f"""
SELECT s.run_id, count(*),
       sum(c.w0 + c.w1::numeric * s.documents::bigint + c.w2::numeric * s.pages::bigint
           + c.w3::numeric * s.impressions::bigint),
       sum(s.documents::bigint),
       bool_or({
    " OR ".join(
        f"s.{name}::bigint::text <> s.{name} OR s.{name}::bigint NOT BETWEEN 0 AND {MAX_COUNT}"
        for name in COUNTS
    )
})
FROM usage_staging s JOIN usage_staging_contexts c ON {CONTEXT_JOIN}
GROUP BY s.run_id
"""  # noqa: S608 - fixed names


def _joined(cursor: Any, statement: str) -> list[tuple[Any, ...]]:
    """Run a statement that joins staged lines to their contexts, by hashing the contexts.

    The planner, which knows neither table, otherwise sorts a million lines to merge them.
    """
    cursor.execute("SET LOCAL enable_mergejoin = off; SET LOCAL work_mem = '256MB'")
    cursor.execute(statement)
    rows = cursor.fetchall() if cursor.description else []
    cursor.execute("RESET enable_mergejoin; RESET work_mem")
    return rows


def _digests(cursor: Any, headers: dict[str, RunHeader]) -> tuple[list[RunDigest], dict[str, int]]:
    try:
        with transaction.atomic():
            cursor.execute("ANALYZE usage_staging, usage_staging_contexts")
            rows = _joined(cursor, DIGESTS)
    except (DataError, psycopg.DataError) as error:  # a count that is no number, or past bigint
        raise NeedsLines(str(error)) from None
    digests, documents = [], {}
    for run_id, records, total, run_documents, doubtful in rows:
        if doubtful:
            raise NeedsLines(f"run {run_id}: a count in another form")
        digests.append(RunDigest(headers[run_id], total=int(total), records=records))
        documents[run_id] = int(run_documents)
    return digests, documents


INSERT = f"""
INSERT INTO {UsageRecord._meta.db_table} (
    run_id, template_id, business_unit_id, started_at, reported, asset_id, version_id, sha256,
    channel, region, language, segment, documents, pages, impressions)
SELECT r.run, r.template_id, r.business_unit_id, r.started_at, c.reported, m.asset_id,
       m.version_id, m.sha256, c.channel, c.region, c.language, c.segment,
       s.documents::bigint, s.pages::bigint, s.impressions::bigint
FROM usage_staging s
JOIN usage_staging_runs r ON r.run_id = s.run_id
JOIN usage_staging_contexts c ON {CONTEXT_JOIN}
JOIN usage_staging_map m ON m.business_unit_id = r.business_unit_id
    AND m.reported = c.reported AND m.line_sha256 = c.sha256
"""  # noqa: S608 - fixed names


class StagedWriter(RecordWriter):
    """Move the staged records of the fresh runs into usage records in one statement."""

    def __init__(self, staged: StagedFile) -> None:
        self.staged = staged

    def write(self, fresh: dict[str, FreshRun]) -> None:
        with connection.cursor() as cursor:
            self._runs(cursor, fresh)
            self._map(cursor, fresh)
            # Unanalysed, they looked empty to the planner, which then hashed every run with
            # every context (a million rows) before it read a line: a third longer.
            cursor.execute("ANALYZE usage_staging_runs, usage_staging_map")
            try:
                with transaction.atomic():
                    _joined(cursor, INSERT)
            except DUPLICATE_ERRORS:
                raise RequestRejected(DUPLICATE, code="duplicate_record") from None
        for run_id, entry in fresh.items():
            entry.run.documents = self.staged.documents[run_id]
            entry.run.save(update_fields=["documents"])

    def _runs(self, cursor: Any, fresh: dict[str, FreshRun]) -> None:
        cursor.execute(
            "CREATE TEMPORARY TABLE usage_staging_runs (run_id text PRIMARY KEY, run bigint,"
            " template_id bigint, business_unit_id bigint, started_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy("COPY usage_staging_runs FROM STDIN") as copy:
            for run_id, entry in fresh.items():
                run = entry.run
                copy.write_row(
                    (run_id, run.pk, run.template_id, run.business_unit_id, run.started_at)
                )

    def _map(self, cursor: Any, fresh: dict[str, FreshRun]) -> None:
        """Write what each named content maps to in each unit (the same for a unit's runs)."""
        cursor.execute(
            "CREATE TEMPORARY TABLE usage_staging_map (business_unit_id bigint, reported text,"
            " line_sha256 text, asset_id bigint, version_id bigint, sha256 text) ON COMMIT DROP"
        )
        units = {entry.run.business_unit_id: entry for entry in fresh.values()}
        with cursor.copy("COPY usage_staging_map FROM STDIN") as copy:
            for unit_id, entry in units.items():
                for row in _mapped(entry, self.staged.contents):
                    copy.write_row((unit_id, *row))


def _mapped(entry: FreshRun, contents: set[tuple[int | None, str]]) -> Iterator[tuple[Any, ...]]:
    for version_id, sha256 in contents:
        line = RecordLine(version_id, sha256, "", "", "", "", 0, 0, 0)
        version = version_of(entry, line)
        yield (
            line.reported,
            sha256,
            version.variant.asset_id if version else None,
            version.pk if version else None,
            sha256 or (version.sha256 if version else ""),
        )
