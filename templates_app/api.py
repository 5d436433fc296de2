"""The templates API: templates, components, bindings, reviews, pre-flight and manifests."""

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.api import ContentInput, content_of, refuse_oversized
from assets.models import Asset, Placement, Version
from assets.resolution import Context
from assets.selectors import clean_selectors
from audit.chain import canonical_json
from govern.access import acting_user, get_scoped_or_404, scoped, unit_named
from govern.roles import Capability
from govern.serializers import StrictSerializer, id_field, validated, validated_query
from templates_app import preflight, services
from templates_app.models import (
    Binding,
    Composition,
    ReplacementRequest,
    ReplacementState,
    Review,
    ReviewState,
    Template,
    TemplateKind,
    TemplateState,
)

TEMPLATE_UNIT = "template__business_unit"


class BindingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.CharField()
    asset = serializers.CharField(source="asset.key")
    asset_id = serializers.IntegerField()
    pinned_version = serializers.IntegerField(source="pinned_version_id", allow_null=True)
    placement = serializers.CharField()
    print_width_mm = serializers.IntegerField(allow_null=True)


class ReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    template = serializers.IntegerField(source="template_id")
    template_name = serializers.CharField(source="template.name")
    state = serializers.CharField()
    asset = serializers.CharField(source="asset.key")
    action = serializers.CharField()
    old_version = serializers.IntegerField(source="old_version_id", allow_null=True)
    new_version = serializers.IntegerField(source="new_version_id", allow_null=True)
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    created_at = serializers.DateTimeField()
    note = serializers.CharField()


class TemplateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    exstream_id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField(), source="channel_list")
    business_unit = serializers.CharField(source="business_unit.slug")
    state = serializers.CharField()


class TemplateDetailOutput(TemplateOutput):
    components = serializers.SerializerMethodField()
    bindings = BindingOutput(many=True)
    owners = serializers.SerializerMethodField()

    def get_components(self, template: Template) -> list[int]:
        return [link.child_id for link in template.component_links.all()]

    def get_owners(self, template: Template) -> list[str]:
        return sorted(
            grant.user.username for grant in template.templateuserobjectpermission_set.all()
        )


class TemplateInput(StrictSerializer):
    exstream_id = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=TemplateKind.choices)
    channels = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    business_unit = serializers.SlugField()
    owners = serializers.ListField(child=serializers.CharField(), required=False)


def _templates(request: Request) -> QuerySet[Template]:
    return scoped(request, Template.objects.select_related("business_unit"))


def _template(request: Request, pk: int, capability: Capability = Capability.VIEW) -> Template:
    return get_scoped_or_404(request, _templates(request), capability=capability, pk=pk)


def _detail(template: Template) -> Any:
    template = (
        Template.objects.prefetch_related(
            "component_links", "bindings__asset", "templateuserobjectpermission_set__user"
        )
        .select_related("business_unit")
        .get(pk=template.pk)
    )
    return TemplateDetailOutput(template).data


class TemplateQuery(serializers.Serializer):
    state = serializers.ChoiceField(TemplateState.choices, required=False)
    unit = serializers.SlugField(required=False, max_length=100)
    exstream_id = serializers.CharField(required=False, max_length=200)


