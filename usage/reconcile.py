"""Judge what runs used against the facts at each run's start, in a fixed number of queries.

Each check reads the runs' records grouped by version (or by version and context), never one
query per record, and writes its findings as UsageException rows keyed so that reconciling
the same runs again adds nothing:
- unknown_content: a record names a version or sha256 Govern never delivered;
- unapproved_use: the version was not the approved one when the run started;
- out_of_rights: the licence Govern held then did not cover the run (unknown is not a finding);
- uncleared_run: no go clearance for the template before the run, or the run used versions
  the clearance did not resolve;
- over_limit: a purchase's cumulative volume passed a cap on it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import reverse

from assets.models import ApprovalPeriod, Version
from assets.resolution import Context
from assets.rights import Outcome, RightsBook, Use
from govern.access import holders
from govern.notify import notify
from govern.roles import Role
from templates_app.models import Clearance, Verdict
from usage.limits import limits_of
from usage.models import ExceptionCode, ProductionRun, UsageException, UsageRecord

# Contexts quoted in one exception's evidence; the counts cover them all.
EVIDENCE_CONTEXTS = 50


@dataclass
class Finding:
    key: str
    code: ExceptionCode
    run_id: int
    unit_id: int
    detail: str
    evidence: dict[str, Any]
    documents: int = 0
    version_id: int | None = None
    purchase_id: int | None = None

    def as_row(self) -> UsageException:
        return UsageException(
            key=self.key,
            code=self.code,
            run_id=self.run_id,
            business_unit_id=self.unit_id,
            version_id=self.version_id,
            purchase_id=self.purchase_id,
            detail=self.detail,
            evidence=self.evidence,
            documents=self.documents,
        )


def reconcile(runs: QuerySet[ProductionRun]) -> list[UsageException]:
    """Judge these runs; store and return the exceptions not found before."""
    bounds = list(runs.values_list("pk", "started_at"))
    if not bounds:
        return []
    run_ids = [pk for pk, _started in bounds]
    # A record's started_at is its run's: bounding it reads only the months of these runs.
    records = UsageRecord.objects.filter(
        run_id__in=run_ids,
        started_at__gte=min(started for _pk, started in bounds),
        started_at__lte=max(started for _pk, started in bounds),
    )
    findings = [
        *_unknown_content(records),
        *_unapproved_use(records),
        *_out_of_rights(records),
        *_uncleared_runs(ProductionRun.objects.filter(pk__in=run_ids), records),
        *_over_limit(records),
    ]
    return findings_record(findings)


def findings_record(findings: list[Finding]) -> list[UsageException]:
    """Store the findings not stored before and tell each unit's officers; return the new."""
    stored = _store(findings)
    _tell_officers(stored)
    return stored


def _tell_officers(exceptions: list[UsageException]) -> None:
    """Tell each unit's compliance officers what reconciliation newly found, per run."""
    found: dict[tuple[int, int], list[UsageException]] = {}
    for exception in exceptions:
        found.setdefault((exception.business_unit_id, exception.run_id), []).append(exception)
    for (unit_id, run_id), items in found.items():
        codes = ", ".join(sorted({item.get_code_display().lower() for item in items}))
        run = items[0].run
        many = "s" if len(items) != 1 else ""
        notify(
            users=holders(Role.COMPLIANCE_OFFICER, unit_id),
            key=f"usage-exceptions:{run_id}:{min(item.pk for item in items)}",
            subject=f"Run {run.run_id}: {len(items)} usage exception{many}",
            body=f"Reconciling run {run.run_id} found: {codes}. Explain or resolve each.",
            url=f"{reverse('usage:exceptions')}?run={run.run_id}",
        )


def _store(findings: list[Finding]) -> list[UsageException]:
    keys = [finding.key for finding in findings]
    known = set(UsageException.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [finding.as_row() for finding in findings if finding.key not in known]
    UsageException.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
    stored = UsageException.objects.filter(key__in=[row.key for row in fresh])
    return list(stored.select_related("run"))


def _totals() -> dict[str, Any]:
    return {"documents": Sum("documents"), "pages": Sum("pages"), "impressions": Sum("impressions")}


def _unknown_content(records: QuerySet[UsageRecord]) -> Iterable[Finding]:
    groups = _with_runs(
        records.filter(version__isnull=True)
        .values("run_id", "reported", "sha256")
        .annotate(**_totals())
        .order_by("run_id", "reported")
    )
    for group in groups:
        named = group["reported"]
        yield Finding(
            key=f"unknown_content:run:{group['run_id']}:{named}",
            code=ExceptionCode.UNKNOWN_CONTENT,
            run_id=group["run_id"],
            unit_id=group["business_unit_id"],
            detail=f"Run {group['run__run_id']} used {named}, which Govern never delivered "
            f"to Exstream in this unit.",
            evidence={"reported": named, "sha256": group["sha256"], **_counts(group)},
            documents=group["documents"],
        )


def _with_runs(groups: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups of records by run, each with its run's id, start and unit (what a record repeats
    of its run). Grouped by these too, PostgreSQL took every record for a group of its own,
    and sorted a month of them on disk to count a hundred."""
    found = list(groups)
    runs = ProductionRun.objects.in_bulk({group["run_id"] for group in found})
    for group in found:
        run = runs[group["run_id"]]
        group["run__run_id"], group["started_at"] = run.run_id, run.started_at
        group["business_unit_id"] = run.business_unit_id
    return found


def _counts(group: dict[str, Any]) -> dict[str, int]:
    return {name: int(group[name] or 0) for name in ("documents", "pages", "impressions")}


def _approved_then() -> Exists:
    """True where the record's version was in an approval period when its run started."""
    return Exists(
        ApprovalPeriod.objects.filter(
            version_id=OuterRef("version_id"), started_at__lte=OuterRef("started_at")
        ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef("started_at")))
    )


