"""Pull licensed assets from Smint.io: purchases, their terms and binaries, and cancellations.

Every batch is downloaded first and then applied in one transaction together with the feed
cursor, so the cursor never moves past a batch that was not committed. Each purchase is applied
in a savepoint: one that cannot be mapped is quarantined with its payload and the reason, and
the rest of the batch commits. Purchases without a content element, and new ones Smint.io says
cannot be synced, are skipped and logged, as the SDKs do. Re-delivered purchases update in
place; a binary version already synced is skipped; a second purchase of the same content
attaches to the version as another licence; a cancelled purchase withdraws a version only when
no other valid purchase licenses it.
"""

import hashlib
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from assets.models import (
    Asset,
    LicenseeUnit,
    LicensePurchase,
    LicenseTerm,
    QuarantinedPurchase,
    QuarantineState,
    SmintioConnection,
    Source,
    Version,
    VersionLicence,
    VersionState,
    VocabularyLabel,
)
from assets.rights.readings import readings_outdate
from assets.selectors import Selectors, clean_selectors
from assets.services import version_create, version_reject, version_submit, version_withdraw
from assets.smintio import client as smintio
from assets.smintio import connection as smintio_connection
from assets.smintio.mapping import (
    COUNTERS,
    MappingError,
    by_culture,
    check_purchase,
    licence_text,
    localized_elements,
    localized_strings,
    pick,
    provider_texts,
    state,
    vocabulary_labels,
)
from assets.uploads import Content, UploadRejected, inspect_bytes
from audit.chain import canonical_json
from audit.services import audit_record
from govern.errors import Conflict
from govern.models import BusinessUnit

logger = logging.getLogger(__name__)


@dataclass
class SyncReport:
    purchases: int = 0
    versions: int = 0
    terms: int = 0
    cancelled: int = 0
    licences: int = 0  # re-purchases attached to a version Govern already had
    outdated_readings: int = 0  # readings of a licence that arrived changed
    skipped: int = 0
    quarantined: int = 0
    vocabulary_skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.purchases} purchases, {self.versions} new versions, {self.terms} new "
            f"terms, {self.cancelled} cancelled, {self.licences} licences attached, "
            f"{self.skipped} skipped, {self.quarantined} quarantined"
        )
        if self.outdated_readings:
            text += f", {self.outdated_readings} licence reading(s) outdated"
        return text + (f"; {len(self.problems)} problem(s)" if self.problems else "")


@dataclass
class Binary:
    uuid: str
    version: int
    content: Content | None
    # As the SDK means them: the culture is the binary's language (a Java Locale), the type
    # and usage say what it is for, and the recommended name is the file's name.
    culture: str = ""
    binary_type: str = ""
    usage: str = ""
    file_name: str = ""

    def described(self) -> dict[str, str]:
        """What the version keeps of its binary, in its metadata (shown on the review page)."""
        return {
            "smintio_binary": self.uuid,
            "culture": self.culture,
            "binary_type": self.binary_type,
            "binary_usage": self.usage,
            "file_name": self.file_name,
        }


def smintio_sync(*, api: smintio.SmintioClient | None = None) -> SyncReport:
    """Pull every batch after the stored cursor until Smint.io has nothing new."""
    api = api or smintio_connection.client()
    unit = BusinessUnit.objects.filter(slug=settings.SMINTIO_UNIT).first()
    if unit is None:
        raise smintio.SmintioError(
            f"SMINTIO_UNIT '{settings.SMINTIO_UNIT}' names no unit.", retryable=False
        )
    units = licensee_units()
    report = SyncReport()
    _vocabularies(api, report)
    connection, _ = SmintioConnection.objects.get_or_create(pk=1)
    cursor = connection.continuation_uuid
    while True:
        page = api.purchases(cursor, settings.SMINTIO_BATCH)
        if not page.purchases:
            break
        prepared = [prepare(api, lpt, report) for lpt in page.purchases]
        with transaction.atomic():
            for item in prepared:
                settle(item, unit_of(item.lpt, units, unit), report)
            SmintioConnection.objects.filter(pk=connection.pk).update(
                continuation_uuid=page.continuation_uuid
            )
        cursor = page.continuation_uuid
    SmintioConnection.objects.filter(pk=connection.pk).update(
        last_sync_at=timezone.now(), last_error=""
    )
    return report


