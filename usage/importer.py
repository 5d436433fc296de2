"""Usage files: Govern's CSV and JSON lines, and Experience Insights events, read streaming.

A file is read twice and never held in memory: the first pass checks every line and builds each
run's digest, the second feeds the records to the ingestion service. A file with any bad line is
refused whole, naming the first MAX_PROBLEMS bad lines and their fields; nothing is stored.
Experience Insights events are one document each, so they are summed per run and context in
the first pass (memory grows with the number of contexts, not of events).
"""

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from govern.errors import Conflict, RequestRejected
from govern.export_jobs import file_hash
from templates_app.models import Template
from usage import staging
from usage.models import RunSource
from usage.reports import (
    HEADER_FIELDS,
    RECORD_FIELDS,
    RecordLine,
    ReportError,
    RunDigest,
    RunHeader,
    parse_header,
    parse_record,
)
from usage.services import IngestOutcome, RecordStream, RecordWriter, runs_ingest

FORMATS = ("csv", "jsonl", "xi")
CHANGED = "line 0: the file changed while it was read; drop it again once it is complete"
MAX_PROBLEMS = 100
# Names listed of a header's unknown columns (a header of ten million is refused in a line).
MAX_LISTED = 10
COLUMNS = (*HEADER_FIELDS, *RECORD_FIELDS)
# Experience Insights: the manifest metadata tags Govern reads from an event's `user` block.
XI_VERSIONS, XI_RUN, XI_CLEARANCE = "govern_versions", "govern_run_id", "govern_clearance"
XI_COUNTED = "Exstream-Generated"
XI_CHANNELS = {
    "application/pdf": "print",
    "application/postscript": "print",
    "application/vnd.afp": "print",
    "application/vnd.hp-pcl": "print",
    "message/rfc822": "email",
    "text/html": "email",
    "text/plain": "mobile",
    "application/json": "mobile",
}


class FileRefused(Exception):
    """A usage file that cannot be stored; problems are 'line N: field: text' lines."""

    def __init__(self, problems: list[str], status: int = 400) -> None:
        super().__init__(f"{len(problems)} problem(s), first: {problems[0]}")
        self.problems, self.status = problems, status


@dataclass
class Problems:
    lines: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, number: int, error: ReportError | str) -> None:
        self.count += 1
        if len(self.lines) >= MAX_PROBLEMS:
            return
        if isinstance(error, str):
            self.lines.append(f"line {number}: {error}")
        else:
            for name, text in error.problems.items():
                self.lines.append(f"line {number}: {name}: {text}")


@dataclass
class ImportResult:
    runs_created: int
    runs_unchanged: int
    records: int
    exceptions: int
    skipped_events: int = 0
    # "staged" when PostgreSQL's COPY path stored it, "lines" when read line by line.
    path: str = "lines"


def import_file(path: Path, file_format: str, *, actor: Any = None) -> ImportResult:
    """Check and store one usage file; raise FileRefused naming every bad line."""
    if file_format not in FORMATS:
        raise FileRefused([f"line 0: unknown format {file_format!r}; use {', '.join(FORMATS)}"])
    size = path.stat().st_size
    if size > settings.USAGE_MAX_BYTES:
        limit = settings.USAGE_MAX_BYTES // 1_000_000
        raise FileRefused([f"line 0: the file is {size:,} bytes; the limit is {limit} MB"], 413)
    if file_format == "xi":
        return _import_events(path, actor)
    if file_format == "csv" and staging.supported():
        columns = _csv_columns(path)
        if columns is not None:
            try:
                return _import_staged(path, columns, actor)
            except staging.NeedsLines:
                pass  # read line by line: that names each bad line, or stores it after all
    rows = _csv_rows if file_format == "csv" else _json_rows
    before = file_hash(path)
    digests = _first_pass(path, rows)
    return _store(path, list(digests.values()), lambda: _records(path, rows, before), actor)


def _csv_columns(path: Path) -> list[str] | None:
    """Return the columns of a CSV file's header row, or None when it has no good one."""
    try:
        names = next(csv.reader(_TextLines(path)), None)
    except (csv.Error, NotText):
        return None
    if not names or _columns_problem(names):
        return None
    return names


def _import_staged(path: Path, columns: list[str], actor: Any) -> ImportResult:
    """Store a CSV file through PostgreSQL's COPY and set-based checks (usage.staging)."""
    with transaction.atomic():
        staged = staging.stage(path, columns)
        result = _store(path, staged.digests, staging.StagedWriter(staged), actor)
    result.path = "staged"
    return result


