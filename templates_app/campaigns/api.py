"""The campaigns API: create with items, list, read with readiness and conflicts, and submit,
approve, reject, cancel; an item added to a campaign no longer a draft is 409."""

from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.access import acting_user, get_scoped_or_404, scoped, unit_named
from govern.serializers import (
    CommentInput,
    StrictSerializer,
    id_field,
    validated,
    validated_query,
)
from govern.zones import WallTime, wall_time
from templates_app.campaigns import services as campaigns
from templates_app.campaigns.book import clashes
from templates_app.campaigns.readiness import readiness
from templates_app.models import Campaign, CampaignState, Delivery

MAX_TEXT = 200


class ItemInput(StrictSerializer):
    template = id_field(required=False)
    slot = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    asset = id_field(required=False)
    version = id_field()
    region = serializers.CharField(required=False, allow_blank=True, default="", max_length=2)
    language = serializers.CharField(required=False, allow_blank=True, default="", max_length=35)
    segment = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    channel = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("template" in attrs) == ("asset" in attrs):
            raise serializers.ValidationError("Name a template and its slot, or an asset.")
        if "template" in attrs and not attrs["slot"].strip():
            raise serializers.ValidationError({"slot": "Name the template's slot."})
        return attrs


class CampaignInput(StrictSerializer):
    name = serializers.CharField(max_length=MAX_TEXT)
    business_unit = serializers.SlugField(max_length=100)
    go_live_at = serializers.CharField(max_length=40)
    ends_at = serializers.CharField(max_length=40, required=False, allow_null=True)
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="An IANA zone; by default the unit's.",
    )
    exstream_campaign_id = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, default=""
    )
    items = ItemInput(many=True, required=False, max_length=campaigns.MAX_ITEMS)  # type: ignore[call-arg]


def moment(text: str, zone_name: str, field: str) -> WallTime:
    """Read an ISO time; one without an offset is a wall-clock time in the campaign's zone (a
    time its clocks skip is refused, of one they pass twice the first is taken, with a note)."""
    try:
        parsed = parse_datetime(text.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise exceptions.ValidationError({field: "Give an ISO 8601 time, e.g. 2027-03-01T00:00."})
    if parsed.tzinfo is None:
        return wall_time(parsed, zone_name, field)
    return WallTime(parsed)


def _times(data: dict[str, Any], zone_name: str) -> tuple[WallTime, WallTime | None]:
    campaigns.zone(zone_name)
    go_live = moment(data["go_live_at"], zone_name, "go_live_at")
    ends = data.get("ends_at")
    return go_live, None if ends is None else moment(ends, zone_name, "ends_at")


class ItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    template = serializers.IntegerField(source="template_id", allow_null=True)
    slot = serializers.CharField()
    asset = serializers.IntegerField(source="asset_id", allow_null=True)
    version = serializers.IntegerField(source="version_id")
    region = serializers.CharField()
    language = serializers.CharField()
    segment = serializers.CharField()
    channel = serializers.CharField()
    target = serializers.CharField(source="target_label")


class CampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    business_unit = serializers.CharField(source="business_unit.slug")
    state = serializers.CharField()
    go_live_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    time_zone = serializers.CharField()
    exstream_campaign_id = serializers.CharField()
    blocked = serializers.BooleanField()
    blocked_reasons = serializers.ListField(child=serializers.CharField())
    required_approvals = serializers.IntegerField()


class CampaignDetailOutput(CampaignOutput):
    items = serializers.ListField(child=serializers.DictField())
    conflicts = serializers.ListField(child=serializers.CharField())
    deliveries = serializers.ListField(child=serializers.DictField())
    decisions = serializers.ListField(child=serializers.DictField())


class CampaignCreatedOutput(CampaignDetailOutput):
    time_notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="How a time given without an offset was read, where that was a choice.",
    )


def detail(campaign: Campaign) -> dict[str, Any]:
    """The campaign with each item's readiness, the campaigns it meets, its deliveries."""
    campaign = Campaign.objects.select_related("business_unit").get(pk=campaign.pk)
    going_live = campaign.state in (CampaignState.APPROVED, CampaignState.LIVE)
    items = [
        {
            **ItemOutput(found.item).data,
            "ready": found.ready,
            "problems": found.problems,
            "notes": found.notes,
        }
        for found in readiness(campaign, going_live=going_live)
    ]
    open_states = (*campaigns.OPEN_STATES, CampaignState.APPROVED, CampaignState.LIVE)
    return {
        **CampaignOutput(campaign).data,
        "items": items,
        "conflicts": [clash.describe() for clash in clashes(campaign, open_states)]
        if campaign.state in open_states
        else [],
        "deliveries": deliveries_of(campaign),
        "decisions": [
            {
                "actor": decision.actor.username,
                "approved": decision.approved,
                "comment": decision.comment,
                "at": decision.created_at.isoformat(),
            }
            for decision in campaign.decisions.select_related("actor")
        ],
    }


