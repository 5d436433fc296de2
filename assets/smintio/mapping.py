"""Smint.io's payloads read as its public SDKs define them, checked field by field.

A purchase (SyncLicensePurchaseTransaction) that misses a required field or has one of the
wrong type raises MappingError naming the field, so the sync can quarantine that purchase and
go on. Localized values arrive as the SDKs' lists: LocalizedString `[{culture, value}]` and
LocalizedMetadataElement `[{culture, metadata_element: {key, name, url}}]`.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

logger = logging.getLogger(__name__)

TERM_LISTS = (
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
)
TERM_DATES = ("valid_from", "valid_until", "to_be_used_until")


# The provider's own words in release_details, by the name Govern keeps them under.
PROVIDER_TEXTS = {
    "provider_usage_constraints": "usage_constraints",
    "provider_allowed_use_comment": "allowed_use_comment",
    "provider_release_comment": "release_comment",
}
COUNTERS = ("current_users", "current_downloads", "current_reuses")


def stated_empty() -> dict[str, list[str]]:
    """Every term list delivered empty: as the SDKs read it, a term that states nothing."""
    return {name: [] for name in TERM_LISTS}


def provider_texts(release: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """The provider's constraints and comments, each by culture; the empty ones left out."""
    found = {}
    for field, name in PROVIDER_TEXTS.items():
        values = localized_strings((release or {}).get(field), f"release_details.{field}")
        texts = by_culture(values)
        if texts:
            found[name] = texts
    return found


class MappingError(ValueError):
    """A purchase Govern cannot map: the field and what is wrong with it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def _text(value: Any, field: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise MappingError(field, "must be a non-empty string" if required else "must be a string")
    return value


def _flag(value: Any, field: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise MappingError(field, "must be true, false or null")
    return value


def _whole(value: Any, field: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise MappingError(field, "must be a whole number or null")
    return value


def iso_date(value: Any, field: str) -> datetime | None:
    """Read an ISO 8601 date-time (an offset, or UTC if none); null is unknown."""
    if value is None:
        return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise MappingError(field, f"{str(value)[:40]!r} is not an ISO 8601 date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def localized_strings(value: Any, field: str) -> list[dict[str, str]]:
    """Read a LocalizedString list; null is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(field, "must be a list of {culture, value}")
    found = []
    for position, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise MappingError(f"{field}[{position}]", "must be {culture, value}")
        found.append({"culture": str(item.get("culture") or ""), "value": item["value"]})
    return found


def localized_elements(value: Any, field: str) -> list[dict[str, str]]:
    """Read a LocalizedMetadataElement list as {culture, key, name, url}; null is empty.

    A bare string is taken as a URL or name without culture (older payloads listed URLs so).
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(field, "must be a list of {culture, metadata_element}")
    found = []
    for position, item in enumerate(value):
        if isinstance(item, str):
            found.append({"culture": "", "key": "", "name": item, "url": item})
            continue
        element = item.get("metadata_element") if isinstance(item, dict) else None
        if not isinstance(element, dict):
            raise MappingError(f"{field}[{position}]", "must be {culture, metadata_element}")
        found.append(
            {
                "culture": str(item.get("culture") or ""),
                **{name: str(element.get(name) or "") for name in ("key", "name", "url")},
            }
        )
    return found


def in_language(by_culture: dict[str, str], language: str = "en") -> str:
    """Return the text in the reader's language (de-CH, then de), else English, else any."""
    for culture in (language, language.split("-")[0], "en"):
        if by_culture.get(culture):
            return by_culture[culture]
    return next((text for text in by_culture.values() if text), "")


def by_culture(values: list[dict[str, str]], name: str = "value") -> dict[str, str]:
    return {item["culture"] or "en": item[name] for item in values if item.get(name)}


def pick(values: list[dict[str, str]], culture: str = "en", name: str = "value") -> str:
    """Return a localized list's value in a culture, else English, else the first."""
    return in_language(by_culture(values, name), culture)


def state(lpt: dict[str, Any]) -> str:
    """The purchase's state, compared without regard to case ("Cancelled" is cancelled)."""
    return _text(lpt.get("state"), "state").strip().lower()


def licence_text(lpt: dict[str, Any]) -> tuple[list[dict[str, str]], bool | None]:
    """Return the rolled-up licence text and whether Smint.io calls it safe HTML.

    The SDKs read it at the top level since 2020 (SDK 1.4.4); older payloads had it under
    offering; both are read, the top level first.
    """
    given = lpt.get("offering")
    offering: dict[str, Any] = given if isinstance(given, dict) else {}
    places = (
        ("license_text", lpt.get("license_text")),
        ("offering.license_text", offering.get("license_text")),
    )
    for where, holder in places:
        if holder is None:
            continue
        if not isinstance(holder, dict):
            raise MappingError(where, "must be {effective_text, effective_text_is_safe_html}")
        texts = localized_strings(holder.get("effective_text"), f"{where}.effective_text")
        return texts, _flag(
            holder.get("effective_text_is_safe_html"), f"{where}.effective_text_is_safe_html"
        )
    return [], None