def licensee_units() -> dict[str, BusinessUnit]:
    """Return the unit each mapped Smint.io licensee's purchases belong to (one query)."""
    mapped = LicenseeUnit.objects.select_related("business_unit")
    return {each.licensee_uuid: each.business_unit for each in mapped}


def unit_of(lpt: Any, units: dict[str, BusinessUnit], fallback: BusinessUnit) -> BusinessUnit:
    """The unit a new purchase's asset belongs to: its licensee's, or SMINTIO_UNIT's."""
    licensee = lpt.get("licensee_uuid") if isinstance(lpt, dict) else None
    return units.get(licensee, fallback) if isinstance(licensee, str) else fallback


@dataclass
class Prepared:
    """A purchase of a batch, checked and with its new binaries downloaded, or why not."""

    lpt: Any
    binaries: list[Binary] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    skip: str = ""
    error: str = ""


def prepare(api: smintio.SmintioClient, lpt: Any, report: SyncReport) -> Prepared:
    """Check a purchase and download what it brings; a network failure stops the batch."""
    try:
        checked = check_purchase(lpt)
    except MappingError as error:
        if error.field == "content_element" and lpt.get("content_element") is None:
            return Prepared(lpt, skip="it has no content element")
        return Prepared(lpt, error=str(error))
    known = LicensePurchase.objects.filter(uuid=lpt["uuid"]).exists()
    if lpt.get("can_be_synced") is False and not known:
        return Prepared(lpt, skip="Smint.io says it cannot be synced")
    try:
        binaries = [] if lpt.get("can_be_synced") is False else _binaries(api, lpt, report)
    except (MappingError, KeyError, TypeError) as error:
        return Prepared(lpt, error=f"binaries: {error}")
    except smintio.SmintioError as error:
        if error.retryable:
            raise
        return Prepared(lpt, error=error.detail)
    return Prepared(lpt, binaries, checked["terms"])


MAPPING_FAILURES = (
    MappingError,
    KeyError,
    TypeError,
    ValueError,
    ValidationError,
    Conflict,
    IntegrityError,
    DataError,
)


def settle(item: Prepared, unit: BusinessUnit, report: SyncReport) -> None:
    """Apply one prepared purchase in a savepoint; quarantine it if it cannot be mapped. A
    cancellation lands first, whatever else the purchase holds."""
    uuid = str(item.lpt.get("uuid") or "") if isinstance(item.lpt, dict) else ""
    _cancel_first(item.lpt, report)
    if item.skip:
        report.skipped += 1
        report.problems.append(f"Purchase {uuid or '?'} skipped: {item.skip}.")
        logger.info("Smint.io purchase %s skipped: %s", uuid, item.skip)
        return
    if item.error:
        quarantine(item.lpt, item.error, report)
        return
    before = replace(report, problems=list(report.problems))
    try:
        with transaction.atomic():
            purchase_apply(
                lpt=item.lpt, binaries=item.binaries, unit=unit, report=report, terms=item.terms
            )
    except MAPPING_FAILURES as error:
        for name in (
            *("purchases", "versions", "terms", "cancelled", "licences", "problems"),
            "outdated_readings",
        ):
            setattr(report, name, getattr(before, name))
        quarantine(item.lpt, f"{type(error).__name__}: {error}", report)
    else:
        if uuid:  # it maps now: the quarantine it had is resolved
            QuarantinedPurchase.objects.filter(uuid=uuid, state=QuarantineState.OPEN).update(
                state=QuarantineState.RESOLVED, updated_at=timezone.now()
            )


