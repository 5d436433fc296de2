"""What a clearance resolved, as its evidence keeps it: one entry per slot and outcome, with
the contexts that outcome holds for.

Pre-flight resolves every slot in every context of a run, and a slot mostly resolves to the
same version everywhere: kept one entry per slot and context, a check of 200 slots in 20
contexts stored 4,000 entries (a megabyte per clearance, most of the time of storing it).
Clearances stored before this keep one entry per context (`context`); the readers here take
both.
"""

from collections.abc import Hashable, Iterator
from typing import Any


class Resolved:
    """What a check resolves, gathered as its evidence keeps it: one entry per slot and
    outcome (`key`), naming the contexts it holds for in the order they came."""

    def __init__(self) -> None:
        self._groups: dict[Hashable, dict[str, Any]] = {}

    def add(self, key: Hashable, context: str) -> bool:
        """Name the context under the outcome `key` if the check met it before; say whether
        it had (if not, `first` keeps the outcome's entry)."""
        group = self._groups.get(key)
        if group is None:
            return False
        group["contexts"].append(context)
        return True

    def first(self, key: Hashable, context: str, entry: dict[str, Any]) -> None:
        """Keep the entry of an outcome met for the first time, naming its context."""
        self._groups[key] = {**entry, "contexts": [context]}

    def entries(self) -> list[dict[str, Any]]:
        return list(self._groups.values())


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