def _store(
    path: Path,
    digests: list[RunDigest],
    records: RecordStream | RecordWriter,
    actor: Any,
    skipped: int = 0,
) -> ImportResult:
    if not digests:
        raise FileRefused(["line 0: the file holds no usage records"])
    try:
        outcome: IngestOutcome = runs_ingest(
            digests=digests,
            records=records,
            source=RunSource.FILE,
            actor=actor,
            templates=Template.objects.all(),
            file_name=path.name,
        )
    except RequestRejected as rejected:
        raise FileRefused([f"line 0: {rejected.detail}"], rejected.status) from None
    except Conflict as conflict:  # a run id reported before with other content
        raise FileRefused([f"line 0: {conflict.detail}"], 409) from None
    except ValidationError as invalid:  # an unknown template or clearance
        raise FileRefused([f"line 0: {text}" for text in invalid.messages]) from None
    return ImportResult(
        runs_created=len(outcome.created),
        runs_unchanged=len(outcome.unchanged),
        records=sum(run.record_count for run in outcome.created),
        exceptions=len(outcome.exceptions),
        skipped_events=skipped,
    )


RowReader = Callable[[Path, Problems], Iterator[tuple[int, dict[str, Any]]]]


class NotText(Exception):
    """A line of a usage file that is not UTF-8 text."""

    def __init__(self, number: int, error: UnicodeDecodeError, offset: int) -> None:
        super().__init__(f"is not UTF-8 text ({error.reason} at byte {offset + error.start})")
        self.number = number


class _TextLines:
    """The file's lines decoded; NotText names the first line that is not UTF-8."""

    def __init__(self, path: Path) -> None:
        self.path, self.number = path, 0

    def __iter__(self) -> Iterator[str]:
        offset = 0
        with self.path.open("rb") as handle:
            for raw in handle:
                self.number += 1
                try:
                    yield raw.decode("utf-8", errors="strict")
                except UnicodeDecodeError as error:
                    raise NotText(self.number, error, offset) from None
                offset += len(raw)


def _columns_problem(names: list[str]) -> str:
    """Return what is wrong with a header row, or ''."""
    unknown = [name for name in dict.fromkeys(names) if name not in COLUMNS]
    if unknown:
        listed = ", ".join(unknown[:MAX_LISTED])
        more = f" and {len(unknown) - MAX_LISTED:,} more" if len(unknown) > MAX_LISTED else ""
        return f"unknown column(s) {listed}{more}"
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        return f"column(s) {', '.join(twice)} given more than once"
    return ""