def _cancel_first(lpt: Any, report: SyncReport) -> None:
    """Cancel a known purchase from its uuid and state alone, before anything else of it is
    mapped: a malformed field elsewhere in it must never keep a void licence in use."""
    said = lpt.get("state") if isinstance(lpt, dict) else None
    if not isinstance(said, str) or said.strip().lower() != "cancelled":
        return
    with transaction.atomic():
        purchase = (
            LicensePurchase.objects.select_for_update(no_key=True)
            .filter(uuid=str(lpt.get("uuid") or ""))
            .exclude(state="cancelled")
            .first()
        )
        if purchase is None:
            return
        now = timezone.now()
        purchase.state, purchase.cancelled_at, purchase.updated_at = "cancelled", now, now
        purchase.save(update_fields=["state", "cancelled_at", "updated_at"])
        _revoke(purchase)
    report.cancelled += 1


def quarantine(lpt: Any, error: str, report: SyncReport) -> QuarantinedPurchase:
    """Keep a purchase that cannot be mapped, with its payload and the reason, audited."""
    uuid = str(lpt.get("uuid") or "")[:200] if isinstance(lpt, dict) else ""
    # A payload without a uuid cannot be told apart from another: each is kept on its own.
    held = (
        QuarantinedPurchase.objects.filter(uuid=uuid, state=QuarantineState.OPEN).first()
        if uuid
        else None
    )
    if held is None:
        held = QuarantinedPurchase.objects.create(uuid=uuid, payload=lpt, error=error)
    else:
        held.payload, held.error, held.attempts = lpt, error, held.attempts + 1
        held.updated_at = timezone.now()
        held.save(update_fields=["payload", "error", "attempts", "updated_at"])
    report.quarantined += 1
    report.problems.append(f"Purchase {uuid or '?'} quarantined: {error}")
    logger.warning(
        "Smint.io purchase %s quarantined (see /assets/smintio/quarantine/): %s", uuid, error
    )
    audit_record(
        action="smintio.purchase_quarantined",
        target=held,
        data={"purchase": uuid, "error": error[:500], "attempts": held.attempts},
    )
    return held


def _vocabularies(api: smintio.SmintioClient, report: SyncReport) -> None:
    """Store every label of every vocabulary element, per culture."""
    rows, skipped = vocabulary_labels(api.generic_metadata())
    report.vocabulary_skipped = skipped
    VocabularyLabel.objects.bulk_create(
        [
            VocabularyLabel(vocabulary=vocabulary, key=key, culture=culture, label=label)
            for vocabulary, key, culture, label in rows
        ],
        update_conflicts=True,
        unique_fields=["vocabulary", "key", "culture"],
        update_fields=["label"],
    )


def _external_id(lpt: dict[str, Any], binary_uuid: str, version: int) -> str:
    return f"smintio:{lpt['uuid']}:{binary_uuid}:{version}"


def _binaries(api: smintio.SmintioClient, lpt: dict[str, Any], report: SyncReport) -> list[Binary]:
    """Download the binaries this purchase has that Govern does not have yet."""
    if state(lpt) == "cancelled":
        return []
    fetched_at = time.monotonic()
    listed = [
        _checked_binary(b, n)
        for n, b in enumerate(api.binaries(lpt["cart_purchase_transaction_uuid"], lpt["uuid"]))
    ]
    binaries = []
    for binary in listed:
        described = {name: binary[name] for name in BINARY_DETAILS}
        if Version.objects.filter(
            external_id=_external_id(lpt, binary["uuid"], binary["version"])
        ).exists():
            binaries.append(Binary(binary["uuid"], binary["version"], None, **described))
            continue
        if time.monotonic() - fetched_at > settings.SMINTIO_URL_MAX_AGE_SECONDS:
            listed_again = api.binaries(lpt["cart_purchase_transaction_uuid"], lpt["uuid"])
            binary = next(b for b in listed_again if b["uuid"] == binary["uuid"])
            fetched_at = time.monotonic()
        content = _content(api, binary, report)
        binaries.append(Binary(binary["uuid"], binary["version"], content, **described))
    return binaries


