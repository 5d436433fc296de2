"""Compliance criteria: machine-checked rules per asset kind (and optionally per unit) and the
checklist each approver ticks.

Rules run when a version is uploaded (the result is shown), submitted and approved (a failing
blocking rule refuses, naming the rule and the measured value) and at pre-flight (a rule
tightened after approval gives criteria_failed). Without a rule set of its own a kind gets
DEFAULT_RULES: print needs 300 dpi at the widest slot's print width.
"""

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Q
from PIL import Image

from assets import profiles
from assets.models import Asset, Channel, CriteriaRuleSet, Version
from assets.storage import read_content

DEFAULT_RULES: list[dict[str, Any]] = [
    {"rule": "min_print_dpi", "params": {"dpi": 300}, "blocking": True}
]
MEDIA_TYPES = ("image/png", "image/jpeg", "image/tiff", "image/webp", "image/gif", "image/svg+xml")
MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK")
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Result:
    rule: str
    passed: bool
    blocking: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "passed": self.passed,
            "blocking": self.blocking,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Param:
    kind: type
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()
    required: bool = True

    def clean(self, name: str, value: Any) -> Any:
        if self.kind is list:
            return self._clean_list(name, value)
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            return value
        if self.kind is str:
            if value not in self.choices:
                raise ValueError(f"{name} must be one of {', '.join(self.choices)}")
            return value
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if self.kind is int and not isinstance(value, int):
            number_ok = False
        if not number_ok or not self.low <= value <= self.high:
            whole = "a whole number" if self.kind is int else "a number"
            raise ValueError(f"{name} must be {whole} from {self.low:g} to {self.high:g}")
        return value

    def _clean_list(self, name: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not 1 <= len(value) <= 100:
            raise ValueError(f"{name} must be a list of 1 to 100 items")
        cleaned = []
        for item in value:
            if not isinstance(item, str) or not item.strip() or len(item) > 500:
                raise ValueError(f"each of {name} must be a text of 1 to 500 characters")
            if self.choices and item not in self.choices:
                raise ValueError(f"{item!r} in {name} is not one of {', '.join(self.choices)}")
            cleaned.append(item.strip())
        return cleaned


Check = Callable[[Version, dict[str, Any], "Facts"], tuple[bool, str] | None]


@dataclass(frozen=True)
class Facts:
    """What a check needs beyond the version: how wide its widest print slot is."""

    print_width_mm: int | None = None


def _print_dpi(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    channels = version.variant.channel_list
    if version.is_text or version.is_svg or (channels and "print" not in channels):
        return None
    width = int(version.metadata.get("width") or 0)
    default_mm = cast(int, profiles.PROFILES["print"]["default_width_mm"])
    width_mm = facts.print_width_mm or default_mm
    dpi = width / (width_mm / MM_PER_INCH)
    needed = math.ceil(params["dpi"] * width_mm / MM_PER_INCH)
    said = f"{width} px across {width_mm} mm is {dpi:.0f} dpi; print needs {params['dpi']} dpi"
    if dpi >= params["dpi"]:
        return True, said
    return False, f"{said}: at least {needed:,} px across, {needed - width:,} px more"


def _formats(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    channels = version.variant.channel_list
    if version.is_text or (channels and params["channel"] not in channels):
        return None
    allowed = params["media_types"]
    return version.media_type in allowed, (
        f"{version.media_type} for {params['channel']}; allowed: {', '.join(allowed)}"
    )


def _colour(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    if version.is_text or version.is_svg:
        return None
    mode, icc = version.metadata.get("mode", ""), bool(version.metadata.get("icc_profile"))
    modes = params.get("modes") or []
    passed = (not modes or mode in modes) and (icc or not params.get("icc_required", False))
    profile = "with" if icc else "without"
    return passed, f"colour mode {mode or 'unknown'} {profile} an embedded ICC profile"


def _max_bytes(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    return version.size <= params["bytes"], f"{version.size:,} bytes; at most {params['bytes']:,}"


def _aspect(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    width, height = version.metadata.get("width"), version.metadata.get("height")
    if version.is_text or not width or not height:
        return None
    ratio = float(width) / float(height)
    low, high = params["min"], params["max"]
    return low <= ratio <= high, f"aspect ratio {ratio:.2f}; allowed {low:g} to {high:g}"


def _transparent(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    if version.is_text or version.is_svg:
        return None
    try:
        with Image.open(io.BytesIO(read_content(version.file))) as image:
            if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
                return False, f"colour mode {image.mode} has no transparency"
            alpha = image.convert("RGBA").getchannel("A")
    except (OSError, ValueError):  # a missing or unreadable stored file fails, never crashes
        return False, "the stored file cannot be read"
    w, h = alpha.size
    corners = [alpha.getpixel(xy) for xy in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1))]
    opaque = sum(1 for value in corners if value != 0)
    return opaque == 0, f"{opaque} of 4 corners opaque; the background must be transparent"


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _phrases(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    if not version.is_text:
        return None
    missing = [p for p in params["phrases"] if _words(p) not in _words(version.text)]
    return not missing, "missing: " + "; ".join(missing) if missing else "every phrase is there"


def _forbidden(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    if not version.is_text:
        return None
    text = _words(version.text)
    found = [w for w in params["words"] if re.search(rf"\b{re.escape(_words(w))}\b", text)]
    return not found, "contains: " + ", ".join(found) if found else "no forbidden word"


def _length(version: Version, params: dict[str, Any], facts: Facts) -> tuple[bool, str] | None:
    if not version.is_text:
        return None
    count = len(version.text)
    return count <= params["characters"], f"{count:,} characters; at most {params['characters']:,}"


RULES: dict[str, tuple[Check, dict[str, Param], str]] = {
    "min_print_dpi": (_print_dpi, {"dpi": Param(int, 72, 2400)}, "Minimum dpi for print"),
    "formats": (
        _formats,
        {
            "channel": Param(str, choices=tuple(Channel.values)),
            "media_types": Param(list, choices=MEDIA_TYPES),
        },
        "Allowed formats for a channel",
    ),
    "colour": (
        _colour,
        {
            "modes": Param(list, choices=MODES, required=False),
            "icc_required": Param(bool, required=False),
        },
        "Colour mode, embedded ICC profile",
    ),
    "max_bytes": (_max_bytes, {"bytes": Param(int, 1, 10**10)}, "Largest file"),
    "aspect_ratio": (
        _aspect,
        {"min": Param(float, 0.01, 100), "max": Param(float, 0.01, 100)},
        "Aspect ratio (width / height)",
    ),
    "transparent_background": (_transparent, {}, "Transparent background"),
    "required_phrases": (_phrases, {"phrases": Param(list)}, "Phrases a text must contain"),
    "forbidden_words": (_forbidden, {"words": Param(list)}, "Words a text must not contain"),
    "max_length": (_length, {"characters": Param(int, 1, 1_000_000)}, "Longest text"),
}


def clean_rules(rules: Any) -> list[dict[str, Any]]:
    """Return the rules checked, or refuse naming the rule and the parameter that is wrong."""
    if not isinstance(rules, list) or len(rules) > 50:
        raise ValidationError({"rules": "Give a list of at most 50 rules."})
    return [_clean_rule(position, rule) for position, rule in enumerate(rules, start=1)]


def _clean_rule(position: int, rule: Any) -> dict[str, Any]:
    name = rule.get("rule") if isinstance(rule, dict) else None
    if name not in RULES:
        raise ValidationError({"rules": f"Rule {position}: use one of {', '.join(RULES)}."})
    assert isinstance(rule, dict)  # noqa: S101 - narrowed by the check above
    _check, schema, _label = RULES[name]
    params, blocking = rule.get("params", {}), rule.get("blocking", True)
    unknown = set(rule) - {"rule", "params", "blocking"}
    if not isinstance(params, dict) or not isinstance(blocking, bool) or unknown:
        raise ValidationError(
            {
                "rules": f"Rule {position} ({name}): give params as an object and blocking as true "
                "or false, nothing else."
            }
        )
    cleaned: dict[str, Any] = {}
    for param, value in params.items():
        if param not in schema:
            raise ValidationError({"rules": f"Rule {position} ({name}): no parameter {param!r}."})
        try:
            cleaned[param] = schema[param].clean(param, value)
        except ValueError as error:
            raise ValidationError({"rules": f"Rule {position} ({name}): {error}."}) from None
    missing = [param for param, spec in schema.items() if spec.required and param not in cleaned]
    if missing:
        raise ValidationError({"rules": f"Rule {position} ({name}): give {', '.join(missing)}."})
    if name == "aspect_ratio" and cleaned["min"] > cleaned["max"]:
        raise ValidationError({"rules": f"Rule {position} (aspect_ratio): min exceeds max."})
    return {"rule": name, "params": cleaned, "blocking": blocking}


def clean_checklist(items: Any) -> list[str]:
    if not isinstance(items, list) or len(items) > 30:
        raise ValidationError({"checklist": "Give a list of at most 30 items."})
    cleaned = [str(item).strip() for item in items if str(item).strip()]
    if any(len(item) > 300 for item in cleaned) or len(set(cleaned)) != len(cleaned):
        raise ValidationError({"checklist": "Each item once, at most 300 characters."})
    return cleaned


def default_rule_set(kind: str) -> CriteriaRuleSet:
    return CriteriaRuleSet(kind=kind, number=0, rules=DEFAULT_RULES, checklist=[])


def rule_set_for(asset: Asset) -> CriteriaRuleSet:
    """Return the active criteria of the asset's kind: its unit's own, else every unit's."""
    found = {
        rule_set.business_unit_id: rule_set
        for rule_set in CriteriaRuleSet.objects.filter(kind=asset.kind, active=True).filter(
            Q(business_unit_id=asset.business_unit_id) | Q(business_unit__isnull=True)
        )
    }
    return found.get(asset.business_unit_id) or found.get(None) or default_rule_set(asset.kind)


def label(rule_set: CriteriaRuleSet) -> str:
    if not rule_set.number:
        return f"default {rule_set.kind} criteria"
    where = f"unit {rule_set.business_unit_id}" if rule_set.business_unit_id else "every unit"
    return f"{rule_set.kind} criteria #{rule_set.number} ({where})"


def evaluate(version: Version, rule_set: CriteriaRuleSet, facts: Facts) -> list[Result]:
    """Measure the version against every rule that applies to it."""
    results = []
    channels = version.variant.channel_list
    for rule in rule_set.rules:
        check, _schema, _label = RULES[rule["rule"]]
        outcome = check(version, rule["params"], facts)
        if outcome is None:
            continue
        passed, detail = outcome
        blocking = rule["blocking"]
        if rule["rule"] == "min_print_dpi" and not channels:
            # Open to every channel: a warning, and no print rendition is made.
            blocking = False
            detail += "" if passed else "; its print rendition will not be made"
        results.append(Result(rule["rule"], passed, blocking, detail))
    return results


def blocking_failures(results: list[Result]) -> list[Result]:
    return [result for result in results if result.blocking and not result.passed]


def refuse_failures(results: list[Result], step: str) -> None:
    """Raise a 400 naming every failing blocking rule and what was measured."""
    failing = blocking_failures(results)
    if failing:
        said = "; ".join(f"{result.rule}: {result.detail}" for result in failing)
        raise ValidationError({"criteria": f"The version cannot be {step}: {said}."})


def record(rule_set: CriteriaRuleSet, results: list[Result]) -> dict[str, Any]:
    return {"rule_set": label(rule_set), "results": [result.as_dict() for result in results]}


def skips_print(version: Version) -> bool:
    """Say whether the version's last evaluation found it too coarse for print."""
    results = (version.criteria or {}).get("results", [])
    return any(r["rule"] == "min_print_dpi" and not r["passed"] for r in results)


class CriteriaBook:
    """Active rule sets and each version's measurement, loaded once per check (pre-flight)."""

    def __init__(self, print_widths: dict[int, int]) -> None:
        self._widths = print_widths
        self._sets: dict[tuple[str, int | None], CriteriaRuleSet] | None = None
        self._failures: dict[int, list[Result]] = {}

    def rule_set(self, asset: Asset) -> CriteriaRuleSet:
        if self._sets is None:
            self._sets = {
                (rule_set.kind, rule_set.business_unit_id): rule_set
                for rule_set in CriteriaRuleSet.objects.filter(active=True)
            }
        return (
            self._sets.get((asset.kind, asset.business_unit_id))
            or self._sets.get((asset.kind, None))
            or default_rule_set(asset.kind)
        )

    def failures(self, version: Version) -> list[Result]:
        """Return the blocking rules the version fails under today's criteria."""
        if version.pk not in self._failures:
            asset = version.variant.asset
            facts = Facts(print_width_mm=self._widths.get(asset.pk))
            results = evaluate(version, self.rule_set(asset), facts)
            self._failures[version.pk] = blocking_failures(results)
        return self._failures[version.pk]


def catalogue() -> dict[str, Any]:
    """Describe every rule and its parameters, for the page and the API."""
    return {
        name: {
            "label": label,
            "params": {
                param: {
                    "type": spec.kind.__name__,
                    **({"min": spec.low, "max": spec.high} if spec.high else {}),
                    **({"choices": list(spec.choices)} if spec.choices else {}),
                    "required": spec.required,
                }
                for param, spec in schema.items()
            },
        }
        for name, (_check, schema, label) in RULES.items()
    }
