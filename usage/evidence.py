"""PDF evidence packs: one run or one clearance, with everything an auditor needs to check it.

A pack holds the clearance's inputs and verdict, the versions resolved (with thumbnails), every
decision on them with names, times and comments, the run's usage and exceptions, and the audit
events behind all of it, as a table with their hashes, so each can be found in the verified
chain. Each pack says who generated it, when and what it was generated from. Its own sha256
cannot be inside the bytes it hashes: the download sends it in the X-Content-SHA256 header and
the export.delivered audit event of the download records it (with the same generated_at).
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, Sum
from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image

from assets import signatures
from assets.models import Decision, Signature, Version
from assets.previews import thumbnail
from assets.produced.reading import page_picture, page_sizes
from assets.storage import read_content
from audit.models import AuditEvent
from audit.templatetags.audit_words import action_words
from govern.export_jobs import SHA256_HEADER
from templates_app.models import Campaign, Clearance
from templates_app.resolved import contexts_of
from usage import charts
from usage.models import ProductionRun, ProductionSample

RECORDS_SHOWN = 200
# Per sample, the exception images drawn in a run's pack, cut from pages drawn this wide.
THUMBNAILS_SHOWN = 12
THUMBNAIL_PAGE_WIDTH = 1200
THUMBNAIL_SIDE = 240
SHORT_HASH = 16
PLAIN = str.maketrans({"→": "->", "–": "-", "—": "-", "“": '"', "”": '"', "’": "'", "·": "-"})


def _latin(text: Any) -> str:
    """The core PDF fonts hold Latin-1 only; anything else becomes '?' rather than failing."""
    return str(text).translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Stamp:
    """Who generated a pack and when: printed in it and recorded with its sha256."""

    kind: str  # the export kind of its audit event: run_evidence, clearance_evidence
    by: str
    at: datetime

    @property
    def at_text(self) -> str:
        return f"{_time(self.at)} UTC"


def _time(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


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
        self.multi_cell(0, 5, _latin(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def facts(self, pairs: Iterable[tuple[str, Any]]) -> None:
        for label, value in pairs:
            self.set_font("Helvetica", "B", 9)
            self.cell(38, 5, _latin(label))
            self.set_font("Helvetica", "", 9)
            self.multi_cell(0, 5, _latin(value), align="L", new_x="LMARGIN", new_y="NEXT")

    def grid(
        self, headings: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float]
    ) -> None:
        """Set rows as a table under a heading row, repeated on each page it runs onto."""
        self.set_font("Helvetica", "", 8)
        with self.table(
            col_widths=widths,
            text_align="LEFT",
            headings_style=FontFace(emphasis="BOLD"),
            line_height=4.5,
            padding=1,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(_latin(text))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_latin(value))
        self.ln(2)

    def stamp(self, stamp: Stamp, selection: str) -> None:
        """Say who generated the pack, when, from what, and where its own sha256 is kept."""
        self.facts(
            [
                ("Generated", f"{stamp.at_text} by {stamp.by}"),
                ("Generated from", selection),
                (
                    "This file's sha256",
                    "A file cannot hold its own hash. Govern sent it in the "
                    f"{SHA256_HEADER} header of this download and recorded it in the audit log, "
                    f"in the export.delivered event of kind {stamp.kind} by {stamp.by} with "
                    f"generated_at {stamp.at.isoformat()}. Check it with sha256sum.",
                ),
            ]
        )


def _clearance_section(pack: Pack, clearance: Clearance | None) -> None:
    pack.heading("Clearance")
    if clearance is None:
        pack.line_of("The run named no clearance.")
        return
    pack.facts(
        [
            ("Clearance", clearance.pk),
            ("Template", f"{clearance.template.name} ({clearance.template.exstream_id})"),
            ("Asked", f"{_time(clearance.created_at)} UTC"),
            ("Run planned", f"{_time(clearance.run_at)} UTC"),
            ("Contexts", "; ".join(_context(c) for c in clearance.contexts) or "any"),
            ("Verdict", clearance.verdict),
            ("Evidence hash", clearance.evidence_hash),
        ]
    )
    for reason in clearance.reasons:
        pack.line_of(f"- {reason.get('code')}: {reason.get('detail')}")
    _slots_section(pack, clearance)


def _slots_section(pack: Pack, clearance: Clearance) -> None:
    """Set the slot -> version mapping the clearance resolved, with the campaign that chose."""
    resolved = clearance.evidence.get("resolved", [])
    pack.heading("Slots and the versions that fill them")
    if not resolved:
        pack.line_of("The clearance resolved no slot.")
        return
    campaign_ids = {entry["campaign"] for entry in resolved if entry.get("campaign")}
    campaigns = dict(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "name"))
    versions = Version.objects.select_related("variant__asset").in_bulk(
        {entry["version"] for entry in resolved}
    )
    rows = [
        (
            entry.get("slot", ""),
            "; ".join(contexts_of(entry)),
            _version_label(versions.get(entry["version"]), entry),
            entry["version"],
            campaigns.get(entry.get("campaign"), "none") if entry.get("campaign") else "none",
        )
        for entry in resolved
    ]
    headings = ("Slot", "Context", "Version", "Version id", "Campaign")
    pack.grid(headings, rows, (30, 40, 50, 16, 44))


def _version_label(version: Version | None, entry: dict[str, Any]) -> str:
    if version is not None:
        return f"{version.variant.asset.key} v{version.number}"
    return f"{entry.get('asset', '?')} v{entry.get('number', '?')}"


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
                f"{_time(decision.created_at)} UTC {decision.get_action_display()} "
                f"by {who}: {decision.comment or '(no comment)'}"
            )
            if hasattr(decision, "signature"):
                pack.line_of(_signature_line(decision.signature, version))


def _signature_line(signature: Signature, version: Version) -> str:
    state = "verifies" if signatures.verifies(signature, version) else "DOES NOT VERIFY"
    return (
        f"    Electronic signature: {signature.printed_name}, meaning {signature.meaning}, "
        f"{_time(signature.signed_at)} UTC{_proven(signature)}, content sha256 "
        f"{signature.content_sha256}, digest {signature.digest} ({state})"
    )


def _proven(signature: Signature) -> str:
    proven = signature.proven_by()
    return f" {proven}" if proven else ""


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


Names = dict[tuple[str, str], str]


def _audit_section(pack: Pack, condition: Q, names: Names) -> None:
    """Set the audit events behind the pack as a table: one row each, its hash shortened (the
    sequence finds the whole event in the chain and in an audit export)."""
    pack.heading("Audit events (verify them with manage.py audit_verify)")
    events = AuditEvent.objects.filter(condition).order_by("sequence")
    rows = [
        (
            event.sequence,
            _time(event.created_at),
            event.actor_name or "system",
            action_words(event.action),
            _object(event, names),
            f"{event.hash[:SHORT_HASH]}...",
        )
        for event in events
    ]
    if not rows:
        pack.line_of("No audit event names these objects.")
        return
    headings = ("#", "Time (UTC)", "Who", "Action", "Object", "Hash (start)")
    pack.grid(headings, rows, (12, 32, 22, 40, 44, 30))


def _object(event: AuditEvent, names: Names) -> str:
    """Name an event's target by what it is, from the objects the pack already holds."""
    if not event.target_type:
        return ""
    name = names.get((event.target_type, event.target_id))
    return name or f"{event.target_type.rpartition('.')[2]} {event.target_id}"


