"""A person's reading of a licence a machine cannot read, signed like a regulated decision.

Smint.io says what a licence allows in term lists and, besides them, in words: the licence
text and the provider's usage constraints, allowed-use and release comments. Exclusivities and
usage limits are keys whose meaning is in those words too. A purchase carrying any of these is
unknown for every use until a compliance officer records a reading: the lists, dates and
editorial flag the words amount to, in a licence term's shape, with a reason, signed with their
password. A reading may narrow what the delivered terms state, never widen it; it may state
what they leave unstated, and only a reading can say that a list is "none".

A reading applies while the licence it read is the one Govern holds: its licence_sha256 covers
the texts, the provider's words and the active terms' fingerprints, so a re-delivered change
leaves it standing on the card as read, but applying to nothing.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assets.models import (
    LicenceReading,
    LicensePurchase,
    LicenseTerm,
    SignatureMeaning,
)
from assets.signatures import Intent
from assets.smintio.mapping import TERM_DATES, TERM_LISTS, MappingError, iso_date
from audit.services import audit_record
from govern.access import user_can
from govern.roles import Capability

# Exclusivities are the licensor's promise to others: they limit no use and are not read.
READ_LISTS = tuple(name for name in TERM_LISTS if name != "exclusivities")
READABLE = (*READ_LISTS, *TERM_DATES, "is_editorial_use")
# The provider's words, as stored in LicensePurchase.provider_texts, and what a person calls them.
PROVIDER_TEXTS = {
    "usage_constraints": "usage constraints",
    "allowed_use_comment": "allowed-use comment",
    "release_comment": "release comment",
}
MAX_KEYS, MAX_KEY, MAX_REASON = 100, 200, 4000
TERM_FIELDS = tuple(field.attname for field in LicenseTerm._meta.concrete_fields)


def licence_sha256(purchase: LicensePurchase, terms: Iterable[LicenseTerm]) -> str:
    """The sha256 of what a reading reads: texts, the provider's words, the terms' fingerprints
    (remembered on the purchase object, so a check judging it many times hashes it once)."""
    fingerprints = tuple(sorted(term.fingerprint for term in terms))
    known: dict[tuple[str, ...], str] = purchase.__dict__.setdefault("_licence_sha256", {})
    if fingerprints not in known:
        bound = {
            "texts": purchase.license_texts or {"en": purchase.license_text},
            "provider": purchase.provider_texts,
            "terms": list(fingerprints),
        }
        known[fingerprints] = hashlib.sha256(json.dumps(bound, sort_keys=True).encode()).hexdigest()
    return known[fingerprints]


def to_read(purchase: LicensePurchase, terms: Iterable[LicenseTerm]) -> list[str]:
    """What of the purchase only a person can read; empty when its lists say it all."""
    found = [
        f"the provider's {label}"
        for name, label in PROVIDER_TEXTS.items()
        if purchase.provider_texts.get(name)
    ]
    terms = list(terms)
    if any(term.exclusivities for term in terms):
        found.append("its exclusivities")
    if any(term.usage_limits for term in terms):
        found.append("its usage limits")
    return found


def current(
    readings: Iterable[LicenceReading],
    purchase: LicensePurchase,
    terms: list[LicenseTerm],
    known_at: datetime | None = None,
) -> LicenceReading | None:
    """The reading that applies: now, the newest one of the licence Govern holds that no sync
    outdated; at a past moment (known_at), the newest one signed by then and not yet outdated
    then (Govern keeps no past texts to hash, so the outdating says when it stopped)."""
    ordered = sorted(readings, key=lambda r: (r.signed_at, r.pk), reverse=True)
    if known_at is not None:
        return next(
            (
                r
                for r in ordered
                if r.signed_at <= known_at and (r.outdated_at is None or r.outdated_at > known_at)
            ),
            None,
        )
    digest = licence_sha256(purchase, terms)
    return next((r for r in ordered if r.outdated_at is None and r.licence_sha256 == digest), None)


class ReadTerm:
    """A delivered term as a reading completes it. The reading fills what the term leaves
    unstated and may only narrow what it states: an allowed list Smint.io stated stands (narrow
    it with the restricted list), a restricted list or usage limits gain the reader's keys,
    dates take the narrower bound, and editorial use only holds if either says so. A reading's
    empty allowed list means the licence limits nothing there (any); an empty restricted list
    or usage limits, that nothing is restricted."""

    def __init__(self, term: LicenseTerm, stated: dict[str, Any]) -> None:
        self.term = term
        self.stated: dict[str, Any] = {
            name: iso_date(value, name) if name in TERM_DATES else value
            for name, value in stated.items()
        }
        # Every field copied once, so the judge reads plain attributes (it reads many).
        self.__dict__.update({name: getattr(term, name) for name in TERM_FIELDS})
        self.__dict__.update({name: self._combined(name) for name in self.stated})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.term, name)

    def _combined(self, name: str) -> Any:
        delivered, given = getattr(self.term, name), self.stated[name]
        if name in READ_LISTS:
            if not isinstance(delivered, list) or not delivered:
                return given
            if name.startswith("allowed_"):
                return delivered
            return [*delivered, *(key for key in given if key not in delivered)]
        if name == "is_editorial_use":
            if True in (delivered, given):
                return True
            return delivered if delivered is not None else given
        if delivered is None or given is None:
            return delivered if given is None else given
        return max(delivered, given) if name == "valid_from" else min(delivered, given)


def read(term: LicenseTerm, reading: LicenceReading | None) -> LicenseTerm | ReadTerm:
    """The term as the reading completes it (made once per term and reading object)."""
    if reading is None:
        return term
    made: dict[int, ReadTerm] = reading.__dict__.setdefault("_read_terms", {})
    key = id(term)
    if key not in made or made[key].term is not term:
        made[key] = ReadTerm(term, reading.terms)
    return made[key]


def delivered_empty(terms: Iterable[LicenseTerm]) -> dict[str, list[str]]:
    """The lists a term was delivered empty: what a reader who finds the licence silent on
    them states as none (the demo's and the tests' readings; a reading fills only gaps)."""
    terms = list(terms)
    return {name: [] for name in READ_LISTS if any(getattr(t, name) == [] for t in terms)}


def clean_terms(given: Any) -> dict[str, Any]:
    """Check a reading's terms: known names only, lists of keys, dates with a zone, a flag."""
    if not isinstance(given, dict):
        raise ValidationError({"terms": "Give the terms as an object, like a licence term."})
    unknown = sorted(set(given) - set(READABLE))
    if unknown:
        raise ValidationError(
            {"terms": f"Unknown term fields: {', '.join(map(str, unknown))[:300]}."}
        )
    cleaned: dict[str, Any] = {}
    for name, value in given.items():
        if name in READ_LISTS:
            cleaned[name] = _clean_keys(name, value)
        elif name in TERM_DATES:
            cleaned[name] = _clean_date(name, value)
        elif not isinstance(value, bool):
            raise ValidationError({"terms": f"{name} must be true or false."})
        else:
            cleaned[name] = value
    return cleaned


