"""PDF evidence packs: one run or one clearance, with everything an auditor needs to check it.

A pack holds the clearance's inputs and verdict, the versions resolved (with thumbnails), every
decision on them with names, times and comments, the run's usage and exceptions, and the audit
events behind all of it with their hashes, so each can be found in the verified chain.
"""

import io
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, Sum
from fpdf import FPDF

from assets import signatures
from assets.models import Decision, Signature, Version
from assets.previews import thumbnail
from audit.models import AuditEvent
from templates_app.models import Clearance
from usage import charts
from usage.models import ProductionRun

RECORDS_SHOWN = 200
PLAIN = str.maketrans({"→": "->", "–": "-", "—": "-", "“": '"', "”": '"', "’": "'", "·": "-"})


def _latin(text: Any) -> str:
    """The core PDF fonts hold Latin-1 only; anything else becomes '?' rather than failing."""
    return str(text).translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


class Pack(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.title_text = _latin(title)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(self.title_text)
        self.set_creator("Govern")
        self.add_page()
        self.set_font("Helvetica", "B", 16)
        self.multi_cell(0, 9, self.title_text, new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 8, f"{self.title_text} - page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.multi_cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def line_of(self, text: Any) -> None:
        self.set_font("Helvetica", "", 9)
        self.multi_cell(0, 5, _latin(text), new_x="LMARGIN", new_y="NEXT")

    def facts(self, pairs: Iterable[tuple[str, Any]]) -> None:
        for label, value in pairs:
            self.set_font("Helvetica", "B", 9)
            self.cell(38, 5, _latin(label))
            self.set_font("Helvetica", "", 9)
            self.multi_cell(0, 5, _latin(value), new_x="LMARGIN", new_y="NEXT")


def _clearance_section(pack: Pack, clearance: Clearance | None) -> None:
    pack.heading("Clearance")
    if clearance is None:
        pack.line_of("The run named no clearance.")
        return
    pack.facts(
        [
            ("Clearance", clearance.pk),
            ("Template", f"{clearance.template.name} ({clearance.template.exstream_id})"),
            ("Asked", f"{clearance.created_at:%Y-%m-%d %H:%M:%S} UTC"),
            ("Run planned", f"{clearance.run_at:%Y-%m-%d %H:%M:%S} UTC"),
            ("Contexts", "; ".join(_context(c) for c in clearance.contexts) or "any"),
            ("Verdict", clearance.verdict),
            ("Evidence hash", clearance.evidence_hash),
        ]
    )
    for reason in clearance.reasons:
        pack.line_of(f"- {reason.get('code')}: {reason.get('detail')}")


def _context(context: dict[str, str]) -> str:
    return ", ".join(f"{key} {value}" for key, value in context.items() if value) or "any"


def _versions_section(pack: Pack, versions: list[Version]) -> None:
    pack.heading("Versions")
    decisions: dict[int, list[Decision]] = {}
    chosen = Decision.objects.filter(version__in=versions).select_related("actor", "signature")
    for decision in chosen:
        decisions.setdefault(decision.version_id, []).append(decision)
    for version in versions:
        pack.set_font("Helvetica", "B", 10)
        label = f"{version.variant.asset.key} v{version.number} [{version.variant.selector_label}]"
        pack.multi_cell(0, 6, _latin(f"{label} - {version.state}"), new_x="LMARGIN", new_y="NEXT")
        _thumbnail(pack, version)
        pack.facts([("Version id", version.pk), ("sha256", version.sha256)])
        for decision in decisions.get(version.pk, []):
            who = decision.actor.get_username() if decision.actor else "system"
            pack.line_of(
                f"{decision.created_at:%Y-%m-%d %H:%M:%S} UTC {decision.get_action_display()} "
                f"by {who}: {decision.comment or '(no comment)'}"
            )
            if hasattr(decision, "signature"):
                pack.line_of(_signature_line(decision.signature, version))


def _signature_line(signature: Signature, version: Version) -> str:
    state = "verifies" if signatures.verifies(signature, version) else "DOES NOT VERIFY"
    return (
        f"    Electronic signature: {signature.printed_name}, meaning {signature.meaning}, "
        f"{signature.signed_at:%Y-%m-%d %H:%M:%S} UTC, content sha256 "
        f"{signature.content_sha256}, digest {signature.digest} ({state})"
    )


def _thumbnail(pack: Pack, version: Version) -> None:
    if version.is_text:
        pack.line_of(f'Text: "{version.text[:500]}"')
        return
    if version.is_svg:
        return
    try:
        picture = thumbnail(version)
    except OSError:
        pack.line_of("(no preview: the stored file could not be read)")
        return
    pack.image(io.BytesIO(picture), w=40)


def _audit_section(pack: Pack, condition: Q) -> None:
    pack.heading("Audit events (verify them with manage.py audit_verify)")
    for event in AuditEvent.objects.filter(condition).order_by("sequence"):
        pack.line_of(
            f"#{event.sequence} {event.created_at:%Y-%m-%d %H:%M:%S} {event.action} by "
            f"{event.actor_name or 'system'}; hash {event.hash}; previous {event.prev_hash}"
        )


def _events_of(versions: list[Version], clearance: Clearance | None) -> Q:
    """Select the audit events behind versions and a clearance (its own pre-flight event)."""
    condition = Q(target_type="assets.version", target_id__in=[str(v.pk) for v in versions])
    if clearance is not None:
        condition |= Q(action="preflight.checked", data__clearance=clearance.pk)
    return condition


def _runs_versions(run: ProductionRun) -> list[Version]:
    used = run.records.exclude(version=None).order_by().values_list("version_id", flat=True)
    ids = set(used.distinct())
    if run.clearance is not None:
        ids |= {entry["version"] for entry in run.clearance.evidence.get("resolved", [])}
    return list(Version.objects.filter(pk__in=ids).select_related("variant__asset"))


def run_pack(run: ProductionRun) -> bytes:
    """Return the evidence pack of one run as PDF bytes."""
    pack = Pack(f"Evidence pack: run {run.run_id}")
    pack.facts(
        [
            ("Template", f"{run.template.name} ({run.template.exstream_id})"),
            ("Unit", run.business_unit.name),
            (
                "Ran",
                f"{run.started_at:%Y-%m-%d %H:%M:%S} - {run.finished_at:%Y-%m-%d %H:%M:%S} UTC",
            ),
            (
                "Reported",
                f"{run.get_source_display()} {run.file_name} {run.received_at:%Y-%m-%d %H:%M}",
            ),
            ("Content hash", run.content_hash),
        ]
    )
    _clearance_section(pack, run.clearance)
    versions = _runs_versions(run)
    _versions_section(pack, versions)
    _usage_section(pack, run)
    _exceptions_section(pack, run)
    exceptions = [str(pk) for pk in run.exceptions.values_list("pk", flat=True)]
    _audit_section(
        pack,
        _events_of(versions, run.clearance)
        | Q(target_type="usage.productionrun", target_id=str(run.pk))
        | Q(target_type="usage.usageexception", target_id__in=exceptions),
    )
    return bytes(pack.output())


def _usage_section(pack: Pack, run: ProductionRun) -> None:
    totals = run.records.aggregate(d=Sum("documents"), p=Sum("pages"), i=Sum("impressions"))
    pack.heading(
        f"Usage: {totals['d'] or 0} documents, {totals['p'] or 0} pages, "
        f"{totals['i'] or 0} impressions in {run.record_count} records"
    )
    _chart(pack, run)
    records = run.records.select_related("asset", "version").order_by("-documents", "pk")
    for record in records[:RECORDS_SHOWN]:
        content = (
            f"{record.asset.key} v{record.version.number}"
            if record.version and record.asset
            else f"{record.reported} (unknown)"
        )
        pack.line_of(
            f"{content}: {record.channel} {record.region or '-'} {record.language or '-'} "
            f"{record.segment or '-'}: {record.documents} documents, {record.pages} pages, "
            f"{record.impressions} impressions"
        )
    if run.record_count > RECORDS_SHOWN:
        pack.line_of(f"... {run.record_count - RECORDS_SHOWN} more records in the CSV export.")


def _chart(pack: Pack, run: ProductionRun) -> None:
    """Draw the run's documents per version: the same SVG chart the report page shows."""
    rows = (
        run.records.values("asset__key", "version__number", "reported")
        .annotate(total=Sum("documents"))
        .order_by("-total")[:10]
    )
    points = [
        charts.Point(
            f"{row['asset__key']} v{row['version__number']}" if row["asset__key"] else "unknown",
            int(row["total"] or 0),
        )
        for row in rows
    ]
    if points:
        pack.image(io.BytesIO(charts.bars("Documents per version", points).encode()), w=170)


def _exceptions_section(pack: Pack, run: ProductionRun) -> None:
    pack.heading("Exceptions")
    found = list(run.exceptions.select_related("decided_by"))
    if not found:
        pack.line_of("Reconciliation found nothing wrong with this run.")
    for exception in found:
        decided = ""
        if exception.decided_by:
            decided = (
                f" {exception.get_state_display()} by {exception.decided_by.get_username()} "
                f"on {exception.decided_at:%Y-%m-%d %H:%M}: {exception.comment}"
            )
        pack.line_of(f"- {exception.code} ({exception.state}): {exception.detail}{decided}")


def clearance_pack(clearance: Clearance) -> bytes:
    """Return the evidence pack of one clearance as PDF bytes."""
    pack = Pack(f"Evidence pack: clearance {clearance.pk}")
    _clearance_section(pack, clearance)
    ids = {entry["version"] for entry in clearance.evidence.get("resolved", [])}
    versions = list(Version.objects.filter(pk__in=ids).select_related("variant__asset"))
    _versions_section(pack, versions)
    runs = list(clearance.runs.order_by("started_at"))
    pack.heading("Runs that relied on it")
    for run in runs:
        pack.line_of(
            f"{run.run_id}: {run.started_at:%Y-%m-%d %H:%M} UTC, {run.documents} documents"
        )
    if not runs:
        pack.line_of("No reported run named this clearance.")
    _audit_section(pack, _events_of(versions, clearance))
    return bytes(pack.output())
