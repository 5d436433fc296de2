"""Every state change of usage: reported runs, caps, and decisions on exceptions."""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import psycopg
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from assets.models import LicensePurchase, Version
from audit.services import audit_record
from govern.access import require
from govern.errors import Conflict, RequestRejected
from govern.notify import notices_settle
from govern.roles import Capability
from templates_app.models import Clearance, Delivery, DeliveryState, Template
from templates_app.webhooks import emit, subscribed
from usage import partitions
from usage.models import (
    ExceptionState,
    LimitKey,
    Metric,
    ProductionRun,
    RunSource,
    UsageCap,
    UsageException,
    UsageRecord,
)
from usage.partitions import month_of
from usage.reconcile import reconcile
from usage.reports import COUNT_FIELDS as COUNTS
from usage.reports import RecordLine, RunDigest

INSERT_BATCH = 5000
# COPY raises the driver's own error, not Django's wrapped one.
DUPLICATE_ERRORS: tuple[type[Exception], ...] = (IntegrityError, psycopg.IntegrityError)
# Records are (run id as reported, record); a source that re-reads its file gives them again.
RecordStream = Callable[[], Iterator[tuple[str, RecordLine]]]


@dataclass
class IngestOutcome:
    created: list[ProductionRun] = field(default_factory=list)
    unchanged: list[ProductionRun] = field(default_factory=list)
    exceptions: list[UsageException] = field(default_factory=list)


def runs_ingest(
    *,
    digests: list[RunDigest],
    records: "RecordStream | RecordWriter",
    source: RunSource,
    actor: User | None,
    templates: QuerySet[Template],
    file_name: str = "",
) -> IngestOutcome:
    """Store reported runs and their records, then reconcile them, all in one transaction.

    `records` streams the records, or is a RecordWriter that stores the fresh runs' records
    itself (a file staged in PostgreSQL). A run already stored with the same content is left as
    it is; with other content the whole report is refused (Conflict). `templates` are those the
    caller may report on.
    """
    outcome = IngestOutcome()
    with transaction.atomic():
        fresh = _new_runs(digests, source, actor, templates, file_name, outcome)
        if fresh:
            partitions.months_ensure(month_of(entry.run.started_at) for entry in fresh.values())
            if isinstance(records, RecordWriter):
                records.write(fresh)
            else:
                _insert_records(fresh, records)
            runs = [entry.run for entry in fresh.values()]
            stored = ProductionRun.objects.filter(pk__in=[run.pk for run in runs])
            outcome.exceptions = reconcile(stored)
            _usage_events(stored)
            _exception_events(outcome.exceptions)
            _audit_runs(runs, outcome.exceptions, actor)
    return outcome


def _new_runs(
    digests: list[RunDigest],
    source: RunSource,
    actor: User | None,
    templates: QuerySet[Template],
    file_name: str,
    outcome: IngestOutcome,
) -> dict[str, "FreshRun"]:
    """Create the runs not stored yet; return them with what their records map to."""
    existing = {
        run.run_id: run
        for run in ProductionRun.objects.select_for_update(no_key=True).filter(
            run_id__in=[digest.header.run_id for digest in digests]
        )
    }
    fresh: dict[str, FreshRun] = {}
    for digest in digests:
        stored = existing.get(digest.header.run_id)
        if stored is not None:
            if not templates.filter(pk=stored.template_id).exists():
                raise Conflict(f"The run id {stored.run_id} is taken.", "run_id_taken")
            if actor is not None:
                require(actor, Capability.REPORT_USAGE, stored.business_unit_id)
            if stored.content_hash != digest.content_hash():
                raise Conflict(
                    f"Run {stored.run_id} was reported before with other content.",
                    "run_differs",
                )
            outcome.unchanged.append(stored)
            continue
        fresh[digest.header.run_id] = _create_run(digest, source, actor, templates, file_name)
        outcome.created.append(fresh[digest.header.run_id].run)
    return fresh


