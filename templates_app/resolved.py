"""What a clearance resolved, as its evidence keeps it: one entry per slot and outcome, with
the contexts that outcome holds for.

Pre-flight resolves every slot in every context of a run, and a slot mostly resolves to the
same version everywhere: kept one entry per slot and context, a check of 200 slots in 20
contexts stored 4,000 entries (a megabyte per clearance, most of the time of storing it).
Clearances stored before this keep one entry per context (`context`); the readers here take
both.
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any

# What makes two contexts' entries of a slot the same outcome.
SAME = ("binding", "version", "campaign", "rights", "renditions", "skipped")


def grouped(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge per-context entries that say the same of a slot into one, naming its contexts in
    the order they came; entries keep the order of their first context."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in entries:
        key = tuple(_hashable(entry.get(name)) for name in SAME)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {k: v for k, v in entry.items() if k != "context"}
            group["contexts"] = []
        group["contexts"].append(entry["context"])
    return list(groups.values())


def _hashable(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True) if value else ()
    return value


def contexts_of(entry: dict[str, Any]) -> list[str]:
    """The contexts an entry holds for, in either form."""
    if "contexts" in entry:
        return list(entry["contexts"])
    return [entry["context"]] if "context" in entry else []


def entries(evidence: dict[str, Any], context: str | None = None) -> Iterator[dict[str, Any]]:
    """The clearance's resolved entries, each for one context (`context`), those of one context
    when given: the per-context form, whichever form the evidence keeps."""
    for entry in evidence.get("resolved", []):
        for where in contexts_of(entry):
            if context is None or where == context:
                flat = {k: v for k, v in entry.items() if k != "contexts"}
                yield {**flat, "context": where}
