"""Compliance criteria: the machine rules and checklist of each asset kind, evaluated at
upload, submission, approval and pre-flight, and the pages and API that set them.

May import assets' own modules, audit and govern; nothing of templates_app, usage or console.
"""

from assets.criteria.rules import (
    CriteriaBook,
    Facts,
    Result,
    blocking_failures,
    catalogue,
    clean_checklist,
    clean_rules,
    default_rule_set,
    evaluate,
    label,
    record,
    refuse_failures,
    rule_set_for,
    skips_print,
)
from assets.criteria.services import criteria_set

__all__ = [
    "CriteriaBook",
    "Facts",
    "Result",
    "blocking_failures",
    "catalogue",
    "clean_checklist",
    "clean_rules",
    "criteria_set",
    "default_rule_set",
    "evaluate",
    "label",
    "record",
    "refuse_failures",
    "rule_set_for",
    "skips_print",
]
