"""Rights: whether a version may be used somewhere at some time (the judge, over every licence
term), when licences end, what a unit does with a licence Govern cannot judge, and its pages.

May import assets' own modules, audit and govern; nothing of templates_app, usage or console
(usage's facts reach the judge through the registry in judge.py).
"""

from assets.rights.judge import (
    Outcome,
    PurchaseUse,
    Rights,
    RightsBook,
    Use,
    cancelled,
    in_force,
    judge,
    load_mappings,
    no_facts,
    register_usage_facts,
    usage_facts,
)
from assets.rights.services import rights_policy_set

__all__ = [
    "Outcome",
    "PurchaseUse",
    "Rights",
    "RightsBook",
    "Use",
    "cancelled",
    "in_force",
    "judge",
    "load_mappings",
    "no_facts",
    "register_usage_facts",
    "usage_facts",
    "rights_policy_set",
]