def _names(versions: list[Version], clearance: Clearance | None) -> Names:
    names = {("assets.version", str(v.pk)): f"{v.variant.asset.key} v{v.number}" for v in versions}
    if clearance is not None:
        template = clearance.template
        names[("templates_app.template", str(template.pk))] = f"template {template.name}"
        names[("templates_app.clearance", str(clearance.pk))] = f"clearance {clearance.pk}"
    return names


def _events_of(versions: list[Version], clearance: Clearance | None) -> Q:
    """Select the audit events behind versions and a clearance (its own pre-flight event, and
    the deliveries of its earlier packs)."""
    condition = Q(target_type="assets.version", target_id__in=[str(v.pk) for v in versions])
    if clearance is not None:
        condition |= Q(action="preflight.checked", data__clearance=clearance.pk)
        condition |= Q(target_type="templates_app.clearance", target_id=str(clearance.pk))
    return condition


def _runs_versions(run: ProductionRun) -> list[Version]:
    used = run.records.exclude(version=None).order_by().values_list("version_id", flat=True)
    ids = set(used.distinct())
    if run.clearance is not None:
        ids |= {entry["version"] for entry in run.clearance.evidence.get("resolved", [])}
    return list(Version.objects.filter(pk__in=ids).select_related("variant__asset"))


