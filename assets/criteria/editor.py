"""The criteria page's editor: each rule of a rule set as form fields (its parameters by type,
blocking or a warning, remove), rules added one at a time, and the rule set read back from the
posted fields. What the fields give is checked by `rules.clean_rules`, which names the rule
and the parameter that is wrong, as it does for the API's JSON.

Field names: rule-N-name, rule-N-param-P, rule-N-blocking, rule-N-remove (N the rule's place).
"""

import re
from typing import Any

from django.http import QueryDict

from assets.criteria.rules import RULES, Param

FIELD = re.compile(r"^rule-(\d{1,3})-name$")
MISSING = object()


def editor_rows(rules: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """What the editor shows of each rule: its label, blocking, and a field per parameter
    (`prefix` makes the fields' ids unique on the page)."""
    rows = []
    for index, rule in enumerate(rules):
        name = rule.get("rule")
        if name not in RULES:
            continue
        _check, schema, label = RULES[name]
        params = rule.get("params")
        given: dict[str, Any] = params if isinstance(params, dict) else {}
        rows.append(
            {
                "index": index,
                "id": f"{prefix}-{index}",
                "name": name,
                "label": label,
                "blocking": rule.get("blocking", True) is not False,
                "params": [_field(param, spec, given.get(param)) for param, spec in schema.items()],
            }
        )
    return rows


def _field(param: str, spec: Param, value: Any) -> dict[str, Any]:
    """One parameter's field: a number, a choice, several choices, lines, or a tick."""
    field: dict[str, Any] = {"name": param, "required": spec.required}
    if spec.kind is bool:
        return field | {"type": "tick", "value": value is True}
    if spec.kind is list and spec.choices:
        chosen = value if isinstance(value, list) else []
        return field | {"type": "choices", "choices": [(c, c in chosen) for c in spec.choices]}
    if spec.kind is list:
        lines = "\n".join(str(v) for v in value) if isinstance(value, list) else ""
        return field | {"type": "lines", "value": lines}
    if spec.kind is str:
        return field | {"type": "choice", "choices": [(c, c == value) for c in spec.choices]}
    step = "1" if spec.kind is int else "any"
    shown = "" if value is None else str(value)
    return field | {
        "type": "number",
        "value": shown,
        "min": spec.low,
        "max": spec.high,
        "step": step,
    }


def posted_rules(post: QueryDict, added: str = "") -> list[dict[str, Any]]:
    """The rule set the editor's fields describe, in their order, removed rules left out and
    the rule `added` put at the end; values the fields cannot hold (a word in a number) are
    passed on as given, for the check to name."""
    places = sorted(int(match.group(1)) for key in post if (match := FIELD.match(key)))
    rules = []
    for place in places:
        name = post.get(f"rule-{place}-name", "")
        if name not in RULES or post.get(f"rule-{place}-remove"):
            continue
        rules.append(_posted_rule(post, place, name))
    if added in RULES:
        rules.append({"rule": added, "params": {}, "blocking": True})
    return rules


def _posted_rule(post: QueryDict, place: int, name: str) -> dict[str, Any]:
    _check, schema, _label = RULES[name]
    params = {}
    for param, spec in schema.items():
        value = _value(post, f"rule-{place}-param-{param}", spec)
        if value is not MISSING:
            params[param] = value
    return {"rule": name, "params": params, "blocking": bool(post.get(f"rule-{place}-blocking"))}


def _value(post: QueryDict, field: str, spec: Param) -> Any:
    if spec.kind is bool:
        return bool(post.get(field)) if spec.required or post.get(field) else MISSING
    if spec.kind is list and spec.choices:
        chosen = post.getlist(field)
        return chosen if chosen or spec.required else MISSING
    if spec.kind is list:
        lines = [line.strip() for line in post.get(field, "").splitlines() if line.strip()]
        return lines if lines or spec.required else MISSING
    raw = post.get(field, "").strip()
    if not raw:
        return MISSING
    if spec.kind is str:
        return raw
    try:
        return int(raw) if spec.kind is int else float(raw)
    except ValueError:
        return raw
