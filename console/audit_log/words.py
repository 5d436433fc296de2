"""The audit log in sentences: each event's target named by what it is ("insurance.logo.primary
v3", "campaign Spring renewal") and its data as words, never a dict's repr.

Names are looked up for a whole page at once, one query per kind of object on it, so the page's
query count does not grow with its rows.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from assets.models import Asset, CriteriaRuleSet, LicensePurchase, Version
from audit.models import AuditEvent
from audit.templatetags.audit_words import action_words, target_url
from govern.models import ApiKey, BusinessUnit, ExportJob
from templates_app.models import Campaign, Clearance, Delivery, Template, WebhookEndpoint
from usage.models import ProductionRun, UsageException

Names = dict[int, str]
# Keys of an event's data that hold a version's id.
VERSION_KEYS = {"version", "pinned_version", "old_version", "new_version"}
# Keys the target's own name already says (a version's events carry its asset and number).
SAID_BY_TARGET = {
    "assets.version": {"asset", "number"},
    "assets.asset": {"key"},
    "templates_app.campaign": {"campaign", "name"},
    "templates_app.template": {"template"},
    "auth.user": {"username"},
}
LABELS = {"sha256": "content sha256", "print_width_mm": "print width (mm)"}
HASH = re.compile(r"[0-9a-f]{64}")
SHORT_HASH = 12


def _versions(ids: list[int]) -> Iterable[tuple[int, str]]:
    rows = Version.objects.filter(pk__in=ids).values_list("pk", "variant__asset__key", "number")
    return ((pk, f"{key} v{number}") for pk, key, number in rows)


def _named(model: Any, field: str, label: str) -> Callable[[list[int]], Iterable[tuple[int, str]]]:
    """A look-up naming objects of one model by one field, e.g. "campaign Spring renewal"."""

    def lookup(ids: list[int]) -> Iterable[tuple[int, str]]:
        rows = model.objects.filter(pk__in=ids).values_list("pk", field)
        return ((pk, f"{label} {value}".strip()) for pk, value in rows)

    return lookup


def _deliveries(ids: list[int]) -> Iterable[tuple[int, str]]:
    rows = Delivery.objects.filter(pk__in=ids).values_list(
        "pk", "version__variant__asset__key", "version__number", "profile", "target"
    )
    return ((pk, f"push of {key} v{n} ({profile}) to {to}") for pk, key, n, profile, to in rows)


def _exceptions(ids: list[int]) -> Iterable[tuple[int, str]]:
    rows = UsageException.objects.filter(pk__in=ids).values_list("pk", "code", "run__run_id")
    return ((pk, f"{code.replace('_', ' ')} in run {run}") for pk, code, run in rows)


def _criteria(ids: list[int]) -> Iterable[tuple[int, str]]:
    rows = CriteriaRuleSet.objects.filter(pk__in=ids).values_list("pk", "kind", "number")
    return ((pk, f"{kind.replace('_', ' ')} criteria #{number}") for pk, kind, number in rows)


def _clearances(ids: list[int]) -> Iterable[tuple[int, str]]:
    rows = Clearance.objects.filter(pk__in=ids).values_list("pk", "template__name")
    return ((pk, f"clearance {pk} of {name}") for pk, name in rows)


LOOKUPS: dict[str, Callable[[list[int]], Iterable[tuple[int, str]]]] = {
    "assets.version": _versions,
    "assets.asset": _named(Asset, "key", "asset"),
    "assets.businessunit": _named(BusinessUnit, "name", "unit"),
    "assets.licensepurchase": _named(LicensePurchase, "uuid", "purchase"),
    "assets.criteriaruleset": _criteria,
    "auth.user": _named(User, "username", "user"),
    "govern.apikey": _named(ApiKey, "name", "API key"),
    "govern.exportjob": _named(ExportJob, "kind", "export of"),
    "templates_app.template": _named(Template, "name", "template"),
    "templates_app.campaign": _named(Campaign, "name", "campaign"),
    "templates_app.clearance": _clearances,
    "templates_app.delivery": _deliveries,
    "templates_app.webhookendpoint": _named(WebhookEndpoint, "url", "webhook"),
    "usage.productionrun": _named(ProductionRun, "run_id", "run"),
    "usage.usageexception": _exceptions,
}


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    action: str
    target: str
    target_url: str
    details: str  # hashes shortened, for the line on the page
    details_full: str  # every hash whole, for the hover


def rows(events: list[AuditEvent]) -> list[Row]:
    """Return the events in words, their names found in one query per kind of object."""
    targets = _target_names(events)
    versions = dict(_versions(sorted(_version_ids(events))))
    return [
        Row(
            event=event,
            action=action_words(event.action),
            target=targets.get((event.target_type, event.target_id), _unnamed(event)),
            target_url=target_url(event),
            details=details(event, versions, short=True),
            details_full=details(event, versions, short=False),
        )
        for event in events
    ]


def _target_names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.target_type in LOOKUPS and event.target_id.isdigit():
            wanted.setdefault(event.target_type, set()).add(int(event.target_id))
    return {
        (kind, str(pk)): name
        for kind, ids in wanted.items()
        for pk, name in LOOKUPS[kind](sorted(ids))
    }


def _unnamed(event: AuditEvent) -> str:
    """Name a target no look-up knows, or one since deleted: its kind in words and its id."""
    if not event.target_type:
        return ""
    kind = event.target_type.rpartition(".")[2]
    return f"{kind} {event.target_id}"


def _version_ids(events: list[AuditEvent]) -> set[int]:
    found: set[int] = set()
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        for key, value in data.items():
            if key in VERSION_KEYS and isinstance(value, int):
                found.add(value)
            elif isinstance(value, list):
                found |= {
                    item["version"]
                    for item in value
                    if isinstance(item, dict) and isinstance(item.get("version"), int)
                }
    return found


def details(event: AuditEvent, versions: Names, *, short: bool = True) -> str:
    """Return an event's data as one sentence, leaving out what its target's name says."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.action.startswith("export.") and "kind" in data:
        sentence = _export(data, versions, short)
    else:
        said = SAID_BY_TARGET.get(event.target_type, set())
        kept = [(key, value) for key, value in data.items() if key not in said and _told(value)]
        sentence = "; ".join(_part(key, value, versions, short) for key, value in kept)
    if not sentence:
        return ""
    return f"{sentence[:1].upper()}{sentence[1:]}{'' if sentence.endswith('…') else '.'}"