@dataclass
class FreshRun:
    """A run stored by this report, with what its records' content maps to in its unit."""

    run: ProductionRun
    versions: dict[int, Version]
    by_sha256: dict[str, Version]
    delivered: set[tuple[int, str]]
    prefix: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        """Fix the columns every record of the run shares, as the database takes them."""
        run = self.run
        started = connection.ops.adapt_datetimefield_value(run.started_at)
        self.prefix = (run.pk, run.template_id, run.business_unit_id, started)


def _create_run(
    digest: RunDigest,
    source: RunSource,
    actor: User | None,
    templates: QuerySet[Template],
    file_name: str,
) -> FreshRun:
    header = digest.header
    template = templates.filter(exstream_id=header.template).first()
    if template is None:
        raise ValidationError({"template": f"No template {header.template} is registered."})
    if actor is not None:
        require(actor, Capability.REPORT_USAGE, template.business_unit_id)
    clearance = None
    if header.clearance is not None:
        clearance = Clearance.objects.filter(
            pk=header.clearance, template__business_unit_id=template.business_unit_id
        ).first()
        if clearance is None:
            raise ValidationError({"clearance": f"No clearance {header.clearance} in this unit."})
    try:
        with transaction.atomic():
            run = ProductionRun.objects.create(
                run_id=header.run_id,
                source=source,
                template=template,
                business_unit_id=template.business_unit_id,
                started_at=header.started_at,
                finished_at=header.finished_at,
                clearance=clearance,
                content_hash=digest.content_hash(),
                record_count=digest.records,
                reported_by=actor,
                file_name=file_name[:300],
            )
    except IntegrityError:  # reported at the same moment by someone else
        raise Conflict(f"Run {header.run_id} is being reported already.", "run_differs") from None
    return FreshRun(run, *_content_map(template.business_unit_id, digest))


def _content_map(
    unit_id: int, digest: RunDigest
) -> tuple[dict[int, Version], dict[str, Version], set[tuple[int, str]]]:
    """Map what the report names to versions of the unit, in three queries."""
    versions = (
        Version.objects.in_units({unit_id}).select_related("variant").in_bulk(digest.versions)
    )
    delivered_rows = Delivery.objects.filter(
        state=DeliveryState.DELIVERED,
        version__variant__asset__business_unit_id=unit_id,
        rendition__isnull=False,
    ).select_related("rendition", "version__variant")
    by_sha256: dict[str, Version] = {}
    for delivery in delivered_rows.filter(rendition__sha256__in=digest.sha256s).order_by(
        "delivered_at"
    ):
        by_sha256[delivery.rendition.sha256] = delivery.version  # type: ignore[union-attr]
    delivered = {
        (version_id, sha256)
        for version_id, sha256 in delivered_rows.filter(version_id__in=digest.versions).values_list(
            "version_id", "rendition__sha256"
        )
    }
    delivered |= {(version.pk, version.sha256) for version in versions.values()}
    return versions, by_sha256, delivered


RECORD_COLUMNS = (
    *("run_id", "template_id", "business_unit_id", "started_at", "reported", "asset_id"),
    *("version_id", "sha256", "channel", "region", "language", "segment", "documents"),
    *("pages", "impressions"),
)


class RecordWriter:
    """Stores the records of a report's fresh runs by itself (and sets their documents)."""

    def write(self, fresh: dict[str, FreshRun]) -> None:
        raise NotImplementedError


DUPLICATE = (
    "Two records of one run name the same version and context (channel, region, language, "
    "segment); report each combination once, with its counts summed."
)


def _insert_records(fresh: dict[str, FreshRun], records: RecordStream) -> None:
    rows = (_record_row(fresh[run_id], line) for run_id, line in records() if run_id in fresh)
    try:
        with transaction.atomic():
            _write(rows)
    except DUPLICATE_ERRORS:
        raise RequestRejected(DUPLICATE, code="duplicate_record") from None
    totals = dict(
        UsageRecord.objects.filter(run__in=[entry.run for entry in fresh.values()])
        .values("run_id")
        .annotate(total=Sum("documents"))
        .values_list("run_id", "total")
    )
    for entry in fresh.values():
        entry.run.documents = totals.get(entry.run.pk) or 0
        entry.run.save(update_fields=["documents"])


