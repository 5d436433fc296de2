"""The licence card: every purchase licensing a version, everything it states and does not, in
the reader's language first, the provider's words, the download limits and the readings.

One wording everywhere: what a licence leaves out (null or an empty list, which the SDKs do not
tell apart) is "not stated", as the judge says it; only a reading can make a list "none".
"""

from typing import Any

from django.db.models import Prefetch

from assets.models import LicenceReading, LicensePurchase, LicenseTerm, Version, VocabularyLabel
from assets.rights.readings import PROVIDER_TEXTS, READ_LISTS, current, to_read
from assets.smintio.mapping import in_language

NOT_STATED = "not stated"
# (the term lists' common name, what a person calls them, their vocabulary)
DIMENSIONS = (
    ("usages", "Usages", "license_usages"),
    ("geographies", "Regions", "license_geographies"),
    ("languages", "Languages", "license_languages"),
    ("placements", "Placements", "license_placements"),
    ("sizes", "Sizes", "license_sizes"),
    ("distributions", "Distributions", "license_distributions"),
    ("industries", "Industries", "license_industries"),
)
LIMITS = (
    ("Users", "max_users", "current_users"),
    ("Downloads", "max_downloads", "current_downloads"),
    ("Reuses", "max_reuses", "current_reuses"),
)
Labels = dict[tuple[str, str], dict[str, str]]


def licence_card(version: Version, language: str = "en") -> dict[str, Any] | None:
    """Return every purchase licensing the version, with its active terms, in words."""
    if version.purchase_id is None:
        return None
    purchases = list(
        LicensePurchase.objects.licensing(version)
        .order_by("created_at", "pk")
        .prefetch_related(
            Prefetch("terms", LicenseTerm.objects.filter(active=True), to_attr="held"),
            Prefetch("readings", LicenceReading.objects.order_by("-signed_at", "-pk")),
        )
    )
    labels = _labels_of(purchases)
    return {"purchases": [_purchase_card(p, labels, language) for p in purchases]}


def _labels_of(purchases: list[LicensePurchase]) -> Labels:
    """Every label of every key the purchases' terms name, by (vocabulary, key) (one query)."""
    keys = {
        key
        for purchase in purchases
        for term in purchase.held  # type: ignore[attr-defined]
        for name in (*READ_LISTS, "exclusivities")
        for key in (getattr(term, name) or [])
        if isinstance(key, str)
    }
    found: Labels = {}
    for vocabulary, key, culture, label in VocabularyLabel.objects.filter(key__in=keys).values_list(
        "vocabulary", "key", "culture", "label"
    ):
        found.setdefault((vocabulary, key), {})[culture] = label
    return found


def named(keys: Any, vocabulary: str, labels: Labels, language: str) -> str:
    """Name keys by their labels in the reader's language, then English, then the key."""
    if not isinstance(keys, list) or not keys:
        return NOT_STATED
    return ", ".join(
        in_language(labels.get((vocabulary, str(key)), {}), language) or str(key) for key in keys
    )


def _read(field: str, keys: Any, vocabulary: str, labels: Labels, language: str) -> str:
    """What a reading states of a list: an empty allowed list limits nothing ("any"), an empty
    restricted list restricts nothing ("none"); keys are named."""
    if keys == []:
        return "any" if field.startswith("allowed_") else "none"
    return named(keys, vocabulary, labels, language)


def _read_cell(
    term: LicenseTerm,
    field: str,
    stated: dict[str, Any],
    vocabulary: str,
    labels: Labels,
    language: str,
) -> str:
    """The "as read" cell: empty where the reading says nothing of the list, or where it
    cannot change it (an allowed list the term states stands)."""
    if field not in stated or (field.startswith("allowed_") and getattr(term, field)):
        return ""
    return _read(field, stated[field], vocabulary, labels, language)


