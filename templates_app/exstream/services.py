"""Import templates, components and their image references from Exstream, idempotently.

Exstream names images `<asset key>/<variant>/<profile>` (as Govern pushes them), so a slot that
references such an image binds the asset with that key. Images Govern does not know are
reported, not guessed.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from assets.models import TEXT_KINDS, Asset
from assets.selectors import clean_selectors
from audit.services import audit_record
from govern.models import BusinessUnit
from templates_app import graph
from templates_app.models import (
    Binding,
    Composition,
    Delivery,
    ExstreamGap,
    Template,
    TemplateKind,
)


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        done = (
            ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()) if n) or "no changes"
        )
        return done + (f"; {len(self.problems)} problem(s)" if self.problems else "")


def templates_import(*, unit: BusinessUnit, items: list[dict[str, Any]]) -> ImportReport:
    """Mirror Exstream's templates of one unit into Template, Composition and Binding."""
    report = ImportReport()
    with transaction.atomic():
        mirrored = [(item, _template(unit, item, report)) for item in items]
        templates = {item["id"]: t for item, t in mirrored if t is not None}
        for item, template in mirrored:
            if template is not None:
                _components(templates, item, report)
                _bindings(unit, template, item, report)
        audit_record(
            action="exstream.imported",
            unit_id=unit.pk,
            data={
                "counts": dict(report.counts),
                "problems": report.problems[:50],
                "removed": report.removed[:50],
            },
        )
    return report


def _template(unit: BusinessUnit, item: dict[str, Any], report: ImportReport) -> Template | None:
    kind = item.get("type") if item.get("type") in TemplateKind.values else TemplateKind.DOCUMENT
    wanted: dict[str, Any] = {"name": item["name"], "kind": kind, "business_unit": unit}
    if "channels" in item:  # DAS does not say a communication's channels: they stay as set
        wanted["channels"] = clean_selectors(channels=item.get("channels") or []).channels
    template = Template.objects.filter(exstream_id=item["id"]).first()
    if template is None:
        report.counts["templates created"] += 1
        return Template.objects.create(exstream_id=item["id"], **wanted)
    if template.business_unit_id != unit.pk:  # another unit's import mirrors it
        report.problems.append(f"{item['id']} belongs to another unit; left alone.")
        return None
    changed = [name for name, value in wanted.items() if getattr(template, name) != value]
    if changed:
        for name in changed:
            setattr(template, name, wanted[name])
        template.save(update_fields=changed)
        report.counts["templates updated"] += 1
    return template


def _components(templates: dict[str, Template], item: dict[str, Any], report: ImportReport) -> None:
    parent = templates[item["id"]]
    wanted = {templates[c].pk for c in item.get("components", []) if c in templates}
    for missing in set(item.get("components", [])) - set(templates):
        report.problems.append(f"{item['id']} uses component {missing}, not in this unit.")
    existing = set(Composition.objects.filter(parent=parent).values_list("child_id", flat=True))
    for child_id in wanted - existing:
        if parent.pk in graph.contents_of(child_id):
            report.problems.append(f"{item['id']} would contain itself through {child_id}.")
            continue
        Composition.objects.create(parent=parent, child_id=child_id)
        report.counts["components linked"] += 1
    removed, _ = Composition.objects.filter(parent=parent, child_id__in=existing - wanted).delete()
    report.counts["components unlinked"] += removed


def _pushed(resource: str | None, unit: BusinessUnit) -> Asset | None:
    """The asset whose rendition Govern pushed as this DAS resource (its id is remembered in
    the delivery's reference, "<id>:<version>")."""
    if not resource:
        return None
    delivery = (
        Delivery.objects.filter(remote_reference__startswith=f"{resource}:")
        .select_related("version__variant__asset")
        .first()
    )
    asset = delivery.version.variant.asset if delivery else None
    return asset if asset is not None and asset.business_unit_id == unit.pk else None


def _named(image: str, unit: BusinessUnit) -> Asset | None:
    """The asset an image's name starts with (Govern names them <key>/<variant>/<profile>)."""
    return Asset.objects.filter(key=image.split("/", 1)[0], business_unit=unit).first()


def _slots_of(template: Template, asset: Asset) -> list[str]:
    """DAS's links name no slot: keep every slot the asset already fills in the template, else
    name one after the asset."""
    slots = Binding.objects.filter(template=template, asset=asset).values_list("slot", flat=True)
    return list(slots) or [asset.key]


def _bindings(
    unit: BusinessUnit, template: Template, item: dict[str, Any], report: ImportReport
) -> None:
    slots = {}
    for image in item.get("images", []):
        asset = _pushed(image.get("resource"), unit) or _named(image["image"], unit)
        if asset is None:
            where = f"{item['id']}.{image['slot']}" if image["slot"] else item["id"]
            key = image["image"].split("/", 1)[0]
            report.problems.append(
                f"{where}: image {image['image']} is not one Govern pushed, "
                f"and {unit.slug} has no asset {key}."
            )
            continue
        for slot in [image["slot"]] if image["slot"] else _slots_of(template, asset):
            slots[slot] = asset
    for slot, asset in slots.items():
        binding, created = Binding.objects.get_or_create(
            template=template, slot=slot, defaults={"asset": asset}
        )
        if created:
            report.counts["bindings created"] += 1
        elif binding.asset_id != asset.pk and binding.pinned_version_id is None:
            binding.asset = asset
            binding.save(update_fields=["asset"])
            report.counts["bindings updated"] += 1
    _unbind_gone(template, set(slots), report)


def _unbind_gone(template: Template, slots: set[str], report: ImportReport) -> None:
    """Remove the image bindings Exstream no longer links; text (disclaimers, legal texts) is
    not pushed as an Exstream resource, so its bindings are the designers' and stay."""
    gone = (
        Binding.objects.filter(template=template)
        .exclude(slot__in=slots)
        .exclude(asset__kind__in=TEXT_KINDS)
    )
    for slot, key in gone.values_list("slot", "asset__key"):
        report.removed.append(f"{template.exstream_id}.{slot} ({key}): Exstream links it no more.")
    removed, _ = gone.delete()
    report.counts["bindings removed"] += removed


def gaps_record(*, asset: Asset, communications: list[str]) -> bool:
    """Keep, for the asset, the communications Exstream uses it in that Govern does not know
    of, as the last cross-check found them; audited when they change. Say whether they did."""
    with transaction.atomic():
        known = set(
            ExstreamGap.objects.select_for_update(no_key=True)
            .filter(asset=asset)
            .values_list("communication", flat=True)
        )
        found = set(communications)
        if known == found:
            return False
        ExstreamGap.objects.filter(asset=asset, communication__in=known - found).delete()
        ExstreamGap.objects.bulk_create(
            [ExstreamGap(asset=asset, communication=name) for name in sorted(found - known)]
        )
        audit_record(
            action="exstream.gaps_found",
            target=asset,
            unit_id=asset.business_unit_id,
            data={"asset": asset.key, "communications": sorted(found)},
        )
    return True