def _export(data: dict[str, Any], versions: Names, short: bool) -> str:
    """Say what an export held: "run evidence as PDF, 48,211 bytes, sha256 3f2a…, no filter"."""
    parts = [f"{str(data['kind']).replace('_', ' ')} as {str(data.get('format', '')).upper()}"]
    if isinstance(data.get("bytes"), int):
        parts.append(f"{data['bytes']:,} bytes")
    if data.get("sha256"):
        parts.append(f"file sha256 {_value(data['sha256'], versions, short)}")
    filters = data.get("filters")
    parts.append(f"filtered by {_value(filters, versions, short)}" if filters else "no filter")
    if data.get("generated_at"):
        parts.append(f"generated at {data['generated_at']}")
    return ", ".join(parts)


def _told(value: Any) -> bool:
    """Whether a value says anything: empty ones (none, "", [], {}) are left out."""
    return value not in (None, "", [], {})


def _part(key: str, value: Any, versions: Names, short: bool) -> str:
    label = LABELS.get(key, key.replace("_", " "))
    if key in VERSION_KEYS and isinstance(value, int):
        return f"{label} {_version(value, versions)}"
    if key == "superseded" and isinstance(value, int):
        return f"superseded v{value}"
    if key in {"comment", "body", "reason", "because"} and isinstance(value, str):
        return f"{label} “{value}”"
    if isinstance(value, dict | list):
        return f"{label}: {_value(value, versions, short)}"
    return f"{label} {_value(value, versions, short)}"


def _version(pk: int, versions: Names) -> str:
    name = versions.get(pk)
    return f"{name} (version id {pk})" if name else f"id {pk}"


def _value(value: Any, versions: Names, short: bool) -> str:
    if value is None or value == {} or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and short and HASH.fullmatch(value):
        return f"{value[:SHORT_HASH]}…"
    if isinstance(value, dict):
        told = [(str(key), item) for key, item in value.items() if _told(item)]
        return ", ".join(_part(key, item, versions, short) for key, item in told) or "none"
    if isinstance(value, list):
        joiner = " and " if any(isinstance(item, dict) for item in value) else ", "
        return joiner.join(_value(item, versions, short) for item in value)
    return str(value)