def _term_rows(
    term: LicenseTerm, stated: dict[str, Any], labels: Labels, language: str
) -> list[dict[str, str]]:
    """One row per list, limit and date: as delivered, and as read where a reading says."""
    rows = []
    for name, label, vocabulary in DIMENSIONS:
        for side in ("allowed", "restricted"):
            field = f"{side}_{name}"
            rows.append(
                {
                    "label": f"{label} {side}",
                    "delivered": named(getattr(term, field), vocabulary, labels, language),
                    "read": _read_cell(term, field, stated, vocabulary, labels, language),
                }
            )
    for field, label, vocabulary in (
        ("usage_limits", "Usage limits", "license_usage_limits"),
        ("exclusivities", "Exclusivities", "license_exclusivities"),
    ):
        rows.append(
            {
                "label": label,
                "delivered": named(getattr(term, field), vocabulary, labels, language),
                "read": _read_cell(term, field, stated, vocabulary, labels, language),
            }
        )
    for field, label in (
        ("valid_from", "Valid from"),
        ("valid_until", "Valid until"),
        ("to_be_used_until", "First use by"),
    ):
        value = getattr(term, field)
        rows.append(
            {
                "label": label,
                "delivered": f"{value:%Y-%m-%d}" if value else NOT_STATED,
                "read": str(stated[field] or "")[:10] if field in stated else "",
            }
        )
    editorial = {True: "yes", False: "no", None: NOT_STATED}
    rows.append(
        {
            "label": "Editorial use only",
            "delivered": editorial[term.is_editorial_use],
            "read": editorial[stated["is_editorial_use"]] if "is_editorial_use" in stated else "",
        }
    )
    return rows


def _limits(purchase: LicensePurchase) -> list[dict[str, Any]]:
    """Smint.io's download constraints: <= 0 is unlimited, null not stated, with its count."""
    rows = []
    for label, limit_field, count_field in LIMITS:
        limit, count = getattr(purchase, limit_field), getattr(purchase, count_field)
        shown = NOT_STATED if limit is None else "unlimited" if limit <= 0 else f"{limit:,}"
        rows.append(
            {
                "label": label,
                "limit": shown,
                "count": "" if count is None else f"{count:,} so far",
                "past": limit is not None and limit > 0 and count is not None and count > limit,
            }
        )
    return rows


def _reading_fields(held: list[LicenseTerm]) -> list[dict[str, str]]:
    """The lists a reading may state: those a term leaves unstated, and every restriction
    (a reading may add to what is restricted, never lift what is allowed)."""
    fields = []
    for name in READ_LISTS:
        unstated = any(not getattr(term, name) for term in held)
        if unstated or not name.startswith("allowed_"):
            fields.append(
                {
                    "name": name,
                    "label": name.replace("_", " ").capitalize(),
                    "note": "not stated" if unstated else "stated: your keys are added",
                }
            )
    return fields


def _purchase_card(purchase: LicensePurchase, labels: Labels, language: str) -> dict[str, Any]:
    held: list[LicenseTerm] = purchase.held  # type: ignore[attr-defined]
    readings = list(purchase.readings.all())
    reading = current(readings, purchase, held)
    stated = reading.terms if reading else {}
    notices = {n.get("culture") or "en": n.get("value", "") for n in purchase.copyright_notices}
    return {
        "purchase": purchase,
        "terms": [
            {"term": term, "rows": _term_rows(term, stated, labels, language)} for term in held
        ],
        "text": in_language(purchase.license_texts, language) or purchase.license_text,
        "provider": [
            {"label": label, "text": in_language(purchase.provider_texts[name], language)}
            for name, label in PROVIDER_TEXTS.items()
            if purchase.provider_texts.get(name)
        ],
        "limits": _limits(purchase),
        "to_read": to_read(purchase, held),
        "reading": reading,
        # The newest reading no longer applies when the licence changed after it.
        "outdated": readings[0]
        if readings and readings[0] is not reading and readings[0].outdated_at
        else None,
        "fields": _reading_fields(held),
        "copyright": in_language(notices, language),
        # Only web links: a javascript: or data: URL from a payload never becomes a link.
        "urls": [
            link
            for link in purchase.license_urls
            if str(link.get("url", "")).lower().startswith(("https://", "http://"))
        ],
    }