def _unapproved_use(records: QuerySet[UsageRecord]) -> Iterable[Finding]:
    groups = _with_runs(
        records.filter(version__isnull=False)
        .annotate(approved=_approved_then())
        .filter(approved=False)
        .values("run_id", "version_id")
        .annotate(**_totals())
        .order_by("run_id", "version_id")
    )
    history = approval_history({group["version_id"] for group in groups})
    versions = Version.objects.select_related("variant__asset").in_bulk(
        {group["version_id"] for group in groups}
    )
    for group in groups:
        version, periods = versions[group["version_id"]], history[group["version_id"]]
        state = state_at(periods, group["started_at"])
        yield Finding(
            key=f"unapproved_use:run:{group['run_id']}:version:{version.pk}",
            code=ExceptionCode.UNAPPROVED_USE,
            run_id=group["run_id"],
            unit_id=group["business_unit_id"],
            version_id=version.pk,
            detail=f"Run {group['run__run_id']} used {named(version)}, "
            f"which was {state} when the run started.",
            evidence={
                "version": version.pk,
                "sha256": version.sha256,
                "run_started_at": group["started_at"].isoformat(),
                "state_at_run": state,
                "approval_periods": periods_of(periods),
                **_counts(group),
            },
            documents=group["documents"],
        )


def named(version: Version) -> str:
    """Name a version as people do, with the id that finds it: "brand.logo v1 (version id 7)"."""
    return f"{version.variant.asset.key} v{version.number} (version id {version.pk})"


def approval_history(version_ids: set[int]) -> dict[int, list[ApprovalPeriod]]:
    history: dict[int, list[ApprovalPeriod]] = defaultdict(list)
    for period in ApprovalPeriod.objects.filter(version_id__in=version_ids).order_by("started_at"):
        history[period.version_id].append(period)
    return history


def periods_of(periods: list[ApprovalPeriod]) -> list[dict[str, Any]]:
    return [
        {
            "from": period.started_at.isoformat(),
            "until": period.ended_at.isoformat() if period.ended_at else None,
            "ended_as": period.ended_as,
        }
        for period in periods
    ]


def state_at(periods: list[ApprovalPeriod], moment: datetime, approved: str = "") -> str:
    """Describe a version's standing at a moment, from its periods: `approved` (by default
    nothing: callers ask only of moments it was not) when a period covers the moment."""
    if approved and any(
        p.started_at <= moment and (p.ended_at is None or p.ended_at > moment) for p in periods
    ):
        return approved
    if not periods or periods[0].started_at > moment:
        return "not yet approved"
    ended = [p for p in periods if p.ended_at is not None and p.ended_at <= moment]
    return ended[-1].ended_as if ended else "not approved"


def _out_of_rights(records: QuerySet[UsageRecord]) -> Iterable[Finding]:
    contexts = _with_runs(
        records.filter(version__purchase__isnull=False)
        .values(
            *("run_id", "version_id", "version__purchase_id"),
            *("channel", "region", "language", "segment"),
        )
        .annotate(**_totals())
        .order_by("run_id", "version_id", "channel", "region", "language", "segment")
    )
    versions = Version.objects.select_related("variant__asset").in_bulk(
        {group["version_id"] for group in contexts}
    )
    book = RightsBook(versions.values())
    failing: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for group in contexts:
        context = Context(group["region"], group["language"], group["segment"], group["channel"])
        started = group["started_at"]
        use = Use(context, started, known_at=started, volumes=False)
        rights = book.judge(versions[group["version_id"]], use)
        if rights.outcome == Outcome.NOT_COVERED:
            problem = rights.summary()
            failing[(group["run_id"], group["version_id"])].append({**group, "problem": problem})
    for (run_id, version_id), groups in failing.items():
        yield _rights_finding(run_id, versions[version_id], groups)


