"""Pull licensed assets from Smint.io: purchases, their terms and binaries, and cancellations.

Every batch is downloaded first and then applied in one transaction together with the feed
cursor, so the cursor never moves past a batch that was not committed. Re-delivered purchases
update in place; a binary version already synced is skipped; a cancelled purchase withdraws its
approved versions through the same service as a compliance withdrawal.
"""

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assets import smintio
from assets.models import (
    Asset,
    BusinessUnit,
    LicensePurchase,
    LicenseTerm,
    SmintioConnection,
    Source,
    Version,
    VersionState,
    VocabularyLabel,
)
from assets.selectors import clean_selectors
from assets.services import version_create, version_reject, version_submit, version_withdraw
from assets.uploads import Content, UploadRejected, inspect_bytes
from audit.chain import canonical_json
from audit.services import audit_record
from govern.errors import Conflict

TERM_LISTS = [
    "exclusivities",
    "allowed_usages",
    "restricted_usages",
    "allowed_sizes",
    "restricted_sizes",
    "allowed_placements",
    "restricted_placements",
    "allowed_distributions",
    "restricted_distributions",
    "allowed_geographies",
    "restricted_geographies",
    "allowed_industries",
    "restricted_industries",
    "allowed_languages",
    "restricted_languages",
    "usage_limits",
]
TERM_DATES = ["valid_from", "valid_until", "to_be_used_until"]


@dataclass
class SyncReport:
    purchases: int = 0
    versions: int = 0
    terms: int = 0
    cancelled: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.purchases} purchases, {self.versions} new versions, {self.terms} new "
            f"terms, {self.cancelled} cancelled"
        )
        return text + (f"; {len(self.problems)} problem(s)" if self.problems else "")


@dataclass
class Binary:
    uuid: str
    version: int
    content: Content | None


def smintio_sync(*, api: smintio.SmintioClient | None = None) -> SyncReport:
    """Pull every batch after the stored cursor until Smint.io has nothing new."""
    api = api or smintio.client()
    unit = BusinessUnit.objects.filter(slug=settings.SMINTIO_UNIT).first()
    if unit is None:
        raise smintio.SmintioError(
            f"SMINTIO_UNIT '{settings.SMINTIO_UNIT}' names no unit.", retryable=False
        )
    report = SyncReport()
    _vocabularies(api)
    connection, _ = SmintioConnection.objects.get_or_create(pk=1)
    cursor = connection.continuation_uuid
    while True:
        page = api.purchases(cursor, settings.SMINTIO_BATCH)
        if not page.purchases:
            break
        prepared = [(lpt, _binaries(api, lpt, report)) for lpt in page.purchases]
        with transaction.atomic():
            for lpt, binaries in prepared:
                purchase_apply(lpt=lpt, binaries=binaries, unit=unit, report=report)
            SmintioConnection.objects.filter(pk=connection.pk).update(
                continuation_uuid=page.continuation_uuid
            )
        cursor = page.continuation_uuid
    SmintioConnection.objects.filter(pk=connection.pk).update(
        last_sync_at=timezone.now(), last_error=""
    )
    return report


def _vocabularies(api: smintio.SmintioClient) -> None:
    rows = [
        VocabularyLabel(
            vocabulary=vocabulary,
            key=item["key"],
            culture=name["culture"],
            label=name["value"][:500],
        )
        for vocabulary, items in api.generic_metadata().items()
        for item in items
        for name in item.get("name") or []
    ]
    VocabularyLabel.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["vocabulary", "key", "culture"],
        update_fields=["label"],
    )


def _external_id(lpt: dict[str, Any], binary_uuid: str, version: int) -> str:
    return f"smintio:{lpt['uuid']}:{binary_uuid}:{version}"