def _clean_keys(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_KEYS:
        raise ValidationError({"terms": f"{name} must be a list of at most {MAX_KEYS} keys."})
    if not all(
        isinstance(key, str) and 0 < len(key.strip()) <= MAX_KEY and key.isprintable()
        for key in value
    ):
        raise ValidationError({"terms": f"{name}: each key is a non-empty printable string."})
    return sorted({key.strip() for key in value})


def _clean_date(name: str, value: Any) -> str | None:
    """An ISO 8601 date-time (UTC when it names no zone, as Smint.io's are read), or null."""
    try:
        moment = iso_date(value, name)
    except MappingError as problem:
        raise ValidationError({"terms": str(problem)}) from problem
    return None if moment is None else moment.isoformat()


def conflicts(stated: dict[str, Any], terms: list[LicenseTerm]) -> list[str]:
    """Where a reading contradicts what the delivered terms state: each conflict, named."""
    found: list[str] = []
    for name in READ_LISTS:
        if not name.startswith("allowed_") or name not in stated:
            continue
        barred = name.replace("allowed_", "restricted_")
        for term in terms:
            clash = sorted(set(getattr(term, barred) or []) & set(stated[name]))
            if clash:
                found.append(f"{name}: term {term.sequence_number} restricts {', '.join(clash)}")
        delivered = [getattr(term, name) for term in terms]
        if terms and all(delivered):
            allowed = {key for keys in delivered for key in keys}
            extra = sorted(set(stated[name]) - allowed)
            found.append(
                f"{name}: the licence allows only {', '.join(sorted(allowed))}; "
                + (
                    f"the reading adds {', '.join(extra)}"
                    if extra
                    else f"narrow it with {name.replace('allowed_', 'restricted_')}"
                )
            )
    for term in terms:
        label = f"term {term.sequence_number}"
        found += _conflicting_dates(stated, term, label)
        if term.is_editorial_use is True and stated.get("is_editorial_use") is False:
            found.append(f"is_editorial_use: {label} is for editorial use only")
    return list(dict.fromkeys(found))


def _conflicting_dates(stated: dict[str, Any], term: LicenseTerm, label: str) -> list[str]:
    found = []
    for name, later_widens in (
        ("valid_from", False),
        ("valid_until", True),
        ("to_be_used_until", True),
    ):
        delivered = getattr(term, name)
        given = iso_date(stated[name], name) if stated.get(name) else None
        if delivered is None or name not in stated:
            continue
        if given is None or (given > delivered if later_widens else given < delivered):
            found.append(f"{name}: {label} states {delivered:%Y-%m-%d}")
    return found


def reading_record(
    *,
    purchase: LicensePurchase,
    terms: Any,
    reason: str,
    intent: Intent,
) -> LicenceReading:
    """Record a compliance officer's signed reading of a purchase's licence, audited.

    Refused (ValidationError) without a reason, with terms of another shape, or with terms
    that widen what the delivered terms state (each conflict named); PermissionDenied for a
    signer who does not decide versions in the purchase's unit.
    """
    unit_id = purchase.asset.business_unit_id
    if not user_can(intent.signer, Capability.DECIDE_VERSIONS, unit_id):
        raise PermissionDenied("Only compliance officers of the unit read its licences.")
    if intent.meaning != SignatureMeaning.READ:
        raise ValidationError({"meaning": "A reading is signed with the meaning read."})
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise ValidationError({"reason": "Say why the licence reads so: quote or cite it."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason to {MAX_REASON:,} characters."})
    cleaned = clean_terms(terms)
    with transaction.atomic():
        locked = LicensePurchase.objects.select_for_update(no_key=True).get(pk=purchase.pk)
        if locked.cancelled:
            raise ValidationError({"purchase": "This purchase was cancelled: it licenses nothing."})
        held = list(locked.terms.filter(active=True))
        problems = conflicts(cleaned, held)
        if problems:
            raise ValidationError({"terms": problems})
        reading = LicenceReading(
            purchase=locked,
            terms=cleaned,
            reason=reason,
            licence_sha256=licence_sha256(locked, held),
            signer=intent.signer,
            printed_name=intent.signer.get_full_name() or intent.signer.get_username(),
            meaning=intent.meaning,
            signed_at=timezone.now(),
            authentication=intent.authentication,
        )
        reading.digest = reading_digest(reading)
        reading.save()
        audit_record(
            action="licence.read",
            actor=intent.signer,
            target=locked,
            unit_id=unit_id,
            data={
                "reading": reading.pk,
                "terms": cleaned,
                "reason": reading.reason,
                "licence_sha256": reading.licence_sha256,
                "digest": reading.digest,
            },
        )
    return reading


def reading_digest(reading: LicenceReading) -> str:
    """The sha256 over what a reading's signature binds: who, when, meaning, reason, the terms
    stated and the licence read."""
    bound = {
        "purchase": reading.purchase.uuid,
        "terms": reading.terms,
        "reason": reading.reason,
        "licence_sha256": reading.licence_sha256,
        "signer": reading.signer_id,
        "printed_name": reading.printed_name,
        "meaning": reading.meaning,
        "signed_at": reading.signed_at.isoformat(),
        **({"authentication": reading.authentication} if reading.authentication else {}),
    }
    return hashlib.sha256(json.dumps(bound, sort_keys=True).encode()).hexdigest()


def readings_outdate(*, purchase: LicensePurchase) -> int:
    """Mark, audited, the readings of a purchase whose licence Smint.io re-delivered changed:
    they no longer apply, and the card asks for a new one. Return how many."""
    held = list(purchase.terms.filter(active=True))
    digest = licence_sha256(purchase, held)
    stale = list(purchase.readings.filter(outdated_at__isnull=True).exclude(licence_sha256=digest))
    now = timezone.now()
    for reading in stale:
        reading.outdated_at = now
        reading.save(update_fields=["outdated_at"])
        audit_record(
            action="licence.reading_outdated",
            target=purchase,
            unit_id=purchase.asset.business_unit_id,
            data={"reading": reading.pk, "read": reading.licence_sha256, "now": digest},
        )
    return len(stale)