def _rights_finding(run_id: int, version: Version, groups: list[dict[str, Any]]) -> Finding:
    first = groups[0]
    problems = sorted({group["problem"] for group in groups})
    quoted = [
        {
            "context": Context(g["region"], g["language"], g["segment"], g["channel"]).describe(),
            "problem": g["problem"],
            **_counts(g),
        }
        for g in groups[:EVIDENCE_CONTEXTS]
    ]
    documents = sum(int(g["documents"] or 0) for g in groups)
    return Finding(
        key=f"out_of_rights:run:{run_id}:version:{version.pk}",
        code=ExceptionCode.OUT_OF_RIGHTS,
        run_id=run_id,
        unit_id=first["business_unit_id"],
        version_id=version.pk,
        purchase_id=first["version__purchase_id"],
        detail=f"Run {first['run__run_id']} used {named(version)} in {len(groups)} "
        f"context(s) its licence did not cover: {'; '.join(problems)}.",
        evidence={
            "version": version.pk,
            "purchase": first["version__purchase_id"],
            "run_started_at": first["started_at"].isoformat(),
            "contexts": quoted,
            "contexts_total": len(groups),
            "documents": documents,
        },
        documents=documents,
    )


def _uncleared_runs(
    runs: QuerySet[ProductionRun], records: QuerySet[UsageRecord]
) -> Iterable[Finding]:
    latest_go = (
        Clearance.objects.filter(
            template_id=OuterRef("template_id"),
            verdict=Verdict.GO,
            created_at__lte=OuterRef("started_at"),
        )
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    rows = list(runs.annotate(latest_go=Subquery(latest_go)).select_related("template"))
    wanted = {row.clearance_id or row.latest_go for row in rows} - {None}
    clearances = Clearance.objects.in_bulk(wanted)
    used: dict[int, set[int]] = defaultdict(set)
    pairs = (
        records.filter(version__isnull=False)
        .order_by()  # Meta.ordering would join the DISTINCT and make it one row per record
        .values_list("run_id", "version_id")
        .distinct()
    )
    for run_id, version_id in pairs:
        used[run_id].add(version_id)
    names = _version_names(set().union(*used.values()))
    for run in rows:
        clearance = clearances.get(run.clearance_id or run.latest_go)  # type: ignore[attr-defined]
        problem = _clearance_problem(run, clearance, used[run.pk], names)
        if problem:
            detail, evidence = problem
            yield Finding(
                key=f"uncleared_run:run:{run.pk}",
                code=ExceptionCode.UNCLEARED_RUN,
                run_id=run.pk,
                unit_id=run.business_unit_id,
                detail=f"Run {run.run_id} of {run.template.name}: {detail}",
                evidence={"clearance": clearance.pk if clearance else None, **evidence},
                documents=run.documents,
            )


def _version_names(version_ids: set[int]) -> dict[int, str]:
    rows = Version.objects.filter(pk__in=version_ids).values_list(
        "pk", "variant__asset__key", "number"
    )
    return {pk: f"{key} v{number} (version id {pk})" for pk, key, number in rows}


def _clearance_problem(
    run: ProductionRun, clearance: Clearance | None, used: set[int], names: dict[int, str]
) -> tuple[str, dict[str, Any]] | None:
    if clearance is None:
        return "no go clearance for the template before the run started.", {}
    if clearance.template_id != run.template_id:
        return f"clearance {clearance.pk} is for another template.", {}
    if clearance.verdict != Verdict.GO:
        return f"clearance {clearance.pk} said no-go.", {"reasons": clearance.reasons[:20]}
    if clearance.created_at > run.started_at:
        return f"clearance {clearance.pk} was given after the run started.", {}
    resolved = {entry["version"] for entry in clearance.evidence.get("resolved", [])}
    extra = sorted(used - resolved)
    if extra:
        return (
            f"used {', '.join(names.get(pk, f'version id {pk}') for pk in extra)} that "
            f"clearance {clearance.pk} did not resolve.",
            {"unresolved_versions": extra, "resolved_versions": sorted(resolved)},
        )
    return None


def _over_limit(records: QuerySet[UsageRecord]) -> Iterable[Finding]:
    touched = set(
        records.filter(version__purchase__isnull=False)
        .order_by()
        .values_list("version__purchase_id", flat=True)
        .distinct()
    )
    limits = limits_of(touched)
    limited = {limit.purchase_id for limit in limits}
    used = {
        row["version__purchase_id"]: row
        for row in UsageRecord.objects.filter(version__purchase_id__in=limited)
        .values("version__purchase_id")
        .annotate(**_totals())
        .order_by()
    }
    last_run = dict(
        records.filter(version__purchase_id__in=limited)
        .values("version__purchase_id")
        .annotate(last=Max("run_id"))
        .values_list("version__purchase_id", "last")
    )
    runs = ProductionRun.objects.in_bulk(set(last_run.values()))
    for limit in limits:
        total = int((used.get(limit.purchase_id) or {}).get(limit.metric) or 0)
        if total > limit.limit:
            run = runs[last_run[limit.purchase_id]]
            yield Finding(
                key=f"over_limit:{limit.key}",
                code=ExceptionCode.OVER_LIMIT,
                run_id=run.pk,
                unit_id=run.business_unit_id,
                purchase_id=limit.purchase_id,
                detail=f"Purchase {limit.purchase_id} has been used for {total:,} "
                f"{limit.metric}; its limit is {limit.limit:,} (run {run.run_id} passed it).",
                evidence={
                    **limit.source,
                    "metric": limit.metric,
                    "limit": limit.limit,
                    "used": total,
                },
            )