def _checked_binary(binary: dict[str, Any], position: int) -> dict[str, Any]:
    """Read a SyncBinary: its uuid, its version (1 when Smint.io leaves it out), its URL."""
    field_name = f"binaries[{position}]"
    if not isinstance(binary.get("uuid"), str) or not binary["uuid"]:
        raise MappingError(f"{field_name}.uuid", "must be a non-empty string")
    if not isinstance(binary.get("download_url"), str):
        raise MappingError(f"{field_name}.download_url", "must be a URL")
    version = binary.get("version")
    if version is None:
        version = 1
    if isinstance(version, bool) or not isinstance(version, int):
        raise MappingError(f"{field_name}.version", "must be a whole number")
    for name in ("culture", "binary_type", "recommended_file_name"):
        if binary.get(name) is not None and not isinstance(binary[name], str):
            raise MappingError(f"{field_name}.{name}", "must be a string or null")
    usage = localized_strings(binary.get("usage"), f"{field_name}.usage")
    return {
        **binary,
        "version": version,
        "culture": str(binary.get("culture") or "").strip().replace("_", "-")[:35],
        "binary_type": str(binary.get("binary_type") or "")[:100],
        "usage": pick(usage)[:300],
        "file_name": safe_file_name(str(binary.get("recommended_file_name") or "")),
    }


BINARY_DETAILS = ("culture", "binary_type", "usage", "file_name")
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._\- ]+")


def safe_file_name(name: str) -> str:
    """A recommended file name fit for a Content-Disposition header: no path, no quotes."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return UNSAFE_NAME.sub("_", base).strip(" .")[:200]


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


def _asset(lpt: dict[str, Any], unit: BusinessUnit) -> Asset:
    element = lpt["content_element"]
    reused = lpt.get("reused_license_purchase_transaction_uuid")
    earlier = (
        LicensePurchase.objects.filter(uuid=reused).first() if reused else None
    ) or LicensePurchase.objects.filter(content_element_uuid=element["uuid"]).first()
    if earlier is not None:
        return earlier.asset
    slug = re.sub(r"[^a-z0-9]+", "-", element["uuid"].lower()).strip("-")
    key = f"smintio.{re.sub(r'[^a-z0-9]+', '-', element.get('provider', 'x').lower())}.{slug}"
    asset, created = Asset.objects.get_or_create(
        key=key,
        defaults={
            "title": pick(localized_strings(element.get("name"), "name"))[:300] or key,
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
    texts, _safe = licence_text(lpt)  # sanitised whatever the flag says: it may be wrong
    cleaned = {culture: nh3.clean(text) for culture, text in by_culture(texts).items()}
    offering = lpt.get("offering") or {}
    fields = {
        "cart_uuid": lpt["cart_purchase_transaction_uuid"],
        "asset": asset,
        "state": state(lpt),
        "content_element_uuid": element["uuid"],
        "provider": str(element.get("provider") or "")[:100],
        "content_category": str(element.get("content_category") or "")[:100],
        "license_type": str(offering.get("license_type") or "")[:100],
        "license_text": cleaned.get("en") or next(iter(cleaned.values()), ""),
        "license_texts": cleaned,
        "license_urls": localized_elements(offering.get("license_urls"), "offering.license_urls"),
        "copyright_notices": localized_strings(element.get("copyright_notices"), "copyright"),
        "keywords": localized_elements(element.get("keywords"), "keywords"),
        "is_ai": element.get("is_ai") if isinstance(element.get("is_ai"), bool) else None,
        "is_editorial_use": _editorial(lpt.get("license_terms") or []),
        "has_restrictive_terms": lpt.get("has_potentially_restrictive_license_terms"),
        "reused_uuid": str(lpt.get("reused_license_purchase_transaction_uuid") or "")[:100],
        "max_users": constraints.get("effective_max_users"),
        "max_downloads": constraints.get("effective_max_downloads"),
        "max_reuses": constraints.get("effective_max_reuses"),
        **{name: lpt.get(name) for name in COUNTERS},
        "provider_texts": provider_texts(release),
        "licensee_uuid": str(lpt.get("licensee_uuid") or "")[:100],
        "licensee_name": str(lpt.get("licensee_name") or "")[:200],
        "model_release_state": str(release.get("model_release_state") or "")[:32],
        "property_release_state": str(release.get("property_release_state") or "")[:32],
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


def _terms(purchase: LicensePurchase, raw: list[Any], terms: list[dict[str, Any]]) -> int:
    """Keep terms immutable: a changed one becomes a new row and the old one inactive."""
    created = 0
    for delivered, term in zip(raw, terms, strict=True):
        fingerprint = hashlib.sha256(canonical_json(delivered).encode()).hexdigest()
        active = purchase.terms.filter(sequence_number=term["sequence_number"], active=True)
        if active.filter(fingerprint=fingerprint).exists():
            continue
        active.update(active=False, deactivated_at=timezone.now())
        LicenseTerm.objects.create(purchase=purchase, fingerprint=fingerprint, **term)
        created += 1
    numbers = [term["sequence_number"] for term in terms]
    purchase.terms.filter(active=True).exclude(sequence_number__in=numbers).update(
        active=False, deactivated_at=timezone.now()
    )
    return created


def purchase_apply(
    *,
    lpt: dict[str, Any],
    binaries: list[Binary],
    unit: BusinessUnit,
    report: SyncReport,
    terms: list[dict[str, Any]] | None = None,
) -> LicensePurchase:
    """Create or update one purchase with its terms and new binary versions, in review."""
    if terms is None:
        terms = check_purchase(lpt)["terms"]
    asset = _asset(lpt, unit)
    purchase, cancelled_now = _purchase(lpt, asset)
    report.purchases += 1
    report.terms += _terms(purchase, lpt.get("license_terms") or [], terms)
    report.outdated_readings += readings_outdate(purchase=purchase)
    report.licences += _attach_reused(purchase)
    languages = _languages(binaries, report)
    shared = Counter(languages.values())
    for binary in binaries:
        if binary.content is None:
            continue
        holding = _holding(asset, binary.content.sha256)
        if holding is not None:  # the same bytes again: another licence, not another copy
            report.licences += _attach(holding, purchase, "identical bytes")
            continue
        language = languages[binary.uuid]
        selectors = _variant_for(lpt, binary, language, shared[language] > 1)
        report.versions += _add_version(asset, purchase, lpt, binary, selectors, report)
    if cancelled_now:
        _revoke(purchase)
        report.cancelled += 1
    return purchase


LIVE_STATES = (VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.APPROVED)


def _attach(version: Version, purchase: LicensePurchase, why: str) -> bool:
    """License a version Govern has by one more purchase; False when it already is."""
    if version.purchase_id == purchase.pk:
        return False
    _licence, created = VersionLicence.objects.get_or_create(version=version, purchase=purchase)
    if created:
        audit_record(
            action="smintio.licence_attached",
            target=version,
            unit_id=version.variant.asset.business_unit_id,
            data={"version": version.pk, "purchase": purchase.uuid, "because": why},
        )
    return created


def _attach_reused(purchase: LicensePurchase) -> int:
    """A purchase that says it re-licenses an earlier one licenses that one's versions too."""
    if not purchase.reused_uuid:
        return 0
    versions = Version.objects.filter(
        licences__purchase__uuid=purchase.reused_uuid, state__in=LIVE_STATES
    ).select_related("variant__asset")
    return sum(
        _attach(version, purchase, "reused_license_purchase_transaction_uuid")
        for version in versions
    )