class TemplateListCreate(generics.ListAPIView):
    """List the templates of your units (filters: state, unit, exstream_id), or register one."""

    serializer_class = TemplateOutput

    @extend_schema(parameters=[TemplateQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Template]:
        params = validated_query(TemplateQuery, self.request)
        lookups = {
            "state": params.get("state"),
            "business_unit__slug": params.get("unit"),
            "exstream_id": params.get("exstream_id"),
        }
        return _templates(self.request).filter(**{k: v for k, v in lookups.items() if v})

    @extend_schema(request=TemplateInput, responses={201: TemplateDetailOutput})
    def post(self, request: Request) -> Response:
        data = validated(TemplateInput, request)
        unit = unit_named(request, data["business_unit"])
        owners = None
        if "owners" in data:
            owners = list(User.objects.filter(username__in=data["owners"]))
            missing = set(data["owners"]) - {owner.username for owner in owners}
            if missing:
                raise exceptions.ValidationError({"owners": f"Unknown user {sorted(missing)[0]}."})
        template = services.template_create(
            exstream_id=data["exstream_id"],
            name=data["name"],
            kind=data["kind"],
            channels=data["channels"],
            unit=unit,
            actor=acting_user(request),
            owners=owners,
        )
        return Response(_detail(template), status=status.HTTP_201_CREATED)


class TemplateDetail(APIView):
    """Return a template with its components, bindings and owners."""

    @extend_schema(responses=TemplateDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(_template(request, pk)))


class ComponentInput(StrictSerializer):
    component = id_field()


class ComponentAdd(APIView):
    """Put a component template inside this template; cycles get 400."""

    @extend_schema(request=ComponentInput, responses={201: TemplateDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        parent = _template(request, pk, Capability.EDIT_TEMPLATES)
        child_id = validated(ComponentInput, request)["component"]
        child = _templates(request).filter(pk=child_id).first()
        if child is None:
            raise exceptions.ValidationError({"component": "No such template among yours."})
        services.composition_add(parent=parent, child=child, actor=acting_user(request))
        return Response(_detail(parent), status=status.HTTP_201_CREATED)


class ComponentRemove(APIView):
    """Take a component out of this template."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, component_pk: int) -> Response:
        parent = _template(request, pk, Capability.EDIT_TEMPLATES)
        link = get_object_or_404(Composition, parent=parent, child_id=component_pk)
        services.composition_remove(composition=link, actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BindingInput(StrictSerializer):
    slot = serializers.CharField(max_length=100)
    asset = id_field(required=False)
    version = id_field(required=False)
    placement = serializers.ChoiceField(Placement.choices, required=False, allow_blank=True)
    print_width_mm = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=5000
    )


class BindingSet(APIView):
    """Bind a slot to an asset (`asset`) or pin it to a version (`version`)."""

    @extend_schema(request=BindingInput, responses={201: BindingOutput})
    def post(self, request: Request, pk: int) -> Response:
        template = _template(request, pk, Capability.EDIT_TEMPLATES)
        data = validated(BindingInput, request)
        asset = version = None
        if "asset" in data:
            asset = scoped(request, Asset.objects.all()).filter(pk=data["asset"]).first()
            if asset is None:
                raise exceptions.ValidationError({"asset": "No such asset among yours."})
        if "version" in data:
            version = (
                scoped(
                    request,
                    Version.objects.select_related("variant__asset"),
                    "variant__asset__business_unit",
                )
                .filter(pk=data["version"])
                .first()
            )
            if version is None:
                raise exceptions.ValidationError({"version": "No such version among yours."})
        binding = services.binding_set(
            template=template,
            slot=data["slot"],
            asset=asset,
            version=version,
            actor=acting_user(request),
            placement=data.get("placement", ""),
            print_width_mm=data.get("print_width_mm"),
        )
        return Response(BindingOutput(binding).data, status=status.HTTP_201_CREATED)


class BindingRemove(APIView):
    """Remove a binding."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, binding_pk: int) -> Response:
        template = _template(request, pk, Capability.EDIT_TEMPLATES)
        binding = get_object_or_404(Binding, template=template, pk=binding_pk)
        services.binding_remove(binding=binding, actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContextInput(StrictSerializer):
    region = serializers.CharField(required=False, allow_blank=True, default="")
    language = serializers.CharField(required=False, allow_blank=True, default="")
    segment = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.CharField(required=False, allow_blank=True, default="")


class PreflightInput(StrictSerializer):
    run_at = serializers.DateTimeField()
    contexts = ContextInput(many=True)
    # Have Exstream produce a document per context and hold it to the manifest.
    proof = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("proof") and len(attrs["contexts"]) > settings.PROOF_MAX_CONTEXTS:
            raise serializers.ValidationError(
                {"proof": f"Proofs are made for at most {settings.PROOF_MAX_CONTEXTS} contexts."}
            )
        return attrs

    def to_internal_value(self, data: Any) -> Any:
        """Refuse too many contexts before any of them is checked."""
        given = data.get("contexts") if isinstance(data, dict) else None
        if isinstance(given, list) and len(given) > settings.PREFLIGHT_MAX_CONTEXTS:
            raise serializers.ValidationError(
                {
                    "contexts": f"Name at most {settings.PREFLIGHT_MAX_CONTEXTS} contexts "
                    "in one pre-flight."
                }
            )
        return super().to_internal_value(data)

    def validate_run_at(self, value: Any) -> Any:
        raw = str(self.initial_data.get("run_at", ""))
        if not (raw.endswith("Z") or "+" in raw[10:] or "-" in raw[10:]):
            raise serializers.ValidationError("Give the time zone, e.g. 2026-12-01T06:00:00Z.")
        return value


class PreflightOutput(serializers.Serializer):
    verdict = serializers.CharField()
    reasons = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())
    clearance = serializers.IntegerField()
    evidence_hash = serializers.CharField()
    # Asked with "proof": each context's document by its sha256, or why none was made.
    proofs = serializers.ListField(child=serializers.DictField(), required=False)


def _context(data: dict[str, str], run_at: Any) -> Context:
    selectors = clean_selectors(
        language=data["language"],
        region=data["region"],
        segment=data["segment"],
        channels=data["channel"],
    )
    if "," in selectors.channels:
        raise exceptions.ValidationError({"contexts": "A context has one channel."})
    return Context(
        region=selectors.region,
        language=selectors.language,
        segment=selectors.segment,
        channel=selectors.channels,
        at=run_at,
    )


class Preflight(APIView):
    """Ask whether a production run of this template may go, with every reason if not."""

    @extend_schema(request=PreflightInput, responses=PreflightOutput)
    def post(self, request: Request, pk: int) -> Response:
        template = _template(request, pk)
        data = validated(PreflightInput, request)
        contexts = [_context(context, data["run_at"]) for context in data["contexts"]]
        clearance = preflight.preflight_run(
            template=template,
            run_at=data["run_at"],
            contexts=contexts,
            actor=acting_user(request),
            proof=data["proof"],
        )
        proofs = [
            {key: proof.get(key) for key in ("context", "sha256", "unavailable") if key in proof}
            for proof in clearance.evidence.get("proofs", [])
        ]
        return Response(
            {
                "verdict": clearance.verdict,
                "reasons": clearance.reasons,
                "warnings": clearance.warnings,
                "clearance": clearance.pk,
                "evidence_hash": clearance.evidence_hash,
                **({"proofs": proofs} if data["proof"] else {}),
            }
        )


class ManifestQuery(StrictSerializer):
    at = serializers.DateTimeField(required=False)
    region = serializers.CharField(required=False, allow_blank=True, default="")
    language = serializers.CharField(required=False, allow_blank=True, default="")
    segment = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.CharField(required=False, allow_blank=True, default="")


class Manifest(APIView):
    """Return what Exstream may load for this template at `at` (default now), in one context
    (`region`, `language`, `segment`, `channel`) or every known one, each version with its
    rights; the ETag changes when they do; unchanged since If-None-Match: 304."""

    @extend_schema(parameters=[ManifestQuery], responses={200: dict[str, Any], 304: None})
    def get(self, request: Request, pk: int) -> HttpResponse:
        template = _template(request, pk)
        query = ManifestQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        at = data.get("at") or timezone.now()
        contextual = any(data[name] for name in ("region", "language", "segment", "channel"))
        context = _context(data, at) if contextual else None
        body = canonical_json(
            preflight.build_manifest(template, at, context, given_at="at" in data)
        )
        etag = f'"{hashlib.sha256(body.encode()).hexdigest()}"'
        if etag in request.headers.get("If-None-Match", ""):
            return HttpResponse(status=304, headers={"ETag": etag})
        return HttpResponse(body, content_type="application/json", headers={"ETag": etag})


def _reviews(request: Request) -> QuerySet[Review]:
    return scoped(
        request,
        Review.objects.select_related("template", "asset", "actor"),
        TEMPLATE_UNIT,
    )


class ReviewQuery(serializers.Serializer):
    state = serializers.ChoiceField(ReviewState.choices, required=False)
    template = id_field(required=False)
    mine = serializers.BooleanField(required=False, help_text="only the templates you own")


class ReviewList(generics.ListAPIView):
    """List reviews of your units' templates (filters: state, template, mine=1 for yours)."""

    serializer_class = ReviewOutput

    @extend_schema(parameters=[ReviewQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Review]:
        reviews = _reviews(self.request)
        params = validated_query(ReviewQuery, self.request)
        if state := params.get("state"):
            reviews = reviews.filter(state=state)
        if template := params.get("template"):
            reviews = reviews.filter(template_id=template)
        if params.get("mine"):
            owner = acting_user(self.request)
            reviews = reviews.filter(template__templateuserobjectpermission__user=owner)
        return reviews


class AcknowledgeInput(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class ReviewAcknowledge(APIView):
    """Acknowledge a review of a template you own."""

    @extend_schema(request=AcknowledgeInput, responses=ReviewOutput)
    def post(self, request: Request, pk: int) -> Response:
        review = get_scoped_or_404(request, _reviews(request), unit_field=TEMPLATE_UNIT, pk=pk)
        note = validated(AcknowledgeInput, request)["note"]
        services.reviews_acknowledge(reviews=[review], actor=acting_user(request), note=note)
        return Response(ReviewOutput(_reviews(request).get(pk=pk)).data)


class BulkAcknowledgeInput(AcknowledgeInput):
    reviews = serializers.ListField(child=id_field(), min_length=1, max_length=500)


class ReviewsAcknowledge(APIView):
    """Acknowledge many reviews at once: {"reviews": [ids], "note": "..."}."""

    @extend_schema(
        request=BulkAcknowledgeInput,
        responses={200: dict[str, int]},
        operation_id="v1_reviews_acknowledge_many",
    )
    def post(self, request: Request) -> Response:
        data = validated(BulkAcknowledgeInput, request)
        reviews = list(_reviews(request).filter(pk__in=data["reviews"]))
        if len(reviews) != len(set(data["reviews"])):
            raise exceptions.NotFound("One of the reviews is not among yours.")
        count = services.reviews_acknowledge(
            reviews=reviews, actor=acting_user(request), note=data["note"]
        )
        return Response({"acknowledged": count})


class RequestChangesInput(StrictSerializer):
    reason = serializers.CharField(max_length=5000)
    wanted_by = serializers.DateField(required=False, allow_null=True, default=None)


class ReplacementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    review = serializers.IntegerField(source="review_id")
    asset = serializers.CharField(source="asset.key")
    requested_by = serializers.CharField(source="requested_by.username")
    reason = serializers.CharField()
    wanted_by = serializers.DateField(allow_null=True)
    state = serializers.CharField()
    fulfilled_version = serializers.IntegerField(source="fulfilled_version_id", allow_null=True)
    decline_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewRequestChanges(APIView):
    """Ask the unit's brand managers for a replacement of the changed asset."""

    @extend_schema(request=RequestChangesInput, responses={201: ReplacementOutput})
    def post(self, request: Request, pk: int) -> Response:
        review = get_scoped_or_404(request, _reviews(request), unit_field=TEMPLATE_UNIT, pk=pk)
        data = validated(RequestChangesInput, request)
        replacement = services.review_request_changes(
            review=review,
            actor=acting_user(request),
            reason=data["reason"],
            wanted_by=data["wanted_by"],
        )
        return Response(ReplacementOutput(replacement).data, status=status.HTTP_201_CREATED)


def _replacements(request: Request) -> QuerySet[ReplacementRequest]:
    return scoped(
        request,
        ReplacementRequest.objects.select_related("asset", "requested_by"),
        "asset__business_unit",
    )


class ReplacementQuery(serializers.Serializer):
    state = serializers.ChoiceField(ReplacementState.choices, required=False)


class ReplacementList(generics.ListAPIView):
    """List replacement requests of your units (filter: state)."""

    serializer_class = ReplacementOutput

    @extend_schema(parameters=[ReplacementQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[ReplacementRequest]:
        state = validated_query(ReplacementQuery, self.request).get("state")
        replacements = _replacements(self.request)
        return replacements.filter(state=state) if state else replacements


class FulfilInput(StrictSerializer):
    version = id_field()


class ReplacementFulfil(APIView):
    """Answer a replacement request with a new version of the asset."""

    @extend_schema(request=FulfilInput, responses=ReplacementOutput)
    def post(self, request: Request, pk: int) -> Response:
        replacement = get_scoped_or_404(
            request, _replacements(request), unit_field="asset__business_unit", pk=pk
        )
        version_id = validated(FulfilInput, request)["version"]
        version = Version.objects.select_related("variant").filter(pk=version_id).first()
        if version is None:
            raise exceptions.ValidationError({"version": "No such version."})
        replacement = services.replacement_fulfil(
            request=replacement, version=version, actor=acting_user(request)
        )
        return Response(ReplacementOutput(replacement).data)


class ReplacementAnswer(APIView):
    """Answer a replacement request with new content: the version is created in the variant
    the review was about, submitted for approval and linked to the request, all or nothing."""

    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(request=ContentInput, responses={201: ReplacementOutput})
    def post(self, request: Request, pk: int) -> Response:
        replacement = get_scoped_or_404(
            request, _replacements(request), unit_field="asset__business_unit", pk=pk
        )
        refuse_oversized(request)
        content = content_of(validated(ContentInput, request))
        replacement = services.replacement_answer_with_content(
            request=replacement, content=content, actor=acting_user(request)
        )
        return Response(ReplacementOutput(replacement).data, status=status.HTTP_201_CREATED)


class DeclineInput(StrictSerializer):
    reason = serializers.CharField(max_length=5000)


class ReplacementDecline(APIView):
    """Decline a replacement request, saying why."""

    @extend_schema(request=DeclineInput, responses=ReplacementOutput)
    def post(self, request: Request, pk: int) -> Response:
        replacement = get_scoped_or_404(
            request, _replacements(request), unit_field="asset__business_unit", pk=pk
        )
        reason = validated(DeclineInput, request)["reason"]
        replacement = services.replacement_decline(
            request=replacement, actor=acting_user(request), reason=reason
        )
        return Response(ReplacementOutput(replacement).data)