def _write(rows: Iterator[tuple[Any, ...]]) -> None:
    """Insert record rows: PostgreSQL's COPY where it runs, else batched executemany.

    Building a row must not query: during COPY the connection serves the copy alone.
    """
    table, columns = UsageRecord._meta.db_table, ", ".join(RECORD_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(RECORD_COLUMNS))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - fixed names
        while batch := list(islice(rows, INSERT_BATCH)):
            cursor.executemany(insert, batch)


def _record_row(entry: FreshRun, line: RecordLine) -> tuple[Any, ...]:
    version = version_of(entry, line)
    return (
        *entry.prefix,
        line.reported,
        version.variant.asset_id if version else None,
        version.pk if version else None,
        line.sha256 or (version.sha256 if version else ""),
        line.channel,
        line.region,
        line.language,
        line.segment,
        line.documents,
        line.pages,
        line.impressions,
    )


def version_of(entry: FreshRun, line: RecordLine) -> Version | None:
    """Return the version a line names, or None when Govern cannot vouch for it."""
    if line.version is None:
        return entry.by_sha256.get(line.sha256)
    version = entry.versions.get(line.version)
    if version is not None and line.sha256 and (version.pk, line.sha256) not in entry.delivered:
        return None  # the content Exstream used is not what Govern delivered for it
    return version


def _usage_events(runs: QuerySet[ProductionRun]) -> int:
    """Tell webhook subscribers each run's usage of each Smint.io purchase (usage.reported):
    one query when nobody subscribed, two and one event per run and purchase when someone did."""
    if not subscribed("usage.reported"):
        return 0
    records = UsageRecord.objects.filter(run__in=runs, version__purchase__isnull=False)
    key = (
        "run_id",
        "run__run_id",
        "run__business_unit_id",
        "run__started_at",
        "run__finished_at",
        "version__purchase__uuid",
    )
    channels: dict[tuple[int, str], dict[str, int]] = {}
    for row in records.values("run_id", "version__purchase__uuid", "channel").annotate(
        documents=Sum("documents")
    ):
        by_channel = channels.setdefault((row["run_id"], row["version__purchase__uuid"]), {})
        by_channel[row["channel"]] = int(row["documents"] or 0)
    sent = 0
    for group in records.values(*key).annotate(**{name: Sum(name) for name in COUNTS}):
        purchase = group["version__purchase__uuid"]
        sent += emit(
            "usage.reported",
            unit=group["run__business_unit_id"],
            data={
                "license_purchase_transaction_uuid": purchase,
                "run_id": group["run__run_id"],
                "started_at": group["run__started_at"].isoformat(),
                "finished_at": group["run__finished_at"].isoformat(),
                **{name: int(group[name] or 0) for name in COUNTS},
                "documents_by_channel": channels.get((group["run_id"], purchase), {}),
            },
        )
    return sent


def _exception_events(exceptions: list[UsageException]) -> None:
    """One usage.exception event per exception found (nothing when nobody subscribed)."""
    if not exceptions or not subscribed("usage.exception"):
        return
    for exception in exceptions:
        emit(
            "usage.exception",
            unit=exception.business_unit_id,
            data={
                "exception": exception.pk,
                "code": exception.code,
                "run_id": exception.run.run_id,
                "version": exception.version_id,
                "detail": exception.detail,
                "documents": exception.documents,
            },
        )


def _audit_runs(runs: list[ProductionRun], exceptions: list[UsageException], actor: Any) -> None:
    by_run: dict[int, Counter[str]] = {run.pk: Counter() for run in runs}
    for exception in exceptions:
        by_run[exception.run_id][exception.code] += 1
    for run in runs:
        audit_record(
            action="usage.run_reported",
            actor=actor,
            target=run,
            unit_id=run.business_unit_id,
            data={
                "run_id": run.run_id,
                "source": run.source,
                "file": run.file_name,
                "records": run.record_count,
                "content_hash": run.content_hash,
                "exceptions": dict(by_run[run.pk]),
            },
        )