def run_pack(run: ProductionRun, stamp: Stamp) -> bytes:
    """Return the evidence pack of one run as PDF bytes."""
    pack = Pack(f"Evidence pack: run {run.run_id}")
    pack.stamp(
        stamp,
        f"run {run.run_id} (id {run.pk}) of {run.template.name}: its clearance, the versions it "
        "used and their decisions, its usage and exceptions, and the audit events of them all",
    )
    pack.facts(
        [
            ("Template", f"{run.template.name} ({run.template.exstream_id})"),
            ("Unit", run.business_unit.name),
            ("Ran", f"{_time(run.started_at)} - {_time(run.finished_at)} UTC"),
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
    _samples_section(pack, run)
    exceptions = list(run.exceptions.select_related("decided_by"))
    _exceptions_section(pack, exceptions)
    names = _names(versions, run.clearance)
    names[("usage.productionrun", str(run.pk))] = f"run {run.run_id}"
    for exception in exceptions:
        key = ("usage.usageexception", str(exception.pk))
        names[key] = f"{exception.code} in run {run.run_id}"
    _audit_section(
        pack,
        _events_of(versions, run.clearance)
        | Q(target_type="usage.productionrun", target_id=str(run.pk))
        | Q(target_type="usage.usageexception", target_id__in=[str(e.pk) for e in exceptions]),
        names,
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
    rows = [
        (
            f"{record.asset.key} v{record.version.number}"
            if record.version and record.asset
            else f"{record.reported} (unknown)",
            record.version_id or "",
            record.channel,
            " ".join(part or "-" for part in (record.region, record.language, record.segment)),
            record.documents,
            record.pages,
            record.impressions,
        )
        for record in records[:RECORDS_SHOWN]
    ]
    headings = ("Content", "Version id", "Channel", "Region, language, segment")
    pack.grid((*headings, "Documents", "Pages", "Impressions"), rows, (48, 16, 16, 36, 22, 22, 20))
    if run.record_count > RECORDS_SHOWN:
        pack.line_of(f"... {run.record_count - RECORDS_SHOWN} more records in the CSV export.")


def _samples_section(pack: Pack, run: ProductionRun) -> None:
    """The documents the run produced that Govern read: their hashes and each image's match."""
    samples = list(run.samples.prefetch_related("images__version__variant__asset"))
    pack.heading(f"Samples: {len(samples)} produced documents read")
    if not samples:
        pack.line_of("No sample of this run was attached.")
    for sample in samples:
        pack.line_of(
            f"{sample.file_name or 'sample'} ({sample.get_state_display().lower()}, "
            f"{sample.pages_total} pages) sha256 {sample.sha256}"
        )
        rows = [
            (
                image.page,
                str(image.version) if image.version else "-",
                image.get_outcome_display(),
                "exact" if image.difference is None and image.version else image.distance or "",
                image.difference if image.difference is not None else "",
                image.stream_sha256[:16],
            )
            for image in sample.images.all()[:RECORDS_SHOWN]
        ]
        if rows:
            headings = ("Page", "Matched version", "Outcome", "Distance", "Difference", "Image")
            pack.grid(headings, rows, (12, 50, 52, 18, 20, 30))
        _exception_thumbnails(pack, sample)


def _exception_thumbnails(pack: Pack, sample: ProductionSample) -> None:
    """Draw each image of the sample that is an exception, cut from its page as printed."""
    flagged = [image for image in sample.images.all() if image.outcome != "approved"]
    if not flagged or sample.media_type != "application/pdf" or not sample.file:
        return
    data = read_content(sample.file)
    sizes = page_sizes(data, sorted({image.page for image in flagged}))
    pages: dict[int, Image.Image] = {}
    for image in flagged[:THUMBNAILS_SHOWN]:
        if image.page not in sizes:
            continue
        if image.page not in pages:
            pages[image.page] = page_picture(data, image.page, THUMBNAIL_PAGE_WIDTH)
        cut = _cut(pages[image.page], sizes[image.page], image.box)
        named = f" ({image.version})" if image.version else ""
        pack.line_of(f"Page {image.page}: {image.get_outcome_display()}{named}")
        pack.image(cut, w=min(60.0, cut.width / 4), keep_aspect_ratio=True)
    if len(flagged) > THUMBNAILS_SHOWN:
        pack.line_of(f"... {len(flagged) - THUMBNAILS_SHOWN} more on the sample's page.")


def _cut(page: Image.Image, size: tuple[float, float], box: list[float]) -> Image.Image:
    """The part of a drawn page a box in PDF points covers (at least one pixel)."""
    scale = page.width / size[0]
    left, bottom, right, top = box
    area = (left * scale, (size[1] - top) * scale, right * scale, (size[1] - bottom) * scale)
    x0, y0 = max(0, int(area[0])), max(0, int(area[1]))
    cut = page.crop((x0, y0, max(x0 + 1, int(area[2])), max(y0 + 1, int(area[3]))))
    cut.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return cut


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
        axes = charts.Axes(category="Version", value="Documents (count)")
        pack.image(io.BytesIO(charts.bars("Documents per version", points, axes).encode()), w=170)


def _exceptions_section(pack: Pack, found: list[Any]) -> None:
    pack.heading("Exceptions")
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


def clearance_pack(clearance: Clearance, stamp: Stamp) -> bytes:
    """Return the evidence pack of one clearance as PDF bytes."""
    pack = Pack(f"Evidence pack: clearance {clearance.pk}")
    pack.stamp(
        stamp,
        f"clearance {clearance.pk} of {clearance.template.name}: the slots and the versions it "
        "resolved, their decisions, the runs that relied on it and the audit events of them all",
    )
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
    _audit_section(pack, _events_of(versions, clearance), _names(versions, clearance))
    return bytes(pack.output())