def _csv_rows(path: Path, problems: Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    lines = _TextLines(path)
    reader = csv.DictReader(lines)
    try:
        wrong = _columns_problem(list(reader.fieldnames or []))
        if wrong:
            problems.add(1, wrong)
            return
        for row in reader:
            if None in row:
                problems.add(reader.line_num, "more cells than columns")
                continue
            yield reader.line_num, row
    except csv.Error as error:  # a cell beyond the csv module's limit, a quote never closed
        problems.add(lines.number, f"is not readable CSV ({error}); reading stopped here")
    except NotText as error:
        problems.add(error.number, str(error))


def _json_rows(path: Path, problems: Problems) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        for number, line in enumerate(_TextLines(path), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except (ValueError, RecursionError):
                problems.add(number, "is not valid JSON")
                continue
            if not isinstance(value, dict):
                problems.add(number, "is not a JSON object")
                continue
            yield number, value
    except NotText as error:
        problems.add(error.number, str(error))


HeaderCache = dict[tuple[Any, ...], RunHeader]


def _split(row: dict[str, Any], headers: HeaderCache) -> tuple[RunHeader, RecordLine]:
    """Check one line; the run's fields, the same on most lines, are checked once each."""
    raw = tuple(row.get(name) for name in HEADER_FIELDS)
    record_part = {name: value for name, value in row.items() if name not in HEADER_FIELDS}
    problems: dict[str, str] = {}
    header = headers.get(raw)
    if header is None:
        try:
            header = parse_header({name: row[name] for name in HEADER_FIELDS if name in row})
            if len(headers) < 10_000:
                headers[raw] = header
        except ReportError as error:
            problems.update(error.problems)
    record = None
    try:
        record = parse_record(record_part)
    except ReportError as error:
        problems.update(error.problems)
    if problems or header is None or record is None:
        raise ReportError(problems)
    return header, record


def _first_pass(path: Path, rows: RowReader) -> dict[str, RunDigest]:
    """Check every line; return each run's digest, or raise FileRefused."""
    problems, digests, first_line = Problems(), dict[str, RunDigest](), dict[str, int]()
    headers: HeaderCache = {}
    for number, row in rows(path, problems):
        try:
            header, record = _split(row, headers)
        except ReportError as error:
            problems.add(number, error)
            continue
        digest = digests.setdefault(header.run_id, RunDigest(header))
        first_line.setdefault(header.run_id, number)
        if digest.header != header:
            problems.add(
                number,
                f"run {header.run_id}: the run's fields differ from line "
                f"{first_line[header.run_id]}",
            )
            continue
        digest.add(record)
    if problems.count:
        if problems.count > MAX_PROBLEMS:
            problems.lines.append(f"... and {problems.count - MAX_PROBLEMS} more problems")
        raise FileRefused(problems.lines)
    return digests


def _records(path: Path, rows: RowReader, checked: str) -> Iterator[tuple[str, RecordLine]]:
    """Read the file again, already checked, and yield (run id, record).

    A file that changed since the first pass is refused; raised while the records are being
    stored, that rolls back everything stored from it.
    """
    headers: HeaderCache = {}
    problems = Problems()
    try:
        for _number, row in rows(path, problems):
            header, record = _split(row, headers)
            yield header.run_id, record
    except ReportError:
        raise FileRefused([CHANGED]) from None
    if problems.count or file_hash(path) != checked:
        raise FileRefused([CHANGED])


def _import_events(path: Path, actor: Any) -> ImportResult:
    problems, runs, skipped = Problems(), _EventRuns(), 0
    for number, event in _json_rows(path, problems):
        try:
            if not runs.add(event):
                skipped += 1
        except ReportError as error:
            problems.add(number, error)
    if problems.count:
        raise FileRefused(problems.lines)
    digests = runs.digests()
    return _store(path, list(digests.values()), runs.records, actor, skipped)


class _EventRuns:
    """Experience Insights events summed per run and per version × context."""

    def __init__(self) -> None:
        self.headers: dict[str, RunHeader] = {}
        self.finished: dict[str, Any] = {}
        self.counts: dict[tuple[str, tuple[Any, ...]], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, event: dict[str, Any]) -> bool:
        """Count one event; return False for events that are no produced document."""
        envelope, job, user = (_block(event, name) for name in ("expctr", "exstreamJob", "user"))
        failed = str(job.get("status") or "").lower() in {"failed", "error"}
        if envelope.get("schemaType") != XI_COUNTED or failed:
            return False
        header = self._header(envelope, job, user)
        produced = parse_header({**header.canonical(), "finished_at": envelope.get("eventDate")})
        self.finished[header.run_id] = max(self.finished[header.run_id], produced.finished_at)
        for version in _versions(user.get(XI_VERSIONS)):
            record = parse_record(
                {
                    "version": version,
                    "channel": user.get("channel") or XI_CHANNELS.get(str(job.get("contentType"))),
                    "region": user.get("region"),
                    "language": user.get("language"),
                    "segment": user.get("segment"),
                    "documents": 1,
                    "pages": user.get("pages") or 0,
                    "impressions": 1,
                }
            )
            context = (record.version, record.channel, record.region, record.language)
            totals = self.counts[(header.run_id, (*context, record.segment))]
            totals[0], totals[1], totals[2] = totals[0] + 1, totals[1] + record.pages, totals[2] + 1
        return True

    def _header(
        self, envelope: dict[str, Any], job: dict[str, Any], user: dict[str, Any]
    ) -> RunHeader:
        """Return the run an event belongs to: named by Govern's tag, else by its job."""
        run_id = str(
            user.get(XI_RUN)
            or f"xi:{envelope.get('tenant', '')}:{job.get('communicationId', '')}:"
            f"{job.get('creationTime', '')}"
        )
        if run_id not in self.headers:
            started = job.get("creationTime")
            self.headers[run_id] = parse_header(
                {
                    "run_id": run_id,
                    "template": job.get("communicationId"),
                    "started_at": started,
                    "finished_at": started,
                    "clearance": user.get(XI_CLEARANCE),
                }
            )
            self.finished[run_id] = self.headers[run_id].finished_at
        return self.headers[run_id]

    def _lines(self) -> Iterator[tuple[str, RecordLine]]:
        for (run_id, context), (documents, pages, impressions) in self.counts.items():
            version, channel, region, language, segment = context
            yield (
                run_id,
                RecordLine(
                    version, "", channel, region, language, segment, documents, pages, impressions
                ),
            )

    def digests(self) -> dict[str, RunDigest]:
        digests = {
            run_id: RunDigest(replace(header, finished_at=self.finished[run_id]))
            for run_id, header in self.headers.items()
        }
        for run_id, line in self._lines():
            digests[run_id].add(line)
        return {run_id: digest for run_id, digest in digests.items() if digest.records}

    def records(self) -> Iterator[tuple[str, RecordLine]]:
        return self._lines()


def _block(event: dict[str, Any], name: str) -> dict[str, Any]:
    value = event.get(name)
    if not isinstance(value, dict):
        raise ReportError({name: "must be an object"})
    return value


def _versions(value: Any) -> list[Any]:
    if isinstance(value, list):
        versions = value
    elif isinstance(value, str):
        versions = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, int) and not isinstance(value, bool):
        versions = [value]
    else:
        raise ReportError({f"user.{XI_VERSIONS}": "must name the asset versions of the document"})
    if not versions or len(versions) > 100:
        raise ReportError({f"user.{XI_VERSIONS}": "must name between 1 and 100 versions"})
    return versions