def _holding(asset: Asset, sha256: str) -> Version | None:
    """Return the newest live version of the asset with these bytes, if Govern has one."""
    return (
        Version.objects.filter(variant__asset=asset, sha256=sha256, state__in=LIVE_STATES)
        .select_related("variant__asset")
        .order_by("-number")
        .first()
    )


def _languages(binaries: list[Binary], report: SyncReport) -> dict[str, str]:
    """Each binary's variant language: its culture, where the purchase's binaries differ in
    culture (they are language versions of each other). Binaries that all share one culture
    serve every language: Govern cannot tell a photo without words from one in that language.
    A culture that is no BCP 47 tag is noted and serves every language."""
    cultures = {binary.culture for binary in binaries}
    languages = {}
    for binary in binaries:
        language = binary.culture if len(cultures) > 1 else ""
        try:
            language = clean_selectors(language=language).language
        except ValidationError:
            report.problems.append(f"Binary {binary.uuid}: culture {language!r} is no language")
            language = ""
        languages[binary.uuid] = language
    return languages


def _variant_for(
    lpt: dict[str, Any], binary: Binary, language: str, shares_language: bool
) -> Selectors:
    """The variant a binary's versions go to: where its earlier versions went, else its
    language, told apart by the binary's uuid from another binary of the same language."""
    earlier = (
        Version.objects.filter(external_id__startswith=f"smintio:{lpt['uuid']}:{binary.uuid}:")
        .select_related("variant")
        .first()
    )
    if earlier is not None:
        variant = earlier.variant
        return clean_selectors(
            language=variant.language,
            region=variant.region,
            segment=variant.segment,
            channels=variant.channels,
        )
    segment = re.sub(r"[^a-z0-9_-]+", "-", binary.uuid.lower()).strip("-_")[:100]
    return clean_selectors(language=language, segment=segment if shares_language else "")


