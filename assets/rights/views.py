"""What each unit does with a licence Govern cannot judge, per asset kind (block or warn), and
the licence card's readings."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assets import signatures
from assets.models import (
    Kind,
    LicensePurchase,
    OnUnknown,
    RightsPolicy,
    Version,
    default_on_unknown,
)
from assets.rights.readings import READ_LISTS, reading_record
from assets.rights.services import rights_policy_set
from govern.access import acting_user, get_scoped_or_404, require, scope_for
from govern.errors import reason
from govern.identity import signing
from govern.models import BusinessUnit
from govern.roles import Capability

VERSION_UNIT = "variant__asset__business_unit"


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


def reading_terms(form: Any) -> dict[str, Any]:
    """Read the licence card's reading form: keys separated by commas; "any" (an allowed list
    the licence does not limit) or "none" (nothing restricted); or nothing."""
    terms: dict[str, Any] = {}
    for name in READ_LISTS:
        given = str(form.get(name, "")).strip()
        if given:
            keys = [key.strip() for key in given.split(",") if key.strip()]
            terms[name] = [] if [key.lower() for key in keys] in (["none"], ["any"]) else keys
    editorial = form.get("is_editorial_use", "")
    if editorial in ("yes", "no"):
        terms["is_editorial_use"] = editorial == "yes"
    return terms


@login_required
@require_POST
def licence_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a signed reading of one purchase licensing the version, from its licence card."""
    version = get_scoped_or_404(
        request, Version.objects.select_related("variant__asset"), unit_field=VERSION_UNIT, pk=pk
    )
    given = request.POST.get("purchase", "").replace("\x00", "")[:100]
    purchase = LicensePurchase.objects.licensing(version).filter(uuid=given).first()
    if purchase is None:
        raise Http404("No purchase licensing this version matches the query.")
    require(
        acting_user(request), Capability.DECIDE_VERSIONS, version.variant.asset.business_unit_id
    )
    try:
        intent = signatures.intent_from(request, request.POST.get("meaning", ""))
        reading_record(
            purchase=purchase,
            terms=reading_terms(request.POST),
            reason=request.POST.get("reason", ""),
            intent=intent,
        )
    except signing.FreshLoginNeeded:
        what = f"Read the licence of purchase {purchase.uuid}"
        return redirect(signing.begin(request, request.path, dict(request.POST.lists()), what))
    except (ValidationError, PermissionDenied) as refused:
        messages.error(request, f"Nothing was recorded: {reason(refused)}")
    else:
        messages.success(request, f"Your reading of purchase {purchase.uuid} is signed.")
    return redirect(f"{version.get_absolute_url()}#licence")
