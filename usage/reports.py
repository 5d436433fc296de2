"""What a usage report must look like: one run's header and its records, checked field by field.

The API body, Govern's CSV and JSON-lines files and Experience Insights events all become these
same values, so every source is held to the same rules.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assets.models import Channel
from audit.chain import canonical_json
from templates_app.campaigns.services import FIRST_YEAR, LAST_YEAR

COUNT_FIELDS = ("documents", "pages", "impressions")
CONTEXT_FIELDS = ("channel", "region", "language", "segment")
RECORD_FIELDS = ("version", "sha256", *CONTEXT_FIELDS, *COUNT_FIELDS)
HEADER_FIELDS = ("run_id", "template", "started_at", "finished_at", "clearance")
# A count above this is no production run but a broken report (a trillion documents).
MAX_COUNT = 10**12
MAX_ID = 2**63 - 1
# Exstream's clock and Govern's may differ a little; a run cannot finish later than this ahead.
CLOCK_SKEW = timedelta(minutes=5)
REGION = re.compile(r"^[A-Z]{2}$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHANNELS = frozenset(Channel.values)
ALLOWED_RECORD = frozenset(RECORD_FIELDS)


class ReportError(ValueError):
    """The fields of one line (or body) that are wrong, as {field: message}."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {text}" for name, text in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class RunHeader:
    run_id: str
    template: str
    started_at: datetime
    finished_at: datetime
    clearance: int | None

    def canonical(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "template": self.template,
            "started_at": self.started_at.astimezone(UTC).isoformat(),
            "finished_at": self.finished_at.astimezone(UTC).isoformat(),
            "clearance": self.clearance,
        }


@dataclass(frozen=True)
class RecordLine:
    version: int | None
    sha256: str
    channel: str
    region: str
    language: str
    segment: str
    documents: int
    pages: int
    impressions: int

    @property
    def reported(self) -> str:
        """What the line names its content by: the version id when given, else the sha256."""
        return f"version:{self.version}" if self.version is not None else f"sha256:{self.sha256}"

    def canonical(self) -> list[Any]:
        """The record's values in RECORD_FIELDS order (a list: cheaper to hash, still exact)."""
        return [
            self.version,
            self.sha256,
            self.channel,
            self.region,
            self.language,
            self.segment,
            self.documents,
            self.pages,
            self.impressions,
        ]


def context_words(
    version: int | None, sha256: str, channel: str, region: str, language: str, segment: str
) -> tuple[int, int, int, int]:
    """Return four 62-bit numbers drawn from sha256 of a record's normalised context.

    A record weighs w0 + w1*documents + w2*pages + w3*impressions in its run's content hash:
    PostgreSQL computes the same sum in SQL (`usage.staging`) from a table of contexts.
    """
    text = "\x1f".join(("" if version is None else str(version), sha256, channel, region))
    digest = hashlib.sha256(f"{text}\x1f{language}\x1f{segment}".encode()).digest()
    return tuple(int.from_bytes(digest[at : at + 8], "big") >> 2 for at in (0, 8, 16, 24))  # type: ignore[return-value]


def record_weight(
    words: tuple[int, int, int, int], documents: int, pages: int, impressions: int
) -> int:
    return words[0] + words[1] * documents + words[2] * pages + words[3] * impressions


def run_content_hash(header: "RunHeader", total: int, records: int) -> str:
    """Return a run's content hash from its header and the exact sum of its record weights."""
    head = canonical_json(header.canonical())
    return hashlib.sha256(f"{head}|{total}|{records}".encode()).hexdigest()


@dataclass
class RunDigest:
    """A run's content hash, independent of the order of its records, built record by record.

    Records are weighed by numbers drawn from sha256 of their context (`context_words`), so two
    reports with the same records in any order hash the same, and moving a count from one
    context to another changes the hash.
    """

    header: RunHeader
    total: int = 0
    records: int = 0
    versions: set[int] = field(default_factory=set)
    sha256s: set[str] = field(default_factory=set)

    def add(self, record: RecordLine) -> None:
        words = context_words(*record.canonical()[:6])
        self.total += record_weight(words, record.documents, record.pages, record.impressions)
        self.records += 1
        if record.version is not None:
            self.versions.add(record.version)
        else:
            self.sha256s.add(record.sha256)

    def content_hash(self) -> str:
        return run_content_hash(self.header, self.total, self.records)