def _add_version(
    asset: Asset,
    purchase: LicensePurchase,
    lpt: dict[str, Any],
    binary: Binary,
    selectors: Selectors,
    report: SyncReport,
) -> int:
    assert binary.content is not None  # noqa: S101 - filtered by the caller
    binary.content.metadata.update(binary.described())
    try:
        with transaction.atomic():
            version = version_create(
                asset=asset,
                selectors=selectors,
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
    """A cancelled purchase licenses nothing: a version it licensed leaves use and review
    unless another purchase that is not cancelled still licenses it."""
    reason = f"The Smint.io purchase {purchase.uuid} was cancelled; its licence is void."
    licensed = Version.objects.filter(
        Q(purchase=purchase) | Q(licences__purchase=purchase),
        state__in=(VersionState.APPROVED, VersionState.IN_REVIEW),
    ).distinct()
    kept = []
    for version in licensed.select_related("variant__asset"):
        others = (
            LicensePurchase.objects.licensing(version)
            .exclude(pk=purchase.pk)
            .exclude(state="cancelled")
        )
        if others.exists():
            kept.append(version.pk)
        elif version.state == VersionState.APPROVED:
            version_withdraw(version=version, actor=None, comment=reason)
        else:
            version_reject(version=version, actor=None, comment=reason)
    audit_record(
        action="smintio.purchase_cancelled",
        target=purchase,
        unit_id=purchase.asset.business_unit_id,
        data={"purchase": purchase.uuid, "asset": purchase.asset.key, "still_licensed": kept},
    )


def quarantine_retry(
    *, item: QuarantinedPurchase, actor: Any, api: smintio.SmintioClient | None = None
) -> SyncReport:
    """Try a quarantined purchase again (administrators): mapped, it leaves the quarantine."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only administrators retry quarantined purchases.")
    if item.state != QuarantineState.OPEN:
        raise Conflict(
            f"This purchase is {item.get_state_display().lower()} already.", "stale_state"
        )
    unit = BusinessUnit.objects.filter(slug=settings.SMINTIO_UNIT).first()
    if unit is None:
        raise ValidationError(f"SMINTIO_UNIT '{settings.SMINTIO_UNIT}' names no unit.")
    report = SyncReport()
    prepared = prepare(api or smintio_connection.client(), item.payload, report)
    with transaction.atomic():
        settle(prepared, unit_of(item.payload, licensee_units(), unit), report)
        item.refresh_from_db()
        audit_record(
            action="smintio.quarantine_retried",
            actor=actor,
            target=item,
            data={"purchase": item.uuid, "mapped": item.state == QuarantineState.RESOLVED},
        )
    return report


def quarantine_dismiss(*, item: QuarantinedPurchase, actor: Any, reason: str) -> None:
    """Give up on a quarantined purchase (administrators), saying why; it stays on record."""
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only administrators dismiss quarantined purchases.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the purchase is dismissed."})
    with transaction.atomic():
        updated = QuarantinedPurchase.objects.filter(pk=item.pk, state=QuarantineState.OPEN).update(
            state=QuarantineState.DISMISSED, decided_by=actor, updated_at=timezone.now()
        )
        if not updated:
            raise Conflict("This purchase is not waiting any more.", "stale_state")
        audit_record(
            action="smintio.quarantine_dismissed",
            actor=actor,
            target=item,
            data={"purchase": item.uuid, "reason": reason.strip()},
        )