def check_term(term: Any, field: str) -> dict[str, Any]:
    """Return a term's values read and checked (lists of keys, dates, the editorial flag)."""
    if not isinstance(term, dict):
        raise MappingError(field, "must be an object")
    number = _whole(term.get("sequence_number"), f"{field}.sequence_number")
    if number is None:
        raise MappingError(f"{field}.sequence_number", "is required")
    lists = {}
    for name in TERM_LISTS:
        value = term.get(name)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(key, str) for key in value)
        ):
            raise MappingError(f"{field}.{name}", "must be a list of keys or null")
        lists[name] = value
    return {
        "sequence_number": number,
        "name": localized_strings(term.get("name"), f"{field}.name"),
        "is_editorial_use": _flag(term.get("is_editorial_use"), f"{field}.is_editorial_use"),
        **lists,
        **{name: iso_date(term.get(name), f"{field}.{name}") for name in TERM_DATES},
    }


def check_purchase(lpt: Any) -> dict[str, Any]:
    """Check every field Govern reads of a purchase; return its terms read, or raise."""
    if not isinstance(lpt, dict):
        raise MappingError("purchase", "must be an object")
    _text(lpt.get("uuid"), "uuid", required=True)
    _text(
        lpt.get("cart_purchase_transaction_uuid"), "cart_purchase_transaction_uuid", required=True
    )
    state(lpt)
    _text(
        lpt.get("reused_license_purchase_transaction_uuid"),
        "reused_license_purchase_transaction_uuid",
    )
    _flag(lpt.get("can_be_synced"), "can_be_synced")
    _flag(
        lpt.get("has_potentially_restrictive_license_terms"),
        "has_potentially_restrictive_license_terms",
    )
    element = lpt.get("content_element")
    if not isinstance(element, dict):
        raise MappingError("content_element", "must be an object")
    _text(element.get("uuid"), "content_element.uuid", required=True)
    for name in ("name", "description", "copyright_notices"):
        localized_strings(element.get(name), f"content_element.{name}")
    localized_elements(element.get("keywords"), "content_element.keywords")
    release = element.get("release_details")
    if release is not None and not isinstance(release, dict):
        raise MappingError("content_element.release_details", "must be an object or null")
    provider_texts(release)
    for name in COUNTERS:
        _whole(lpt.get(name), name)
    offering = lpt.get("offering")
    if offering is not None and not isinstance(offering, dict):
        raise MappingError("offering", "must be an object or null")
    localized_elements((offering or {}).get("license_urls"), "offering.license_urls")
    licence_text(lpt)
    constraints = lpt.get("license_download_constraints")
    if constraints is not None and not isinstance(constraints, dict):
        raise MappingError("license_download_constraints", "must be an object or null")
    for name in ("effective_max_users", "effective_max_downloads", "effective_max_reuses"):
        _whole((constraints or {}).get(name), f"license_download_constraints.{name}")
    terms = lpt.get("license_terms")
    if terms is not None and not isinstance(terms, list):
        raise MappingError("license_terms", "must be a list or null")
    return {
        "terms": [check_term(term, f"license_terms[{n}]") for n, term in enumerate(terms or [])]
    }


def vocabulary_labels(metadata: dict[str, Any]) -> tuple[list[tuple[str, str, str, str]], int]:
    """Return (vocabulary, key, culture, label) of every well-formed element, and how many
    elements had another shape (logged and skipped, never a failed sync)."""
    rows, skipped = [], 0
    for vocabulary, items in metadata.items():
        if not isinstance(items, list):
            skipped += 1
            logger.warning("Smint.io vocabulary %s is not a list; skipped", vocabulary)
            continue
        for item in items:
            element = item.get("metadata_element") if isinstance(item, dict) else None
            key = element.get("key") if isinstance(element, dict) else None
            name = element.get("name") if isinstance(element, dict) else None
            culture = item.get("culture") if isinstance(item, dict) else None
            if not (
                isinstance(key, str) and key and isinstance(name, str) and isinstance(culture, str)
            ):
                skipped += 1
                logger.warning(
                    "Smint.io vocabulary %s: element of unknown shape skipped", vocabulary
                )
                continue
            rows.append((str(vocabulary)[:64], key[:200], culture[:16], name[:500]))
    return rows, skipped
