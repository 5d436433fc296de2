"""Compliance criteria in the API: the rule sets in force, and a new version of one."""

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.criteria import rules as criteria
from assets.criteria.services import criteria_set
from assets.models import CriteriaRuleSet, Kind
from govern.access import acting_user, scope_for
from govern.models import BusinessUnit
from govern.roles import Capability
from govern.serializers import StrictSerializer, validated


class RuleSetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    business_unit = serializers.CharField(source="business_unit.slug", default=None)
    number = serializers.IntegerField()
    rules = serializers.JSONField()
    checklist = serializers.ListField(child=serializers.CharField())
    created_by = serializers.CharField(source="created_by.username", default=None)
    created_at = serializers.DateTimeField()


class RuleSetInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    business_unit = serializers.SlugField(required=False, allow_null=True, default=None)
    rules = serializers.JSONField()
    checklist = serializers.ListField(
        child=serializers.CharField(max_length=300, allow_blank=True),
        max_length=30,
        required=False,
        default=list,
    )


class CriteriaList(APIView):
    """The criteria in force for the caller's units (and every unit's), newest number each;
    POST a kind's next version (`business_unit` null: every unit, administrators only)."""

    @extend_schema(responses=RuleSetOutput(many=True))
    def get(self, request: Request) -> Response:
        units = scope_for(request).unit_ids_for(Capability.VIEW)
        rule_sets = (
            CriteriaRuleSet.objects.filter(active=True)
            .filter(Q(business_unit_id__in=units) | Q(business_unit__isnull=True))
            .select_related("business_unit", "created_by")
        )
        return Response(RuleSetOutput(rule_sets, many=True).data)

    @extend_schema(request=RuleSetInput, responses={201: RuleSetOutput})
    def post(self, request: Request) -> Response:
        data = validated(RuleSetInput, request)
        rule_set = criteria_set(
            kind=data["kind"],
            unit=_unit(request, data["business_unit"]),
            rules=data["rules"],
            checklist=data["checklist"],
            actor=acting_user(request),
        )
        return Response(RuleSetOutput(rule_set).data, status=status.HTTP_201_CREATED)


def _unit(request: Request, slug: str | None) -> BusinessUnit | None:
    if slug is None:
        return None
    unit = BusinessUnit.objects.filter(
        slug=slug, pk__in=scope_for(request).unit_ids_for(Capability.VIEW)
    ).first()
    if unit is None:
        raise exceptions.NotFound("No such business unit among yours.")
    return unit


class RuleCatalogue(APIView):
    """The machine rules a rule set may use, with their parameters."""

    @extend_schema(responses=dict[str, Any])
    def get(self, request: Request) -> Response:
        return Response(criteria.catalogue())
