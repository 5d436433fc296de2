"""Rights policies: what a unit does with a licence Govern cannot judge, per asset kind; audited."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assets.models import (
    Kind,
    OnUnknown,
    RightsPolicy,
)
from audit.services import audit_record
from govern.access import require
from govern.models import BusinessUnit
from govern.roles import Capability


def rights_policy_set(
    *, unit: BusinessUnit, kind: str, on_unknown: str, actor: User
) -> RightsPolicy:
    """Say whether a licence Govern cannot judge blocks runs of this kind in the unit, or warns."""
    require(actor, Capability.SET_CRITERIA, unit.pk)
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Use one of {', '.join(Kind.values)}."})
    if on_unknown not in OnUnknown.values:
        raise ValidationError({"on_unknown": f"Use one of {', '.join(OnUnknown.values)}."})
    with transaction.atomic():
        policy, _ = RightsPolicy.objects.update_or_create(
            business_unit=unit,
            kind=kind,
            defaults={"on_unknown": on_unknown, "updated_by": actor, "updated_at": timezone.now()},
        )
        audit_record(
            action="rights_policy.set",
            actor=actor,
            target=policy,
            unit_id=unit.pk,
            data={"kind": kind, "on_unknown": on_unknown},
        )
    return policy
