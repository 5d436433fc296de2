"""Ask the rights question directly (may this version be used in this context, at this time?)
and record a person's reading of a licence a machine cannot read."""

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import signatures
from assets.models import Channel, LicensePurchase, Placement, SignatureMeaning, Version
from assets.resolution import Context
from assets.rights.judge import RightsBook, Use
from assets.rights.readings import reading_record
from assets.selectors import clean_selectors
from govern.access import acting_user, get_scoped_or_404, require
from govern.roles import Capability
from govern.serializers import StrictSerializer, validated_query

EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC)


class RightsQuery(StrictSerializer):
    region = serializers.CharField(required=False, max_length=2, help_text="ISO 3166-1, e.g. DE")
    language = serializers.CharField(required=False, max_length=35, help_text="BCP 47, e.g. de-CH")
    segment = serializers.CharField(required=False, max_length=100)
    channel = serializers.ChoiceField(Channel.choices, required=False)
    placement = serializers.ChoiceField(Placement.choices, required=False)
    at = serializers.DateTimeField(required=False, help_text="with its zone; default now")

    def validate_at(self, value: datetime) -> datetime:
        raw = str(self.initial_data.get("at", ""))
        if not (raw.endswith("Z") or "+" in raw[10:] or "-" in raw[10:]):
            raise serializers.ValidationError("Give the time zone, e.g. 2026-12-01T06:00:00Z.")
        if not EARLIEST <= value <= LATEST:
            raise serializers.ValidationError("Give a time between the years 2000 and 2999.")
        return value


class PurchaseOutput(serializers.Serializer):
    uuid = serializers.CharField()
    state = serializers.CharField()
    license_type = serializers.CharField()


class RightsOutput(serializers.Serializer):
    version = serializers.IntegerField()
    use = serializers.DictField(child=serializers.CharField())
    at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(["covered", "not_covered", "unknown"])
    reasons = serializers.ListField(child=serializers.CharField())
    unknown = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())
    purchases = PurchaseOutput(many=True)


def _use(query: dict[str, Any]) -> Use:
    selectors = clean_selectors(
        language=query.get("language", ""),
        region=query.get("region", ""),
        segment=query.get("segment", ""),
    )
    at = query.get("at") or timezone.now()
    context = Context(
        region=selectors.region,
        language=selectors.language,
        segment=selectors.segment,
        channel=query.get("channel", ""),
        at=at,
    )
    return Use(context=context, at=at, placement=query.get("placement", ""))


class VersionRights(APIView):
    """Answer covered, not covered (every reason) or unknown (what could not be judged) for one
    use of a version, over every purchase that licenses it."""

    @extend_schema(parameters=[RightsQuery], responses=RightsOutput)
    def get(self, request: Request, pk: int) -> Response:
        versions = Version.objects.select_related("variant__asset")
        version = get_scoped_or_404(
            request, versions, unit_field="variant__asset__business_unit", pk=pk
        )
        use = _use(validated_query(RightsQuery, request))
        rights = RightsBook([version]).judge(version, use)
        purchases = LicensePurchase.objects.licensing(version).order_by("pk")
        body = {
            "version": version.pk,
            "use": {
                "region": use.context.region,
                "language": use.context.language,
                "segment": use.context.segment,
                "channel": use.context.channel,
                "placement": use.placement,
            },
            "at": use.at,
            "outcome": rights.outcome.value,
            "reasons": list(rights.reasons),
            "unknown": list(rights.unknown),
            "notes": list(rights.notes),
            "purchases": PurchaseOutput(purchases, many=True).data,
        }
        return Response(RightsOutput(body).data)


class ReadingInput(StrictSerializer):
    purchase = serializers.CharField(max_length=100, help_text="The Smint.io purchase's uuid")
    terms = serializers.JSONField(
        help_text="What the licence's words allow, in a licence term's shape: allowed_* and "
        "restricted_* lists of Smint.io keys ([] is none), usage_limits, valid_from, "
        "valid_until, to_be_used_until, is_editorial_use. Leave out what the reading does not "
        "state."
    )
    reason = serializers.CharField(max_length=4000)
    password = serializers.CharField(max_length=200, write_only=True, trim_whitespace=False)
    code = serializers.CharField(
        max_length=20,
        write_only=True,
        required=False,
        help_text="The code of your second factor, when your account has one.",
    )
    meaning = serializers.ChoiceField([SignatureMeaning.READ])


class ReadingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    purchase = serializers.CharField(source="purchase.uuid")
    terms = serializers.JSONField()
    reason = serializers.CharField()
    licence_sha256 = serializers.CharField()
    printed_name = serializers.CharField()
    meaning = serializers.CharField()
    signed_at = serializers.DateTimeField()
    digest = serializers.CharField()


class LicenceReadings(APIView):
    """Record a compliance officer's signed reading of a purchase's licence: what its words
    allow, as terms Govern can judge. 400 for terms of another shape or that contradict the
    delivered terms (each conflict named), 403 for a wrong password or a role that does not
    decide versions, 404 for a purchase outside the caller's units."""

    @extend_schema(request=ReadingInput, responses={201: ReadingOutput})
    def post(self, request: Request) -> Response:
        given = ReadingInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        purchase = get_scoped_or_404(
            request,
            LicensePurchase.objects.select_related("asset"),
            unit_field="asset__business_unit",
            uuid=data["purchase"],
        )
        user = acting_user(request)
        require(user, Capability.DECIDE_VERSIONS, purchase.asset.business_unit_id)
        intent = signatures.api_intent(
            request, user, data["password"], data["meaning"], data.get("code", "")
        )
        reading = reading_record(
            purchase=purchase, terms=data["terms"], reason=data["reason"], intent=intent
        )
        return Response(ReadingOutput(reading).data, status=201)