def usage_reconcile(*, runs: QuerySet[ProductionRun], actor: User | None) -> list[UsageException]:
    """Judge runs again (after a correction of facts); store and audit what is new."""
    with transaction.atomic():
        found = reconcile(runs)
        counts = Counter(exception.code for exception in found)
        audit_record(
            action="usage.reconciled",
            actor=actor,
            data={"runs": runs.count(), "new_exceptions": dict(counts)},
        )
    return found


def exception_decide(
    *, exception: UsageException, state: str, comment: str, actor: User
) -> UsageException:
    """Explain or resolve an exception, with the compliance officer's comment."""
    require(actor, Capability.DECIDE_EXCEPTIONS, exception.business_unit_id)
    if state not in {ExceptionState.EXPLAINED, ExceptionState.RESOLVED}:
        raise ValidationError({"state": "Use explained or resolved."})
    if not comment.strip():
        raise ValidationError({"comment": "Say why: a decision on an exception needs a comment."})
    with transaction.atomic():
        locked = UsageException.objects.select_for_update(no_key=True).get(pk=exception.pk)
        if locked.state == ExceptionState.RESOLVED or locked.state == state:
            raise Conflict(
                f"This exception is {locked.get_state_display().lower()} already; reload.",
                "stale_state",
            )
        previous = locked.state
        locked.state, locked.comment = state, comment.strip()
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.save(update_fields=["state", "comment", "decided_by", "decided_at"])
        audit_record(
            action=f"usage.exception_{state}",
            actor=actor,
            target=locked,
            unit_id=locked.business_unit_id,
            data={"code": locked.code, "key": locked.key, "from": previous, "comment": comment},
        )
        still_open = UsageException.objects.filter(run_id=locked.run_id, state=ExceptionState.OPEN)
        if not still_open.exists():  # the run's notice asked for all of them: it is done
            notices_settle(prefix=f"usage-exceptions:{locked.run_id}:", by=actor)
    return locked


def cap_set(
    *, purchase: LicensePurchase, metric: str, limit: int, actor: User, comment: str = ""
) -> UsageCap:
    """Put a volume cap on a purchase, replacing the one on the same metric."""
    require(actor, Capability.DECIDE_EXCEPTIONS, purchase.asset.business_unit_id)
    if metric not in Metric.values:
        raise ValidationError({"metric": f"Use one of {', '.join(Metric.values)}."})
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 10**12:
        raise ValidationError({"limit": "Give a whole number between 0 and 10^12."})
    with transaction.atomic():
        LicensePurchase.objects.select_for_update(no_key=True).filter(pk=purchase.pk).first()
        replaced = UsageCap.objects.filter(purchase=purchase, metric=metric, active=True)
        previous = list(replaced.values_list("limit", flat=True))
        replaced.update(active=False)
        cap = UsageCap.objects.create(
            purchase=purchase,
            metric=metric,
            limit=limit,
            source=f"set by {actor.get_username()}",
            set_by=actor,
            comment=comment.strip(),
        )
        audit_record(
            action="usage.cap_set",
            actor=actor,
            target=cap,
            unit_id=purchase.asset.business_unit_id,
            data={"purchase": purchase.uuid, "metric": metric, "limit": limit, "was": previous},
        )
    return cap


def limit_key_set(*, key: str, metric: str, limit: int, actor: User) -> LimitKey:
    """Say what a Smint.io usage-limit key means as a volume (administrators)."""
    if not actor.is_staff:
        raise PermissionDenied("Only administrators map usage-limit keys.")
    if metric not in Metric.values:
        raise ValidationError({"metric": f"Use one of {', '.join(Metric.values)}."})
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 10**12:
        raise ValidationError({"limit": "Give a whole number between 0 and 10^12."})
    with transaction.atomic():
        mapping, _ = LimitKey.objects.update_or_create(
            key=key.strip(),
            defaults={
                "metric": metric,
                "limit": limit,
                "set_by": actor,
                "updated_at": timezone.now(),
            },
        )
        audit_record(
            action="usage.limit_key_set",
            actor=actor,
            target=mapping,
            data={"key": mapping.key, "metric": metric, "limit": limit},
        )
    return mapping