def _binaries(api: smintio.SmintioClient, lpt: dict[str, Any], report: SyncReport) -> list[Binary]:
    """Download the binaries this purchase has that Govern does not have yet."""
    if lpt.get("state") == "cancelled" or not lpt.get("can_be_synced", True):
        return []
    fetched_at = time.monotonic()
    listed = api.binaries(lpt["cart_purchase_transaction_uuid"], lpt["uuid"])
    binaries = []
    for binary in listed:
        if Version.objects.filter(
            external_id=_external_id(lpt, binary["uuid"], binary["version"])
        ).exists():
            binaries.append(Binary(binary["uuid"], binary["version"], None))
            continue
        if time.monotonic() - fetched_at > settings.SMINTIO_URL_MAX_AGE_SECONDS:
            listed_again = api.binaries(lpt["cart_purchase_transaction_uuid"], lpt["uuid"])
            binary = next(b for b in listed_again if b["uuid"] == binary["uuid"])
            fetched_at = time.monotonic()
        binaries.append(Binary(binary["uuid"], binary["version"], _content(api, binary, report)))
    return binaries


def _content(
    api: smintio.SmintioClient, binary: dict[str, Any], report: SyncReport
) -> Content | None:
    try:
        with api.download(binary["download_url"], settings.UPLOAD_MAX_BYTES) as stream:
            return inspect_bytes(stream.read())
    except UploadRejected as refusal:
        report.problems.append(f"Binary {binary['uuid']} refused: {refusal.detail}")
    except smintio.SmintioError as error:
        if error.retryable:
            raise
        report.problems.append(f"Binary {binary['uuid']} not downloaded: {error.detail}")
    return None


def _localized(values: list[dict[str, Any]] | None, culture: str = "en") -> str:
    values = values or []
    chosen = next((v for v in values if v.get("culture") == culture), values[0] if values else {})
    return str(chosen.get("value", ""))


def _asset(lpt: dict[str, Any], unit: BusinessUnit) -> Asset:
    element = lpt["content_element"]
    earlier = LicensePurchase.objects.filter(content_element_uuid=element["uuid"]).first()
    if earlier is not None:
        return earlier.asset
    slug = re.sub(r"[^a-z0-9]+", "-", element["uuid"].lower()).strip("-")
    key = f"smintio.{re.sub(r'[^a-z0-9]+', '-', element.get('provider', 'x').lower())}.{slug}"
    asset, created = Asset.objects.get_or_create(
        key=key,
        defaults={
            "title": _localized(element.get("name")) or key,
            "business_unit": unit,
            "kind": settings.SMINTIO_ASSET_KIND,
            "source": Source.SMINTIO,
        },
    )
    if created:
        audit_record(
            action="asset.created",
            target=asset,
            unit_id=unit.pk,
            data={"key": key, "source": "smintio", "content_element": element["uuid"]},
        )
    return asset


def _editorial(terms: list[dict[str, Any]]) -> bool | None:
    """Roll terms up as Smint.io does: any true is true, else any false is false, else unknown."""
    values = {term.get("is_editorial_use") for term in terms}
    return True if True in values else False if False in values else None


def _purchase(lpt: dict[str, Any], asset: Asset) -> tuple[LicensePurchase, bool]:
    element, constraints = lpt["content_element"], lpt.get("license_download_constraints") or {}
    release = element.get("release_details") or {}
    text = _localized((lpt.get("license_text") or {}).get("effective_text"))
    fields = {
        "cart_uuid": lpt["cart_purchase_transaction_uuid"],
        "asset": asset,
        "state": lpt.get("state", ""),
        "content_element_uuid": element["uuid"],
        "provider": element.get("provider") or "",
        "content_category": element.get("content_category") or "",
        "license_type": (lpt.get("offering") or {}).get("license_type") or "",
        "license_text": nh3.clean(text),
        "is_ai": element.get("is_ai"),
        "is_editorial_use": _editorial(lpt.get("license_terms") or []),
        "has_restrictive_terms": bool(lpt.get("has_potentially_restrictive_license_terms")),
        "max_users": constraints.get("effective_max_users"),
        "max_downloads": constraints.get("effective_max_downloads"),
        "max_reuses": constraints.get("effective_max_reuses"),
        "model_release_state": release.get("model_release_state") or "",
        "property_release_state": release.get("property_release_state") or "",
        "raw": lpt,
        "updated_at": timezone.now(),
    }
    previous = LicensePurchase.objects.filter(uuid=lpt["uuid"]).values_list("state", flat=True)
    was = previous.first()
    cancelled_now = was != "cancelled" and fields["state"] == "cancelled"
    if cancelled_now:
        fields["cancelled_at"] = fields["updated_at"]
    elif fields["state"] != "cancelled":
        fields["cancelled_at"] = None
    purchase, _ = LicensePurchase.objects.update_or_create(uuid=lpt["uuid"], defaults=fields)
    return purchase, cancelled_now


