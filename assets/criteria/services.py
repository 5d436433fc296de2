"""Every change of compliance criteria: a new numbered rule set per kind and unit, audited."""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from assets.criteria import rules as criteria
from assets.models import (
    CriteriaRuleSet,
    Kind,
)
from audit.services import audit_record
from govern.access import require
from govern.models import BusinessUnit
from govern.roles import Capability


def criteria_set(
    *,
    kind: str,
    unit: BusinessUnit | None,
    rules: Any,
    checklist: Any,
    actor: User,
) -> CriteriaRuleSet:
    """Give a kind new criteria, for one unit or (administrators) every unit: the next number.

    Versions already approved are measured again at pre-flight; those the new rules fail give
    criteria_failed there.
    """
    if unit is None and not actor.is_staff:
        raise PermissionDenied("Only administrators set the criteria of every unit.")
    if unit is not None:
        require(actor, Capability.SET_CRITERIA, unit.pk)
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Use one of {', '.join(Kind.values)}."})
    cleaned_rules = criteria.clean_rules(rules)
    cleaned_list = criteria.clean_checklist(checklist)
    with transaction.atomic():
        current = (
            CriteriaRuleSet.objects.select_for_update(no_key=True)
            .filter(kind=kind, business_unit=unit)
            .order_by("-number")
            .first()
        )
        CriteriaRuleSet.objects.filter(kind=kind, business_unit=unit, active=True).update(
            active=False
        )
        rule_set = CriteriaRuleSet.objects.create(
            kind=kind,
            business_unit=unit,
            number=(current.number if current else 0) + 1,
            rules=cleaned_rules,
            checklist=cleaned_list,
            created_by=actor,
        )
        audit_record(
            action="criteria.set",
            actor=actor,
            target=rule_set,
            unit_id=unit.pk if unit else None,
            data={
                "kind": kind,
                "number": rule_set.number,
                "rules": cleaned_rules,
                "checklist": cleaned_list,
            },
        )
    return rule_set