def deliveries_of(campaign: Campaign) -> list[dict[str, Any]]:
    """Every Exstream delivery of the campaign's versions, tagged with it or queued before."""
    rows = Delivery.objects.filter(
        version_id__in=campaign.items.values("version_id"), target="exstream"
    ).select_related("version__variant__asset")
    return [
        {
            "version": str(row.version),
            "profile": row.profile,
            "state": row.state,
            "campaign": row.campaign_id == campaign.pk,
            "attempts": row.attempts,
            "last_error": row.last_error,
        }
        for row in rows.order_by("version_id", "profile")
    ]


def _campaigns(request: Request) -> QuerySet[Campaign]:
    return scoped(request, Campaign.objects.select_related("business_unit"))


def _campaign(request: Request, pk: int) -> Campaign:
    return get_scoped_or_404(request, _campaigns(request), pk=pk)


class CampaignQuery(serializers.Serializer):
    unit = serializers.SlugField(required=False, max_length=100)
    state = serializers.ChoiceField(CampaignState.choices, required=False)


class CampaignListCreate(generics.ListAPIView):
    """List the campaigns of your units (filters: unit, state), or create a draft with items.
    Times without an offset are wall-clock times in `time_zone` (an IANA name; by default the
    unit's): one the clocks skip there is 400, of one they pass twice the first is taken and
    `time_notes` says so."""

    serializer_class = CampaignOutput

    @extend_schema(parameters=[CampaignQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Campaign]:
        params = validated_query(CampaignQuery, self.request)
        lookups = {"business_unit__slug": params.get("unit"), "state": params.get("state")}
        return _campaigns(self.request).filter(**{k: v for k, v in lookups.items() if v})

    @extend_schema(request=CampaignInput, responses={201: CampaignCreatedOutput})
    def post(self, request: Request) -> Response:
        data = validated(CampaignInput, request)
        unit = unit_named(request, data["business_unit"])
        zone_name = data["time_zone"] or unit.time_zone
        go_live, ends = _times(data, zone_name)
        campaign = campaigns.campaign_create(
            unit=unit,
            name=data["name"],
            go_live_at=go_live.moment,
            ends_at=ends.moment if ends else None,
            time_zone=zone_name,
            exstream_campaign_id=data["exstream_campaign_id"],
            items=[dict(item) for item in data.get("items", [])],
            actor=acting_user(request),
        )
        notes = [time.note for time in (go_live, ends) if time is not None and time.note]
        return Response({**detail(campaign), "time_notes": notes}, status=status.HTTP_201_CREATED)


class CampaignDetail(APIView):
    """Return a campaign with its items' readiness, the campaigns it meets, its deliveries
    and decisions."""

    @extend_schema(responses=CampaignDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(detail(_campaign(request, pk)))


class CampaignItemAdd(APIView):
    """Add an item to a draft campaign; a campaign in review or decided is 409."""

    @extend_schema(request=ItemInput, responses={201: CampaignDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        campaign = _campaign(request, pk)
        data = validated(ItemInput, request)
        campaigns.campaign_item_add(campaign=campaign, data=data, actor=acting_user(request))
        return Response(detail(campaign), status=status.HTTP_201_CREATED)


class CampaignSubmit(APIView):
    """Send a draft with at least one item to compliance review."""

    @extend_schema(request=None, responses=CampaignDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        campaign = _campaign(request, pk)
        campaigns.campaign_submit(campaign=campaign, actor=acting_user(request))
        return Response(detail(campaign))


class CampaignApprove(APIView):
    """Approve a campaign in review (not your own): 409 while an item is not ready or it meets
    another approved campaign (both named); the last approval queues its renditions and flags
    its templates."""

    @extend_schema(request=CommentInput, responses=CampaignDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        campaign = _campaign(request, pk)
        comment = validated(CommentInput, request)["comment"]
        campaigns.campaign_approve(campaign=campaign, actor=acting_user(request), comment=comment)
        return Response(detail(campaign))


class CampaignReject(APIView):
    """Reject a campaign in review, with a comment."""

    @extend_schema(request=CommentInput, responses=CampaignDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        campaign = _campaign(request, pk)
        comment = validated(CommentInput, request)["comment"]
        campaigns.campaign_reject(campaign=campaign, actor=acting_user(request), comment=comment)
        return Response(detail(campaign))


class CancelInput(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class CampaignCancel(APIView):
    """Cancel a campaign; a live one reverts at once and its templates' owners are told."""

    @extend_schema(request=CancelInput, responses=CampaignDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        campaign = _campaign(request, pk)
        reason = validated(CancelInput, request)["reason"]
        campaigns.campaign_cancel(campaign=campaign, actor=acting_user(request), reason=reason)
        return Response(detail(campaign))
