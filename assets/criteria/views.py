"""The compliance criteria page: each kind's rules and checklist per unit, and a new version."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assets.criteria import rules as criteria
from assets.criteria.editor import editor_rows, posted_rules
from assets.criteria.services import criteria_set
from assets.models import Asset, Kind
from govern.access import acting_user, scope_for
from govern.models import BusinessUnit
from govern.roles import Capability


def _units(request: HttpRequest) -> list[BusinessUnit]:
    unit_ids = scope_for(request).unit_ids_for(Capability.SET_CRITERIA)
    if not unit_ids:
        raise PermissionDenied("Only compliance officers set compliance criteria.")
    return list(BusinessUnit.objects.filter(pk__in=unit_ids))


def _rows(unit: BusinessUnit, draft: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for kind, label in Kind.choices:
        rule_set = criteria.rule_set_for(Asset(kind=kind, business_unit=unit))
        own = draft if draft.get("kind") == kind and draft.get("unit") == unit.pk else {}
        rules = own["rules"] if "rules" in own else rule_set.rules
        rows.append(
            {
                "kind": kind,
                "label": label,
                "rule_set": rule_set,
                "in_force": criteria.label(rule_set),
                "rules": editor_rows(rules, f"r-{unit.pk}-{kind}"),
                "json": json.dumps(rules, indent=2),
                "checklist": own["checklist"]
                if "checklist" in own
                else "\n".join(rule_set.checklist),
                "error": own.get("error", ""),
                "open": bool(own),
            }
        )
    return rows


@login_required
def criteria_page(
    request: HttpRequest, draft: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """List every kind's criteria in force for each unit the caller sets them in."""
    units = [{"unit": unit, "rows": _rows(unit, draft or {})} for unit in _units(request)]
    rule_names = [(name, label) for name, (_check, _schema, label) in criteria.RULES.items()]
    context = {"units": units, "catalogue": criteria.catalogue(), "rule_names": rule_names}
    return render(request, "assets/criteria_page.html", context, status=status)


@login_required
@require_POST
def criteria_save(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """Store the kind's next criteria for the unit; show the form again with the reason if not."""
    if unit_pk not in scope_for(request).unit_ids_for(Capability.VIEW):
        raise Http404("No business unit matches the query.")
    unit = get_object_or_404(BusinessUnit, pk=unit_pk)
    kind = request.POST.get("kind", "")
    lines = request.POST.get("checklist", "")
    adding = request.POST.get("add_rule", "") if request.POST.get("add") else ""
    draft = {
        **{"kind": kind, "unit": unit.pk, "checklist": lines},
        "rules": posted_rules(request.POST, adding),
    }
    if request.POST.get("add"):  # one more rule to fill in: shown, not saved
        if not scope_for(request).can(Capability.SET_CRITERIA, unit.pk):
            raise PermissionDenied("Only compliance officers set compliance criteria.")
        if adding not in criteria.RULES:
            return criteria_page(request, {**draft, "error": "Choose the rule to add."}, 400)
        return criteria_page(request, draft)
    try:
        rule_set = criteria_set(
            kind=kind,
            unit=unit,
            rules=draft["rules"],
            checklist=lines.splitlines(),
            actor=acting_user(request),
        )
    except ValidationError as invalid:
        return criteria_page(request, {**draft, "error": "; ".join(invalid.messages)}, 400)
    messages.success(request, f"{unit.name}: {criteria.label(rule_set)} is in force.")
    return redirect("assets:criteria")