def _text(value: Any, limit: int, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise ValueError("is required")
        return ""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    if not value.isprintable():
        raise ValueError("contains control or unprintable characters")
    return value


def _time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError("must be an ISO 8601 date and time")
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError("must be an ISO 8601 date and time")
    if parsed.tzinfo is None:
        raise ValueError("must name its time zone (e.g. Z or +01:00)")
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return parsed


def _integer(value: Any, low: int, high: int, *, nullable: bool = False) -> int | None:
    if value is None or value == "":
        if nullable:
            return None
        raise ValueError("is required")
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 20):
            raise ValueError("must be a whole number")
        value = int(text)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high}")
    return value


def _check(problems: dict[str, str], name: str, convert: Any) -> Any:
    """Run one field's conversion; note its problem instead of raising."""
    try:
        return convert()
    except ValueError as error:
        problems[name] = str(error)
        return None


def _unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, str]:
    return {name: "is not a field of a usage report" for name in data if name not in allowed}


def parse_header(data: Mapping[str, Any], *, extra: Iterable[str] = ()) -> RunHeader:
    """Check a run's header fields; raise ReportError naming every bad one."""
    problems = _unknown(data, (*HEADER_FIELDS, *extra))
    run_id = _check(problems, "run_id", lambda: _text(data.get("run_id"), 200, required=True))
    template = _check(problems, "template", lambda: _text(data.get("template"), 200, required=True))
    started = _check(problems, "started_at", lambda: _time(data.get("started_at")))
    finished = _check(problems, "finished_at", lambda: _time(data.get("finished_at")))
    clearance = _check(
        problems, "clearance", lambda: _integer(data.get("clearance"), 1, MAX_ID, nullable=True)
    )
    if started and finished and finished < started:
        problems["finished_at"] = "is before started_at"
    if finished and finished > timezone.now() + CLOCK_SKEW:
        problems["finished_at"] = "is in the future"
    if problems:
        raise ReportError(problems)
    return RunHeader(run_id, template, started, finished, clearance)


def parse_record(data: Mapping[str, Any], *, extra: Iterable[str] = ()) -> RecordLine:
    """Check one record's fields; raise ReportError naming every bad one."""
    allowed = ALLOWED_RECORD.union(extra) if extra else ALLOWED_RECORD
    problems = {} if allowed.issuperset(data) else _unknown(data, allowed)
    get = data.get
    version = _field(problems, "version", _integer, get("version"), 1, MAX_ID, nullable=True)
    sha256 = _field(problems, "sha256", _sha256, get("sha256"))
    if "version" not in problems and "sha256" not in problems and version is None and not sha256:
        problems["version"] = "name the version by its id or the sha256 of its rendition"
    channel = _field(problems, "channel", _channel, get("channel"))
    region = _field(problems, "region", _pattern, get("region"), REGION, 2)
    language = _field(problems, "language", _pattern, get("language"), LANGUAGE, 35)
    segment = _field(problems, "segment", _text, get("segment"), 100)
    documents = _field(problems, "documents", _integer, get("documents"), 0, MAX_COUNT)
    pages = _field(problems, "pages", _integer, get("pages"), 0, MAX_COUNT)
    impressions = _field(problems, "impressions", _integer, get("impressions"), 0, MAX_COUNT)
    if problems:
        raise ReportError(problems)
    return RecordLine(
        version, sha256, channel, region, language, segment, documents, pages, impressions
    )


def _field(
    problems: dict[str, str], name: str, convert: Any, value: Any, *args: Any, **options: Any
) -> Any:
    """Convert one field; note its problem instead of raising."""
    try:
        return convert(value, *args, **options)
    except ValueError as error:
        problems[name] = str(error)
        return None


def _sha256(value: Any) -> str:
    text = _text(value, 64).lower()
    if text and not SHA256.match(text):
        raise ValueError("must be 64 hexadecimal digits")
    return text


def _channel(value: Any) -> str:
    text = _text(value, 16, required=True).lower()
    if text not in CHANNELS:
        raise ValueError(f"must be one of {', '.join(Channel.values)}")
    return text


def _pattern(value: Any, pattern: re.Pattern[str], limit: int) -> str:
    text = _text(value, limit)
    if pattern is REGION:
        text = text.upper()
    if text and not pattern.match(text):
        raise ValueError("is not a valid code")
    return text