def _date(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _terms(purchase: LicensePurchase, terms: list[dict[str, Any]]) -> int:
    """Keep terms immutable: a changed one becomes a new row and the old one inactive."""
    created = 0
    for term in terms:
        fingerprint = hashlib.sha256(canonical_json(term).encode()).hexdigest()
        active = purchase.terms.filter(sequence_number=term["sequence_number"], active=True)
        if active.filter(fingerprint=fingerprint).exists():
            continue
        active.update(active=False, deactivated_at=timezone.now())
        LicenseTerm.objects.create(
            purchase=purchase,
            sequence_number=term["sequence_number"],
            fingerprint=fingerprint,
            name=term.get("name") or [],
            is_editorial_use=term.get("is_editorial_use"),
            **{name: term.get(name) for name in TERM_LISTS},
            **{name: _date(term.get(name)) for name in TERM_DATES},
        )
        created += 1
    delivered = [term["sequence_number"] for term in terms]
    purchase.terms.filter(active=True).exclude(sequence_number__in=delivered).update(
        active=False, deactivated_at=timezone.now()
    )
    return created


def purchase_apply(
    *, lpt: dict[str, Any], binaries: list[Binary], unit: BusinessUnit, report: SyncReport
) -> LicensePurchase:
    """Create or update one purchase with its terms and new binary versions, in review."""
    asset = _asset(lpt, unit)
    purchase, cancelled_now = _purchase(lpt, asset)
    report.purchases += 1
    report.terms += _terms(purchase, lpt.get("license_terms") or [])
    for index, binary in enumerate(binaries):
        if binary.content is None:
            continue
        segment = f"b{index + 1}" if len(binaries) > 1 else ""
        report.versions += _add_version(asset, purchase, lpt, binary, segment, report)
    if cancelled_now:
        _revoke(purchase)
        report.cancelled += 1
    return purchase


def _add_version(
    asset: Asset,
    purchase: LicensePurchase,
    lpt: dict[str, Any],
    binary: Binary,
    segment: str,
    report: SyncReport,
) -> int:
    assert binary.content is not None  # noqa: S101 - filtered by the caller
    try:
        with transaction.atomic():
            version = version_create(
                asset=asset,
                selectors=clean_selectors(segment=segment),
                content=binary.content,
                actor=None,
                external_id=_external_id(lpt, binary.uuid, binary.version),
                purchase=purchase,
            )
    except Conflict as conflict:
        report.problems.append(f"Binary {binary.uuid}: {conflict.detail}")
        return 0
    try:
        version_submit(version=version, actor=None)  # in review: never approved by a sync
    except ValidationError as failed:
        report.problems.append(f"Binary {binary.uuid} stays a draft: {' '.join(failed.messages)}")
    return 1


def _revoke(purchase: LicensePurchase) -> None:
    """A cancelled purchase has no valid licence: take its versions out of use and review."""
    reason = f"The Smint.io purchase {purchase.uuid} was cancelled; its licence is void."
    for version in purchase.versions.filter(state=VersionState.APPROVED):
        version_withdraw(version=version, actor=None, comment=reason)
    for version in purchase.versions.filter(state=VersionState.IN_REVIEW):
        version_reject(version=version, actor=None, comment=reason)
    audit_record(
        action="smintio.purchase_cancelled",
        target=purchase,
        unit_id=purchase.asset.business_unit_id,
        data={"purchase": purchase.uuid, "asset": purchase.asset.key},
    )
