"""What each unit does with a licence Govern cannot judge, per asset kind: block or warn."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assets.models import Kind, OnUnknown, RightsPolicy, default_on_unknown
from assets.rights.services import rights_policy_set
from govern.access import acting_user, scope_for
from govern.models import BusinessUnit
from govern.roles import Capability


@login_required
def rights_policies(request: HttpRequest) -> HttpResponse:
    """List every kind of every unit the caller sets criteria in, with its policy."""
    unit_ids = scope_for(request).unit_ids_for(Capability.SET_CRITERIA)
    if not unit_ids:
        raise PermissionDenied("Only compliance officers set what unknown licences do.")
    chosen = {
        (policy.business_unit_id, policy.kind): policy
        for policy in RightsPolicy.objects.filter(business_unit_id__in=unit_ids)
    }
    units = [
        {
            "unit": unit,
            "rows": [
                {
                    "kind": kind,
                    "label": label,
                    "policy": chosen.get((unit.pk, kind)),
                    "on_unknown": getattr(chosen.get((unit.pk, kind)), "on_unknown", "")
                    or default_on_unknown(kind),
                }
                for kind, label in Kind.choices
            ],
        }
        for unit in BusinessUnit.objects.filter(pk__in=unit_ids)
    ]
    return render(
        request, "assets/rights_policies.html", {"units": units, "choices": OnUnknown.choices}
    )


@login_required
@require_POST
def rights_policy_save(request: HttpRequest, unit_pk: int) -> HttpResponse:
    if unit_pk not in scope_for(request).unit_ids_for(Capability.VIEW):
        raise Http404("No business unit matches the query.")
    unit = get_object_or_404(BusinessUnit, pk=unit_pk)
    try:
        policy = rights_policy_set(
            unit=unit,
            kind=request.POST.get("kind", ""),
            on_unknown=request.POST.get("on_unknown", ""),
            actor=acting_user(request),
        )
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
    else:
        messages.success(
            request,
            f"{unit.name}, {policy.get_kind_display()}: an unknown licence now "
            f"{'blocks the run' if policy.on_unknown == OnUnknown.BLOCK else 'warns'}.",
        )
    return redirect("assets:rights-policies")
