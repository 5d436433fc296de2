"""Where a decision on a version reaches beyond assets, wired in one place.

Arrows go one way: templates_app imports assets, never the reverse. What a decision means for
templates and deliveries (templates flagged for review, renditions queued for Exstream and the
worker nudged, feedback queued for Smint.io) and what assets asks of templates (the widest print
slot, the templates a change would flag) is templates_app/consequences.py, which registers
itself here when its app is ready (templates_app/apps.py). assets.services calls it inside the
decision's transaction: whatever it raises rolls the decision back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Consequences:
    # (version, superseded version or None, whether another variant was in use, actor) -> counts
    approved: Callable[..., dict[str, int]]
    # (version, its new state, actor or None, comment) -> how many templates were flagged
    decided: Callable[..., int]
    # version -> the widest print width (mm) of the slots using its asset, or None
    print_width: Callable[[Any], int | None]
    # asset id -> {"count", "units", "channels"} of the templates a change would flag
    impact: Callable[[int], dict[str, Any]]


_registered: list[Consequences] = []


def register(consequences: Consequences) -> None:
    _registered[:] = [consequences]


def of_decisions() -> Consequences:
    if not _registered:
        raise ImproperlyConfigured("No app registered the consequences of decisions.")
    return _registered[0]
